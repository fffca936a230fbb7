package io.flightllm.model.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.OptWriter;
import io.flightllm.model.testing.OptWriter.Spec;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The OPT reference pass on random checkpoints written in HF layout, for every variation point (pre- and post-norm,
 * project_in/out, tied and untied head, no "model." prefix, widths that are not multiples of 16): the vector kernel
 * stays within the rounding bound of the golden one in every product it computes, the exact kernel gives the golden
 * bits, and batched prefill equals position-by-position forward for every kernel.
 */
class OptForwardTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> shapes() {
        Spec base = Spec.preLn();
        return Stream.of(
                Arguments.of("pre-LN tied", base),
                Arguments.of("post-LN", base.postLn().seed(2)),
                Arguments.of("project_in/out", base.embedDim(20).seed(3)),
                Arguments.of("post-LN project_in/out untied", base.postLn().embedDim(20).untied().seed(4)),
                Arguments.of("untied, no model. prefix", base.untied().prefix("").seed(5)),
                Arguments.of("dim 36, 4 heads, ffn 50", base.shape(36, 50, 3, 4).seed(6)));
    }

    private Model load(String name, Spec s) {
        Path dir = tmp.resolve(name.replaceAll("[^a-zA-Z0-9]", "_"));
        OptWriter.write(s, dir);
        return ModelLoader.load(dir);
    }

    /** Random token ids from the whole model vocabulary, padding rows included (they are valid model inputs). */
    static int[] tokens(ModelConfig c, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] t = new int[n];
        t[0] = c.bosId();
        for (int i = 1; i < n; i++) {
            t[i] = rnd.nextInt(c.vocabSize());
        }
        return t;
    }

    /**
     * A kernel that computes every product with {@code fast} and checks it against the golden product of the same
     * inputs within the rounding-error bound {@code 2 n 2^-24 sum |w_j x_j|} (VectorMatVecTest's), so the check holds
     * along the fast pass's own trajectory, where a whole-model bound could not be derived.
     */
    static final class BoundChecked implements MatVec {
        final MatVec fast;
        final ScalarMatVec golden = new ScalarMatVec();
        long rowsChecked;

        BoundChecked(MatVec fast) {
            this.fast = fast;
        }

        @Override
        public void apply(Tensor w, float[] x, float[] out) {
            fast.apply(w, x, out);
            check(w, x, out);
        }

        @Override
        public void applyBatch(Tensor w, float[][] x, float[][] out, int n) {
            fast.applyBatch(w, x, out, n);
            for (int b = 0; b < n; b++) {
                check(w, x[b], out[b]);
            }
        }

        private void check(Tensor w, float[] x, float[] out) {
            float[] g = new float[Math.toIntExact(w.rows())];
            golden.apply(w, x, g);
            VectorMatVecTest.assertWithinBound(w, x, java.util.Arrays.copyOf(out, g.length), g);
            rowsChecked += g.length;
        }

        @Override
        public String name() {
            return "bound-checked " + fast.name();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void vectorWithinTheRoundingBoundAndExactIsGolden(String name, Spec s) {
        try (Model m = load(name, s);
             VectorMatVec vector = new VectorMatVec(2, 0);
             ExactVectorMatVec exact = new ExactVectorMatVec(2, 0, true)) {
            ModelConfig c = m.config();
            assertThat(c.family()).isEqualTo(ModelConfig.Family.OPT);
            int n = 24;
            int[] t = tokens(c, n, s.seed());
            BoundChecked checked = new BoundChecked(vector);
            DecoderForward golden = DecoderForward.create(c, m.weights(), new ScalarMatVec(), n);
            DecoderForward fv = DecoderForward.create(c, m.weights(), checked, n);
            DecoderForward fe = DecoderForward.create(c, m.weights(), exact, n);
            float maxErr = 0;
            float maxLogit = 0;
            for (int pos = 0; pos < n; pos++) {
                float[] g = golden.forward(t[pos], pos).clone();
                assertThat(fe.forward(t[pos], pos)).as("exact logits at %d", pos).isEqualTo(g);
                float[] v = fv.forward(t[pos], pos);
                for (int i = 0; i < g.length; i++) {
                    maxErr = Math.max(maxErr, Math.abs(v[i] - g[i]));
                    maxLogit = Math.max(maxLogit, Math.abs(g[i]));
                }
            }
            System.out.printf(Locale.ROOT, "OPT %s: %d products within the rounding bound; max |logit - golden| = "
                    + "%.3g (max |logit| %.3g)%n", name, checked.rowsChecked, maxErr, maxLogit);
            assertThat(checked.rowsChecked).isGreaterThan(0);
            assertThat(maxLogit).as("logits are not degenerate").isGreaterThan(0.5f);
            // the per-product bound above is the real check; this only shows no error was amplified past 1e-3
            assertThat(maxErr).isLessThan(1e-3f);
        }
    }

    /** Test of the test: a kernel whose products drift by more than the rounding bound fails the checked pass. */
    @Test
    void theBoundCheckCatchesAWrongProduct() {
        try (Model m = load("drift", Spec.preLn())) {
            MatVec drifting = new MatVec() {
                final ScalarMatVec golden = new ScalarMatVec();

                @Override
                public void apply(Tensor w, float[] x, float[] out) {
                    golden.apply(w, x, out);
                    out[0] += 1e-3f; // far above 2 n 2^-24 sum |w_j x_j| for these O(1) rows
                }

                @Override
                public String name() {
                    return "drifting";
                }
            };
            DecoderForward f = DecoderForward.create(m.config(), m.weights(), new BoundChecked(drifting), 4);
            assertThatThrownBy(() -> f.forward(2, 0)).isInstanceOf(AssertionError.class).hasMessageContaining("row 0");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void batchedPrefillEqualsTokenByTokenForEveryKernel(String name, Spec s0) {
        Spec s = new Spec(s0.dim(), s0.ffn(), s0.layers(), s0.heads(), 80, s0.embedDim(), s0.normBefore(), s0.tied(),
                s0.merges(), s0.padVocab(), s0.prefix(), s0.seed());
        try (Model m = load(name, s)) {
            ModelConfig c = m.config();
            int n = DecoderForward.PREFILL_CHUNK + 6; // two chunks, the second not a multiple of any tile
            int[] t = tokens(c, n + 1, 7);
            for (Supplier<MatVec> kernel : List.<Supplier<MatVec>>of(ScalarMatVec::new,
                    () -> new VectorMatVec(2, 0), () -> new ExactVectorMatVec(2, 0, true))) {
                try (MatVec a = kernel.get(); MatVec b = kernel.get()) {
                    DecoderForward rowByRow = DecoderForward.create(c, m.weights(), a, n + 1);
                    DecoderForward batched = DecoderForward.create(c, m.weights(), b, n + 1);
                    float[] expected = null;
                    for (int pos = 0; pos < n; pos++) {
                        expected = rowByRow.forward(t[pos], pos);
                    }
                    float[] actual = batched.prefill(t, 0, n, true);
                    assertThat(actual).as("%s prefill logits with %s", name, a.name()).isEqualTo(expected);
                    assertThat(batched.forward(t[n], n)).as("%s next step with %s", name, a.name())
                            .isEqualTo(rowByRow.forward(t[n], n));
                }
            }
        }
    }
}
