package io.flightllm.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The launcher starts the JVM with its stderr (fd 2) piped through a filter that drops the JVM's start-up
 * "WARNING: Using incubator modules" line, and passes the real stderr as another descriptor. Once main() runs, that
 * warning has been printed, so we make fd 2 the real stderr again with dup2(2): everything after it (our messages,
 * progress, JVM diagnostics) goes straight to the user's stderr, unfiltered and undelayed, through the same open file
 * description (so {@code 2>>log} appends and {@code 2>&1} keeps the order).
 */
final class StderrFix {
    private StderrFix() {
    }

    /** Applies {@code -Dflightllm.stderr.fd=N}; returns false (and changes nothing) when absent or impossible. */
    static boolean apply() {
        String fd = System.getProperty("flightllm.stderr.fd");
        if (fd == null || fd.isBlank()) {
            return false;
        }
        try {
            int from = Integer.parseInt(fd.trim());
            Linker linker = Linker.nativeLinker();
            MethodHandle dup2 = linker.downcallHandle(linker.defaultLookup().find("dup2").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            MethodHandle close = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            if ((int) dup2.invokeExact(from, 2) != 2) {
                return false;
            }
            int ignored = (int) close.invokeExact(from);
            return true;
        } catch (Throwable e) {
            return false; // keep the filtered stderr: the output still arrives, line by line
        }
    }
}
