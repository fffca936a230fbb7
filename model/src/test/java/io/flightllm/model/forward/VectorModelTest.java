package io.flightllm.model.forward;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.Generator;
import io.flightllm.model.Model;
import io.flightllm.model.Sampler;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import io.flightllm.model.tokenizer.Llama2cTokenizerFile;
import io.flightllm.model.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Whole-model checks of the fast kernels on the shared models: the vector kernel's logits stay close to the golden
 * ones (max abs error reported), the exact kernel's logits are the golden bits, greedy text is unchanged, and batched
 * prefill gives the same bits as token-by-token forward passes for every kernel.
 */
class VectorModelTest {
    /**
     * Logits of these models are O(1..10); a reassociated sum differs from the golden one by a few float ulps per
     * product, amplified through a few layers to ~1e-5. 1e-3 leaves room for that and still fails on any real error
     * (a wrong weight or a dropped tail column moves logits by far more).
     */
    private static final float LOGIT_TOLERANCE = 1e-3f;

    private static Tokenizer tokenizer(Model m, String tok) {
        return Llama2cTokenizerFile.read(SharedData.model(tok), m.config().vocabSize());
    }

    /** BOS + prompt, extended greedily with the golden kernel to {@code length} tokens. */
    private static int[] tokens(Model m, Tokenizer tok, int length) {
        int[] prompt = tok.encode("Once upon a time, there was a little", true, false);
        int[] out = Arrays.copyOf(prompt, length);
        LlamaForward f = new LlamaForward(m.config(), m.weights(), new ScalarMatVec(), length);
        for (int pos = 0; pos + 1 < length; pos++) {
            float[] logits = f.forward(out[pos], pos);
            if (pos + 1 >= prompt.length) {
                out[pos + 1] = Sampler.argmax(logits, logits.length);
            }
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"stories260K.bin, tok512.bin", "aidreams260K.bin, aidreams_tok512.bin",
            "synthetic/synth_tiny_unshared_gqa4.bin, tok512.bin"})
    void vectorLogitsAreCloseAndExactLogitsAreGolden(String model, String tok) {
        try (Model m = ModelLoader.load(SharedData.model(model));
             VectorMatVec vector = new VectorMatVec(2, 0);
             ExactVectorMatVec exact = new ExactVectorMatVec(2, 0, true);
             ExactVectorMatVec exactT = new ExactVectorMatVec(2, 0, false)) {
            int n = 48;
            int[] t = tokens(m, tokenizer(m, tok), n);
            LlamaForward golden = new LlamaForward(m.config(), m.weights(), new ScalarMatVec(), n);
            LlamaForward fv = new LlamaForward(m.config(), m.weights(), vector, n);
            LlamaForward fe = new LlamaForward(m.config(), m.weights(), exact, n);
            LlamaForward ft = new LlamaForward(m.config(), m.weights(), exactT, n);
            float maxErr = 0;
            for (int pos = 0; pos < n; pos++) {
                float[] g = golden.forward(t[pos], pos).clone();
                float[] v = fv.forward(t[pos], pos);
                assertThat(fe.forward(t[pos], pos)).as("packed exact logits at position %d", pos).isEqualTo(g);
                assertThat(ft.forward(t[pos], pos)).as("transposing exact logits at position %d", pos).isEqualTo(g);
                for (int i = 0; i < g.length; i++) {
                    maxErr = Math.max(maxErr, Math.abs(v[i] - g[i]));
                }
            }
            System.out.printf(Locale.ROOT, "%s: vector kernel max |logit - golden| over %d positions = %.3g%n",
                    model, n, maxErr);
            assertThat(maxErr).isLessThan(LOGIT_TOLERANCE);
        }
    }

    static byte[] greedy(Model m, Tokenizer tok, MatVec mv, int steps) {
        LlamaForward f = new LlamaForward(m.config(), m.weights(), mv, steps);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Generator.generate(f, tok, new Sampler(m.config().vocabSize(), 0.0f, 0.9f, 1),
                tok.encode("Once upon a time", true, false), steps, out);
        return out.toByteArray();
    }

    @ParameterizedTest
    @CsvSource({"stories260K.bin, tok512.bin, 256", "aidreams260K.bin, aidreams_tok512.bin, 128"})
    void greedyTextWithTheFastKernelsEqualsGolden(String model, String tok, int steps) {
        try (Model m = ModelLoader.load(SharedData.model(model));
             VectorMatVec vector = new VectorMatVec(2, 0);
             ExactVectorMatVec exact = new ExactVectorMatVec(2, 0, true)) {
            Tokenizer t = tokenizer(m, tok);
            byte[] golden = greedy(m, t, new ScalarMatVec(), steps);
            assertThat(golden.length).isGreaterThan(100);
            assertThat(new String(greedy(m, t, vector, steps), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo(new String(golden, java.nio.charset.StandardCharsets.UTF_8));
            assertThat(greedy(m, t, exact, steps)).isEqualTo(golden);
        }
    }

    @Test
    void exactKernelReproducesRunCOutput() throws Exception {
        byte[] expected = Files.readAllBytes(SharedData.reference("stories260K_n256_empty.stdout"));
        try (Model m = ModelLoader.load(SharedData.model("stories260K.bin"));
             ExactVectorMatVec exact = new ExactVectorMatVec(2, 0, true)) {
            Tokenizer t = tokenizer(m, "tok512.bin");
            LlamaForward f = new LlamaForward(m.config(), m.weights(), exact, 256);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Generator.generate(f, t, new Sampler(m.config().vocabSize(), 0.0f, 0.9f, 1), t.encode("", true, false),
                    256, out);
            assertThat(out.toByteArray()).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @CsvSource({"stories260K.bin, tok512.bin", "aidreams260K.bin, aidreams_tok512.bin",
            "synthetic/synth_tiny_unshared_gqa4.bin, tok512.bin"})
    void batchedPrefillEqualsTokenByTokenForEveryKernel(String model, String tok) {
        try (Model m = ModelLoader.load(SharedData.model(model))) {
            // 70 positions: more than one prefill chunk, and chunks that are not multiples of the token tile
            int n = LlamaForward.PREFILL_CHUNK + 6;
            int[] t = tokens(m, tokenizer(m, tok), n + 1);
            for (Supplier<MatVec> kernel : java.util.List.<Supplier<MatVec>>of(ScalarMatVec::new,
                    () -> new VectorMatVec(2, 0), () -> new ExactVectorMatVec(2, 0, true))) {
                try (MatVec a = kernel.get(); MatVec b = kernel.get()) {
                    LlamaForward rowByRow = new LlamaForward(m.config(), m.weights(), a, n + 1);
                    LlamaForward batched = new LlamaForward(m.config(), m.weights(), b, n + 1);
                    float[] expected = null;
                    for (int pos = 0; pos < n; pos++) {
                        expected = rowByRow.forward(t[pos], pos);
                    }
                    float[] actual = batched.prefill(t, 0, n, true);
                    assertThat(actual).as("%s prefill logits with %s", model, a.name()).isEqualTo(expected);
                    // one more decode step reads the whole KV cache the prefill wrote
                    assertThat(batched.forward(t[n], n)).as("%s next step with %s", model, a.name())
                            .isEqualTo(rowByRow.forward(t[n], n));
                }
            }
        }
    }
}
