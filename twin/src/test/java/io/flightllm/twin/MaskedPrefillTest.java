package io.flightllm.twin;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.arch.numerics.Sfu;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.algo.AttentionMask;
import io.flightllm.model.Model;
import io.flightllm.twin.TestCompressor.DensityPlan;
import io.flightllm.twin.TestCompressor.Recipe;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Block-sparse prefill attention masks on the twin: prompt rows of a masked model attend only to the keys the mask
 * keeps, decode steps densely; the fast twin equals the golden one bit for bit either way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MaskedPrefillTest {
    /** 16-token blocks, one sink block, a band of two: a 100-token prompt masks keys from position 48 on. */
    private static final AttentionMask MASK = new AttentionMask(16, 1, 2);
    private Model stories;
    private CompressedModel masked;

    @BeforeAll
    void load() {
        stories = TestModels.stories260K();
        masked = TestCompressor.compress(stories, Recipe.of("W8 dense G=K16", 8, 0, DensityPlan.dense()))
                .withAttentionMask(MASK);
    }

    @AfterAll
    void close() {
        stories.close();
    }

    @Test
    void theHoleIsExactlyWhatTheMaskHides() {
        for (AttentionMask m : new AttentionMask[] {MASK, AttentionMask.DEFAULT, new AttentionMask(32, 0, 1),
                new AttentionMask(16, 3, 1)}) {
            for (int q = 0; q < 400; q++) {
                for (int k = 0; k <= q; k++) {
                    boolean inHole = k >= m.holeStart(q) && k < m.holeEnd(q);
                    assertThat(!inHole).as(m + " q " + q + " k " + k).isEqualTo(m.allowed(q, k));
                }
            }
        }
    }

    @Test
    void theVectorMaskedSoftmaxEqualsTheScalarOne() {
        SplittableRandom r = new SplittableRandom(3);
        for (int n = 1; n < 200; n += 7) {
            for (int h0 = 0; h0 < n; h0 += 5) {
                // the query's own (last) position is never masked
                int h1 = Math.max(h0, Math.min(n - 1, h0 + r.nextInt(40)));
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (float) (r.nextGaussian() * 4);
                }
                float[] b = a.clone();
                Arrays.fill(b, h0, h1, Float.NaN); // whatever sits in the masked columns must not matter
                Sfu.softmax(a, n, h0, h1);
                VectorKernels.softmax(b, n, h0, h1);
                for (int i = 0; i < n; i++) {
                    assertThat(Float.floatToRawIntBits(b[i])).as("n " + n + " hole " + h0 + ".." + h1 + " at " + i)
                            .isEqualTo(Float.floatToRawIntBits(a[i]));
                }
                for (int i = h0; i < h1; i++) {
                    assertThat(Float.floatToRawIntBits(a[i])).isZero();
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} thread(s)")
    @ValueSource(ints = {1, 2})
    void maskedPrefillThenDecodeIsBitIdenticalToTheGoldenTwin(int threads) {
        int[] prompt = TwinEquivalenceTest.tokens(100, stories.config().vocabSize(), 7);
        GoldenTwin golden = new GoldenTwin(masked, 160);
        float[] want = null;
        for (int i = 0; i < prompt.length; i++) {
            want = golden.prefillRow(prompt[i], i);
        }
        try (FastTwin fast = new FastTwin(masked, threads, 160)) {
            assertBits(fast.prefill(prompt, 0), want, "last prompt row");
            int token = argmax(want);
            for (int pos = prompt.length; pos < prompt.length + 6; pos++) {
                float[] g = golden.forward(token, pos);
                assertBits(fast.forward(token, pos), g, "decode at " + pos);
                token = argmax(g);
            }
        }
    }

    @Test
    void theMaskChangesLongPromptsOnlyAndDecodeStaysDense() {
        CompressedModel dense = masked.withAttentionMask(null);
        int[] shortPrompt = TwinEquivalenceTest.tokens(40, stories.config().vocabSize(), 9); // inside sinks + band
        int[] longPrompt = TwinEquivalenceTest.tokens(100, stories.config().vocabSize(), 9);
        try (FastTwin a = new FastTwin(masked, 1, 128); FastTwin b = new FastTwin(dense, 1, 128)) {
            assertBits(a.prefill(shortPrompt, 0).clone(), b.prefill(shortPrompt, 0), "a prompt the band covers");
            float[] ml = a.prefill(longPrompt, 0).clone();
            float[] dl = b.prefill(longPrompt, 0);
            assertThat(Arrays.equals(ml, dl)).as("masking keys 16..47 of a 100-token prompt changes its logits")
                    .isFalse();
        }
        // so the bit-equality above would catch a twin that applied a different band
        try (FastTwin a = new FastTwin(masked.withAttentionMask(new AttentionMask(16, 1, 3)), 1, 128)) {
            assertThat(Arrays.equals(a.prefill(longPrompt, 0), new GoldenTwinRun(masked).last(longPrompt)))
                    .as("a band of 3 blocks instead of 2").isFalse();
        }
        // decode steps ignore the mask: token by token as decode, both models give the same bits
        try (FastTwin a = new FastTwin(masked, 1, 128); FastTwin b = new FastTwin(dense, 1, 128)) {
            for (int pos = 0; pos < longPrompt.length; pos++) {
                assertBits(a.forward(longPrompt[pos], pos).clone(), b.forward(longPrompt[pos], pos), "decode " + pos);
            }
        }
    }

    /** The golden twin's logits of a prompt's last row. */
    private record GoldenTwinRun(CompressedModel model) {
        float[] last(int[] prompt) {
            GoldenTwin g = new GoldenTwin(model, 128);
            float[] out = null;
            for (int i = 0; i < prompt.length; i++) {
                out = g.prefillRow(prompt[i], i);
            }
            return out;
        }
    }

    private static int argmax(float[] v) {
        return Logits.argmax(v);
    }

    private static void assertBits(float[] got, float[] want, String what) {
        Logits.assertBitIdentical(want, got, what);
    }
}
