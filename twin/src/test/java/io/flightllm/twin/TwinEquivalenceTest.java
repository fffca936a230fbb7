package io.flightllm.twin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.model.Model;
import io.flightllm.twin.TestCompressor.DensityPlan;
import io.flightllm.twin.TestCompressor.Recipe;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** FastTwin == GoldenTwin bit for bit: every position, 1 and 2 threads, decode and batched prefill. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwinEquivalenceTest {
    private Model stories;
    private Model odd;
    private Model wide;

    @BeforeAll
    void load() {
        stories = TestModels.stories260K();
        // dims that are multiples of neither 16 nor the group size: dim 72, hidden 100, 3 heads of 24, 1 KV head
        odd = TestModels.randomLlama(72, 100, 2, 3, 1, 24, 75, 64, 42);
        // unpadded heads (head size 32, several 16-lane steps per head), GQA 4:2, hidden not a multiple of 16
        wide = TestModels.randomLlama(128, 344, 1, 4, 2, 32, 300, 64, 43);
    }

    @AfterAll
    void close() {
        stories.close();
        odd.close();
        wide.close();
    }

    Stream<Recipe> storiesRecipes() {
        return Stream.of(
                Recipe.of("W8 dense G=K16", 8, 0, DensityPlan.dense()),
                Recipe.of("W4 dense G=32", 4, 32, DensityPlan.dense()),
                Recipe.of("W3 dense G=16", 3, 16, DensityPlan.dense()),
                Recipe.of("W2 dense G=48", 2, 48, DensityPlan.dense()),
                Recipe.of("W4 N=0", 4, 32, DensityPlan.uniform(0)),
                Recipe.of("W4 N=2", 4, 32, DensityPlan.uniform(2)),
                Recipe.of("W4 N=4", 4, 32, DensityPlan.uniform(4)),
                Recipe.of("W4 N=8", 4, 32, DensityPlan.uniform(8)),
                Recipe.of("W4 mix 0.5", 4, 32, DensityPlan.mixHalf()),
                new Recipe("W8/4/3/2 mix 0.5", new int[] {8, 4, 3, 2}, 16, DensityPlan.mixHalf()));
    }

    Stream<Recipe> oddRecipes() {
        return Stream.of(
                Recipe.of("W8 dense G=K16", 8, 0, DensityPlan.dense()),
                Recipe.of("W8 dense G=32", 8, 32, DensityPlan.dense()), // several DENSE8 groups per row pair
                Recipe.of("W4 dense G=32", 4, 32, DensityPlan.dense()),
                Recipe.of("W4 mix 0.5 G=48", 4, 48, DensityPlan.mixHalf()),
                new Recipe("W2/3 N=8 G=16", new int[] {2, 3}, 16, DensityPlan.uniform(8)));
    }

    static int[] tokens(int n, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        t[0] = 1;
        for (int i = 1; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    @ParameterizedTest(name = "stories260K {0}")
    @MethodSource("storiesRecipes")
    void storiesFastEqualsGolden(Recipe recipe) {
        CompressedModel cm = TestCompressor.compress(stories, recipe);
        checkEquivalence(cm, tokens(24, 512, 7), recipe.toString());
    }

    @ParameterizedTest(name = "dim 72 {0}")
    @MethodSource("oddRecipes")
    void oddShapesFastEqualsGolden(Recipe recipe) {
        CompressedModel cm = TestCompressor.compress(odd, recipe);
        checkEquivalence(cm, tokens(40, 75, 9), recipe.toString());
    }

    @ParameterizedTest(name = "dim 128 {0}")
    @MethodSource("oddRecipes")
    void unpaddedHeadsFastEqualsGolden(Recipe recipe) {
        CompressedModel cm = TestCompressor.compress(wide, recipe);
        checkEquivalence(cm, tokens(36, 300, 13), recipe.toString());
    }

    @Test
    void mixedRecipeReallyAveragesHalfDensityAndMixesModes() {
        CompressedModel cm = TestCompressor.compress(stories, Recipe.of("mix", 4, 32, DensityPlan.mixHalf()));
        long kept = 0;
        long slots = 0;
        boolean[] seen = new boolean[17];
        for (CompressedLinear l : cm.linears()) {
            byte[] d = l.blockDensities();
            kept += Math.round(BlockDensity.mean(d) * 16 * d.length);
            slots += 16L * d.length;
            for (byte b : d) {
                seen[b] = true;
            }
        }
        double mean = (double) kept / slots;
        System.out.printf("stories260K mix plan: mean block density %.4f%n", mean);
        assertThat(mean).isBetween(0.45, 0.55);
        assertThat(seen[2] && seen[4] && seen[8] && seen[16]).isTrue();
    }

    /** Golden token by token; Fast with 1 and 2 threads by decode; Fast by batched prefill, then decoding on. */
    static void checkEquivalence(CompressedModel cm, int[] toks, String label) {
        int n = toks.length;
        GoldenTwin golden = new GoldenTwin(cm, n);
        float[][] gold = new float[n][];
        for (int p = 0; p < n; p++) {
            gold[p] = golden.forward(toks[p], p);
            assertThat(gold[p]).hasSize(cm.config().vocabSize());
        }
        // a model whose logits never vary would make the comparison weak: require real signal except at N = 0
        boolean allZeroDensity = cm.linears().stream().allMatch(l -> BlockDensity.mean(l.blockDensities()) == 0);
        if (!allZeroDensity) {
            assertThat(Arrays.equals(gold[n - 1], gold[n - 2])).as("logits vary by position").isFalse();
            assertThat(Arrays.stream(box(gold[n - 1])).distinct().count()).isGreaterThan(10);
        }
        for (int threads : new int[] {1, 2}) {
            try (FastTwin fast = new FastTwin(cm, threads, n)) {
                for (int p = 0; p < n; p++) {
                    Logits.assertBitIdentical(gold[p], fast.forward(toks[p], p),
                            label + ", " + threads + " thread(s), decode pos " + p);
                }
            }
        }
        try (FastTwin fast = new FastTwin(cm, 2, n)) {
            // one batch longer than MAX_BATCH (chunked), then a second prefill starting mid-sequence, then decode
            int a = Math.min(n - 4, FastTwin.MAX_BATCH + 3);
            Logits.assertBitIdentical(gold[a - 1], fast.prefill(Arrays.copyOfRange(toks, 0, a), 0),
                    label + ", prefill [0, " + a + ")");
            Logits.assertBitIdentical(gold[n - 3], fast.prefill(Arrays.copyOfRange(toks, a, n - 2), a),
                    label + ", prefill [" + a + ", " + (n - 2) + ")");
            for (int p = n - 2; p < n; p++) {
                Logits.assertBitIdentical(gold[p], fast.forward(toks[p], p), label + ", decode after prefill " + p);
            }
        }
    }

    private static Float[] box(float[] v) {
        Float[] b = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = v[i];
        }
        return b;
    }

    @Test
    void corruptedGoldenValueFailsTheComparison() {
        CompressedModel cm = TestCompressor.compress(stories, Recipe.of("W4", 4, 32, DensityPlan.mixHalf()));
        int[] toks = tokens(6, 512, 3);
        GoldenTwin golden = new GoldenTwin(cm, toks.length);
        try (FastTwin fast = new FastTwin(cm, 2, toks.length)) {
            for (int p = 0; p < toks.length; p++) {
                float[] g = golden.forward(toks[p], p).clone();
                float[] f = fast.forward(toks[p], p);
                Logits.assertBitIdentical(g, f, "pos " + p);
                int i = (p * 97) % g.length;
                g[i] = Math.nextUp(g[i]); // one ulp in one logit
                float[] corrupted = g;
                String where = "corrupted pos " + p;
                assertThatThrownBy(() -> Logits.assertBitIdentical(corrupted, f, where))
                        .isInstanceOf(AssertionError.class).hasMessageContaining("logit " + i);
            }
        }
    }

    @Test
    void aChangedWeightChangesTheLogits() {
        // the comparison is sensitive: one quantized weight off by one gives different golden logits
        CompressedModel cm = TestCompressor.compress(stories, Recipe.of("W8", 8, 0, DensityPlan.dense()));
        int[] toks = tokens(4, 512, 5);
        float[] before = run(new GoldenTwin(cm, 4), toks);
        byte[] values = cm.classifier().values();
        int at = (int) cm.classifier().valueOffset(10) + 3;
        byte orig = values[at];
        values[at] = (byte) (orig > 0 ? orig - 5 : orig + 5);
        try {
            float[] after = run(new GoldenTwin(cm, 4), toks);
            assertThatThrownBy(() -> Logits.assertBitIdentical(before, after, "changed weight"))
                    .isInstanceOf(AssertionError.class).hasMessageContaining("logit 10 ");
        } finally {
            values[at] = orig;
        }
    }

    private static float[] run(GoldenTwin g, int[] toks) {
        float[] last = null;
        for (int p = 0; p < toks.length; p++) {
            last = g.forward(toks[p], p);
        }
        return last;
    }

    @Test
    void refusesBadSteps() {
        CompressedModel cm = TestCompressor.compress(odd, Recipe.of("W8", 8, 0, DensityPlan.dense()));
        try (FastTwin fast = new FastTwin(cm, 1, 8)) {
            assertThatThrownBy(() -> fast.forward(75, 0)).hasMessageContaining("vocabulary");
            assertThatThrownBy(() -> fast.forward(1, 8)).hasMessageContaining("context");
            assertThatThrownBy(() -> fast.prefill(new int[0], 0)).hasMessageContaining("at least one");
        }
        assertThatThrownBy(() -> new FastTwin(cm, 0, 8)).hasMessageContaining("threads");
    }
}
