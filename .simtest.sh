#!/bin/bash
# usage: .simtest.sh TestClass[#method]
cd /work/wt-sim && export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 && ./mvnw -q -B -o -Dmaven.repo.local=/work/m2-sim/repository -pl sim test -Dtest="$1" -Dsurefire.failIfNoSpecifiedTests=false 2>&1 | grep -v "^\s*at \|^\[ERROR\] *$\|Help 1\|re-run Maven\|full stack\|For more information\|surefire-reports\|dump files\|Failed to execute goal\|-> \[Help"
