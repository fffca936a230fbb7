package io.flightllm.runtime.testing;

import io.flightllm.model.Generator;
import io.flightllm.model.Sampler;
import io.flightllm.model.forward.Forward;
import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.model.testing.SharedData;
import io.flightllm.runtime.Backend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * What {@code flightllm run} prints (through {@link Generator#generate}, its own code path) for a prompt, split into the
 * echoed prompt and the rest, so tests can compare an engine or server completion with it.
 */
public final class RunOutput {
    private RunOutput() {
    }

    public static Path stories() {
        return SharedData.model("stories260K.bin");
    }

    public static Path tok512() {
        return SharedData.model("tok512.bin");
    }

    /**
     * The stdout of {@code run --prompt prompt --steps (L + maxTokens - 1) --temperature t --top-p p --seed s}: the
     * positions that leave room for exactly {@code maxTokens} sampled tokens.
     */
    public static byte[] run(Backend be, Tokenizer tok, String prompt, int maxTokens, float temperature, float topP,
                             long seed) {
        int[] tokens = tok.encode(prompt, true, false);
        int steps = tokens.length + maxTokens - 1;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Forward f = be.forward(steps)) {
            Generator.generate(f, tok, new Sampler(be.config().vocabSize(), temperature, topP, seed), tokens, steps, out);
        }
        return out.toByteArray();
    }

    /** The bytes run prints for the forced prompt pieces (everything before the first generated piece). */
    public static byte[] promptEcho(Tokenizer tok, String prompt) {
        int[] t = tok.encode(prompt, true, false);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (int p = 0; p + 1 < t.length; p++) {
                Generator.writePiece(out, tok.decode(t[p], t[p + 1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The generated part of run's output: stdout without the prompt echo and the final newline, as UTF-8 text. */
    public static String generatedText(byte[] runStdout, byte[] echo) {
        String all = new String(runStdout, StandardCharsets.UTF_8);
        String head = new String(echo, StandardCharsets.UTF_8);
        if (!all.startsWith(head) || !all.endsWith("\n")) {
            throw new AssertionError("run's output does not start with the prompt echo and end with a newline: "
                    + all);
        }
        return all.substring(head.length(), all.length() - 1);
    }
}
