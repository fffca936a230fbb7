package io.flightllm.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** Runs {@link Main} in-process on in-memory streams. */
final class CliRunner {
    private CliRunner() {
    }

    /** Exit code, stdout bytes, stderr text. */
    record Result(int code, byte[] out, String err) {
        String outText() {
            return new String(out, StandardCharsets.UTF_8);
        }

        /** Non-empty stderr lines. */
        List<String> errLines() {
            return Arrays.stream(err.split("\n")).filter(l -> !l.isBlank()).toList();
        }
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.execute(new Console(out, errStream), args);
        }
        return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }
}
