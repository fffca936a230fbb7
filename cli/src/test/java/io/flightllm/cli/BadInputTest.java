package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every broken input gives a non-zero exit, nothing on stdout and exactly one stderr line that names the file or
 * field, with no exception class or stack trace, quickly (no OOM, no hang).
 */
class BadInputTest {
    @TempDir
    static Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void eachBadInputGivesOneErrorLine() {
        List<BadInputs.Case> cases = BadInputs.all(dir);
        assertThat(cases).hasSizeGreaterThanOrEqualTo(18);
        for (BadInputs.Case c : cases) {
            CliRunner.Result r = CliRunner.run(c.args().toArray(String[]::new));
            System.out.println(c.name() + " -> " + r.code() + ": " + r.err().strip());
            check(c, r.code(), r.out().length, r.errLines());
        }
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
