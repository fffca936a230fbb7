package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every broken input gives a non-zero exit, nothing on stdout and exactly one stderr line that names the file or
 * field, with no exception class or stack trace, quickly (no OOM, no hang).
 */
class BadInputTest {
    @TempDir
    static Path dir;

    /** One test per broken input, named after it. */
    @TestFactory
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    Stream<DynamicTest> eachBadInputGivesOneErrorLine() {
        List<BadInputs.Case> cases = BadInputs.all(dir);
        assertThat(cases).hasSizeGreaterThanOrEqualTo(18);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            CliRunner.Result r = CliRunner.run(c.args().toArray(String[]::new));
            check(c, r.code(), r.out().length, r.errLines());
        }));
    }

    static void check(BadInputs.Case c, int code, int stdoutBytes, List<String> errLines) {
        assertThat(code).as(c.name() + ": exit code").isNotZero();
        assertThat(stdoutBytes).as(c.name() + ": stdout bytes").isZero();
        assertThat(errLines).as(c.name() + ": stderr lines").hasSize(1);
        String line = errLines.getFirst();
        assertThat(line).as(c.name()).startsWith("flightllm ").doesNotContain("Exception").doesNotContain("\tat ")
                .doesNotContain("internal error");
        for (String m : c.mustMention()) {
            assertThat(line).as(c.name() + ": mentions " + m).contains(m);
        }
    }
}
