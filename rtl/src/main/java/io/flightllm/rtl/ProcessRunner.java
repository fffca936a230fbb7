package io.flightllm.rtl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Runs an external tool in a directory, output to a log file; a failure names the command and shows the log's tail. */
final class ProcessRunner {
    private ProcessRunner() {
    }

    /** Runs {@code command} in {@code dir}; returns stdout+stderr (also kept in {@code log}). */
    static String run(List<String> command, Path dir, Path log) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            int code = p.waitFor();
            String text = Files.readString(log, StandardCharsets.UTF_8);
            if (code != 0) {
                throw new IllegalStateException(String.join(" ", command.subList(0, Math.min(3, command.size())))
                        + " ... failed with exit code " + code + " (log " + log + "): " + tail(text, 1500));
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(command.getFirst() + ": cannot run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(command.getFirst() + " interrupted", e);
        }
    }

    static String tail(String s, int chars) {
        return s.length() <= chars ? s : "..." + s.substring(s.length() - chars);
    }
}
