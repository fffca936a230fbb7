package io.flightllm.cli;

import io.flightllm.model.testing.SharedData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs the {@code ./flightllm} launcher as a subprocess under {@code env -i}. The command line is written into a
 * UTF-8 shell script first, so non-ASCII arguments reach the launcher as exact UTF-8 bytes whatever the test JVM's
 * locale (ProcessBuilder would encode them with sun.jnu.encoding, which is ASCII under a bare CI environment).
 */
final class Launcher {
    private Launcher() {
    }

    record Result(int code, byte[] out, String err) {
        List<String> errLines() {
            return Arrays.stream(err.split("\n")).filter(l -> !l.isBlank()).toList();
        }
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\"'\"'") + "'";
    }

    /** {@code env -i <launcher> args...} with stdout and stderr captured separately. */
    static Result run(Path work, Path launcher, String... args) {
        String cmd = "exec env -i " + quote(launcher.toString()) + " "
                + Arrays.stream(args).map(Launcher::quote).collect(Collectors.joining(" "));
        return script(work, cmd + " >" + quote(work.resolve("stdout").toString()) + " 2>"
                + quote(work.resolve("stderr").toString()));
    }

    static Result run(Path work, String... args) {
        return run(work, SharedData.repoRoot().resolve("flightllm"), args);
    }

    /** Runs a bash script body (which must write stdout/stderr files in {@code work} itself, or not at all). */
    static Result script(Path work, String body) {
        try {
            Path script = work.resolve("cmd.sh");
            Path out = work.resolve("stdout");
            Path err = work.resolve("stderr");
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            Files.writeString(script, "set -e\n" + body + "\n", StandardCharsets.UTF_8);
            Process p = new ProcessBuilder("/bin/bash", script.toString()).directory(work.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError("the launcher did not finish in 180 s: " + body);
            }
            byte[] o = Files.exists(out) ? Files.readAllBytes(out) : new byte[0];
            String e = Files.exists(err) ? Files.readString(err, StandardCharsets.UTF_8) : "";
            return new Result(p.exitValue(), o, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
