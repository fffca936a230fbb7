package io.flightllm.twin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.ForwardingWeightSource;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.compress.WeightSource;
import io.flightllm.compress.algo.GptqCompressor;
import io.flightllm.compress.algo.SmoothQuant;
import io.flightllm.compress.algo.SmoothQuant.Site;
import io.flightllm.compress.flm.FlmReader;
import io.flightllm.compress.flm.FlmWriter;
import io.flightllm.model.Model;
import io.flightllm.twin.eval.Calibration;
import io.flightllm.twin.eval.Corpus;
import io.flightllm.twin.eval.LogitModel;
import io.flightllm.twin.eval.ModelCompression;
import io.flightllm.twin.eval.WeightOnlyModel;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * SmoothQuant on stories260K (GQA: 8 query heads on 4 KV heads): smoothing is an identity of the FP32 model up to
 * float rounding, a one-sided fold is caught by the same check, and a smoothed GPTQ W8 .flm runs bit-identically on
 * the fast and golden twins.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmoothingTest {
    /** Largest |logit difference| allowed for "equal up to float rounding" (logits span about +-15 here). */
    static final float ROUNDING = 2e-4f;
    static final int TOKENS = 48;

    private Model stories;
    private Map<String, CalibrationStats> stats;
    private WeightSource original;
    private SmoothQuant all;
    private float[][] reference;

    @BeforeAll
    void setUp() {
        stories = TestModels.stories260K();
        Corpus calib = Corpus.sample(stories, 4, 96, Corpus.CALIBRATION_SEED_BASE, 1.0f, 1.0f);
        stats = Calibration.collect(stories, calib, true);
        original = new ModelWeightSource(stories);
        all = ModelCompression.fitSmoothing(stories, stats, new SmoothQuant.Options(0.5, EnumSet.allOf(Site.class)));
        reference = logits(WeightOnlyModel.ofSource(original, TOKENS, "fp32"));
    }

    @AfterAll
    void close() {
        stories.close();
    }

    @Test
    void smoothingIsAnIdentityOfTheFp32Model() {
        assertThat(stories.config().nKvHeads()).as("GQA, so the wo fold is shared by query heads")
                .isLessThan(stories.config().nHeads());
        // the scales are far from 1, so an identity is not trivially true
        for (Site site : Site.values()) {
            float[] s = all.scales(site == Site.CLASSIFIER ? -1 : 2, site);
            assertThat(ratio(s)).as(site + " max/min scale").isGreaterThan(1.5f);
        }
        float diff = assertSameLogits(all.apply(original), "smoothed");
        System.out.printf("stories260K smoothed FP32 (alpha 0.5, every site): max |logit diff| %.2e%n", diff);
    }

    @Test
    void aOneSidedFoldIsDetected() {
        WeightSource smoothed = all.apply(original);
        SmoothQuant noOut = ModelCompression.fitSmoothing(stories, stats,
                new SmoothQuant.Options(0.5, EnumSet.of(Site.QKV, Site.GATE_UP, Site.CLASSIFIER)));
        WeightSource noOutSource = noOut.apply(original);
        // the attention norm keeps 1/s: wq/wk/wv columns are multiplied by s with nothing to undo it
        WeightSource normSideMissing = new Replacing(smoothed) {
            @Override
            public float[] attnNorm(int layer) {
                return original.attnNorm(layer);
            }
        };
        // wo columns multiplied by s, wv rows not divided (the OUT scales are unique to the all-sites fit)
        WeightSource wvSideMissing = new Replacing(smoothed) {
            @Override
            public float[] matrix(int layer, LinearKind kind) {
                return kind == LinearKind.V ? noOutSource.matrix(layer, kind) : smoothed.matrix(layer, kind);
            }
        };
        // w2 columns multiplied by s, w3 rows not divided
        WeightSource w3SideMissing = new Replacing(smoothed) {
            @Override
            public float[] matrix(int layer, LinearKind kind) {
                return kind == LinearKind.W3 ? noOutSource.matrix(layer, kind) : smoothed.matrix(layer, kind);
            }
        };
        for (WeightSource bad : new WeightSource[] {normSideMissing, wvSideMissing, w3SideMissing}) {
            assertThatThrownBy(() -> assertSameLogits(bad, "corrupted")).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("corrupted");
        }
    }

    @Test
    void smoothedGptqFlmRunsBitIdenticallyOnFastAndGoldenTwins(@TempDir Path dir) {
        SmoothQuant sq = ModelCompression.fitSmoothing(stories, stats, SmoothQuant.Options.of(0.5));
        ModelCompressor.CalibrationSource cal = sq.apply(ModelCompression.source(stats));
        LinearCompressor gptq = (t, w, rows, cols, s) -> GptqCompressor.DEFAULT.compress(t.name(), t.bits(),
                t.groupSize(), t.blockDensities(), w, rows, cols, s);
        Path flm = dir.resolve("smoothed.flm");
        try (FlmWriter out = FlmWriter.create(flm)) {
            new ModelCompressor(CompressionProfile.named("w8"), gptq, "gptq").run(sq.apply(original), cal, out,
                    (l, k, d, n) -> { });
        }
        CompressedModel cm = FlmReader.read(flm);
        assertThat(cm.recipe()).contains("SmoothQuant alpha 0.50");
        // the stored norms carry the fold
        assertThat(cm.layers().get(0).attnNorm()).isEqualTo(sq.apply(original).attnNorm(0));
        TwinEquivalenceTest.checkEquivalence(cm, TwinEquivalenceTest.tokens(24, 512, 7), "smoothed GPTQ W8 .flm");
    }

    /** Asserts the FP32 logits of {@code source} equal the original's within {@link #ROUNDING}; returns the max. */
    private float assertSameLogits(WeightSource source, String label) {
        float[][] got = logits(WeightOnlyModel.ofSource(source, TOKENS, label));
        float max = 0;
        for (int p = 0; p < got.length; p++) {
            for (int i = 0; i < got[p].length; i++) {
                float d = Math.abs(got[p][i] - reference[p][i]);
                if (!(d <= ROUNDING)) {
                    throw new AssertionError(label + ": logit " + i + " at position " + p + " differs by " + d
                            + " (> " + ROUNDING + ")");
                }
                max = Math.max(max, d);
            }
        }
        return max;
    }

    private float[][] logits(LogitModel m) {
        try (m) {
            int[] toks = TwinEquivalenceTest.tokens(TOKENS, stories.config().vocabSize(), 21);
            float[][] out = new float[TOKENS][];
            for (int p = 0; p < TOKENS; p++) {
                out[p] = m.forward(toks[p], p).clone();
            }
            return out;
        }
    }

    private static float ratio(float[] s) {
        float min = Float.MAX_VALUE;
        float max = 0;
        for (float v : s) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return max / min;
    }

    /** Delegates everything; tests override one tensor. */
    private static class Replacing extends ForwardingWeightSource {
        Replacing(WeightSource inner) {
            super(inner);
        }
    }
}
