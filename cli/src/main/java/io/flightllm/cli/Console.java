package io.flightllm.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Where commands write: {@code out} takes raw bytes (generated text is written as the tokenizer's bytes, never
 * re-encoded), {@code err} is human-readable UTF-8 text. Tests pass in-memory streams; the real command uses the
 * process's file descriptors.
 */
record Console(OutputStream out, PrintStream err) {
    static Console system() {
        return new Console(new FileOutputStream(FileDescriptor.out),
                new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
    }
}
