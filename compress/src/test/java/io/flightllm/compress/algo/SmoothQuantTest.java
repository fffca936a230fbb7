package io.flightllm.compress.algo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.RandomWeightSource;
import io.flightllm.compress.WeightSource;
import io.flightllm.compress.algo.SmoothQuant.Site;
import io.flightllm.model.ModelConfig;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Where SmoothQuant folds its scales, the scale formula, and the smoothed calibration statistics. */
class SmoothQuantTest {
    // GQA 4 query heads on 2 KV heads, head size 8 (padded to 16 in the wo inputs)
    static final ModelConfig C = new ModelConfig(ModelConfig.Family.LLAMA, 32, 48, 2, 4, 2, 40, 8, 8, 1e-5f,
            10000f, ModelConfig.NormKind.RMS_NORM, ModelConfig.MlpKind.SWIGLU, ModelConfig.PositionKind.ROPE, false,
            false, false, 1, List.of()).validate("test");

    /** Random inputs with a per-column magnitude spread of 1..30 (outlier channels), wo inputs head-padded. */
    static Map<String, CalibrationCollector> collectors(long seed, int tokens) {
        return collectors(seed, tokens, name -> null);
    }

    /** As above, each row divided element-wise by {@code divisor.apply(name)} (when not null) before collecting. */
    static Map<String, CalibrationCollector> collectors(long seed, int tokens,
                                                        java.util.function.Function<String, double[]> divisor) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, CalibrationCollector> m = new HashMap<>();
        for (int l = -1; l < C.nLayers(); l++) {
            for (LinearKind k : l < 0 ? List.of(LinearKind.CLASSIFIER) : LinearKind.LAYER_KINDS) {
                int cols = switch (k) {
                    case W2 -> C.hiddenDim();
                    case O -> C.nHeads() * 16;
                    default -> C.dim();
                };
                CalibrationCollector col = new CalibrationCollector(cols, true);
                double[] range = new double[cols];
                for (int j = 0; j < cols; j++) {
                    range[j] = k == LinearKind.O && j % 16 >= 8 ? 0 : 1 + 29 * r.nextDouble() * r.nextDouble();
                }
                double[] d = divisor.apply(k.tensorName(l));
                for (int t = 0; t < tokens; t++) {
                    float[] x = new float[cols];
                    for (int j = 0; j < cols; j++) {
                        x[j] = (float) ((r.nextDouble() * 2 - 1) * range[j]);
                        x[j] = d == null ? x[j] : (float) (x[j] / d[j]);
                    }
                    col.add(x);
                }
                m.put(k.tensorName(l), col);
            }
        }
        return m;
    }

    static ModelCompressor.CalibrationSource source(Map<String, CalibrationCollector> m) {
        return (layer, kind) -> m.get(kind.tensorName(layer)).stats();
    }

    static final Map<String, CalibrationCollector> CAL = collectors(5, 40);
    static final WeightSource W = new RandomWeightSource(C, 11);

    @Test
    void foldsEachScaleIntoTheProducerAndTheConsumers() {
        SmoothQuant sq = SmoothQuant.fit(W, source(CAL), new SmoothQuant.Options(0.5, EnumSet.allOf(Site.class)));
        WeightSource s = sq.apply(W);
        int dim = C.dim();
        int hid = C.hiddenDim();
        assertThat(s.tokenEmbedding()).isEqualTo(W.tokenEmbedding());
        for (int l = 0; l < C.nLayers(); l++) {
            float[] qkv = sq.scales(l, Site.QKV);
            float[] gu = sq.scales(l, Site.GATE_UP);
            float[] down = sq.scales(l, Site.DOWN);
            float[] out = sq.scales(l, Site.OUT);
            assertThat(out).hasSize(C.kvDim());
            for (float[] sc : List.of(qkv, gu, down, out)) {
                assertNontrivial(sc);
            }
            assertDivided(s.attnNorm(l), W.attnNorm(l), qkv);
            assertDivided(s.ffnNorm(l), W.ffnNorm(l), gu);
            for (LinearKind k : List.of(LinearKind.Q, LinearKind.K)) {
                assertScaled(s.matrix(l, k), W.matrix(l, k), dim, i -> 1f, j -> qkv[j]);
            }
            assertScaled(s.matrix(l, LinearKind.V), W.matrix(l, LinearKind.V), dim, i -> out[i], j -> qkv[j]);
            assertScaled(s.matrix(l, LinearKind.W1), W.matrix(l, LinearKind.W1), dim, i -> 1f, j -> gu[j]);
            assertScaled(s.matrix(l, LinearKind.W3), W.matrix(l, LinearKind.W3), dim, i -> down[i], j -> gu[j]);
            assertScaled(s.matrix(l, LinearKind.W2), W.matrix(l, LinearKind.W2), hid, i -> 1f, j -> down[j]);
            // wo column h*hs+k reads KV channel (h / (heads per KV head))*hs + k: query heads 0,1 share KV head 0
            int hs = C.headSize();
            assertScaled(s.matrix(l, LinearKind.O), W.matrix(l, LinearKind.O), C.qDim(), i -> 1f,
                    j -> out[(j / hs) / 2 * hs + j % hs]);
        }
        float[] cls = sq.scales(-1, Site.CLASSIFIER);
        assertNontrivial(cls);
        assertDivided(s.finalNorm(), W.finalNorm(), cls);
        assertScaled(s.matrix(-1, LinearKind.CLASSIFIER), W.matrix(-1, LinearKind.CLASSIFIER), dim, i -> 1f,
                j -> cls[j]);
        assertThat(s.describe()).contains("SmoothQuant alpha 0.50 at qkv,gate_up,down,out,classifier");
    }

    @Test
    void unselectedSitesStayUnchanged() {
        SmoothQuant sq = SmoothQuant.fit(W, source(CAL), new SmoothQuant.Options(0.5, EnumSet.of(Site.DOWN)));
        WeightSource s = sq.apply(W);
        assertThat(sq.scales(0, Site.QKV)).isNull();
        assertThat(sq.scales(0, Site.OUT)).isNull();
        assertThat(s.attnNorm(1)).isEqualTo(W.attnNorm(1));
        assertThat(s.matrix(1, LinearKind.V)).isEqualTo(W.matrix(1, LinearKind.V));
        assertThat(s.matrix(1, LinearKind.O)).isEqualTo(W.matrix(1, LinearKind.O));
        assertThat(s.finalNorm()).isEqualTo(W.finalNorm());
        assertThat(s.matrix(1, LinearKind.W2)).isNotEqualTo(W.matrix(1, LinearKind.W2));
    }

    @Test
    void scalesFollowTheFormulaWithTheMaxOverTheSharingWeights() {
        double a = 0.3;
        SmoothQuant sq = SmoothQuant.fit(W, source(CAL), new SmoothQuant.Options(a, EnumSet.allOf(Site.class)));
        float[] s = sq.scales(1, Site.QKV);
        double[] xmax = CAL.get("layers.1.wq").stats().columnAbsMax();
        for (int j = 0; j < C.dim(); j++) {
            double wmax = 0;
            for (LinearKind k : List.of(LinearKind.Q, LinearKind.K, LinearKind.V)) {
                float[] w = W.matrix(1, k);
                for (int i = j; i < w.length; i += C.dim()) {
                    wmax = Math.max(wmax, Math.abs(w[i]));
                }
            }
            assertThat(s[j]).isEqualTo((float) (Math.pow(xmax[j], a) / Math.pow(wmax, 1 - a)));
        }
        // OUT: the activation range is the max over both query heads reading a KV channel (padded layout)
        float[] out = sq.scales(0, Site.OUT);
        double[] xo = CAL.get("layers.0.wo").stats().columnAbsMax();
        float[] wo = W.matrix(0, LinearKind.O);
        for (int ch = 0; ch < C.kvDim(); ch++) {
            int g = ch / C.headSize();
            int k = ch % C.headSize();
            double x = Math.max(xo[(2 * g) * 16 + k], xo[(2 * g + 1) * 16 + k]);
            double wmax = 0;
            for (int r = 0; r < C.dim(); r++) {
                for (int h : new int[] {2 * g, 2 * g + 1}) {
                    wmax = Math.max(wmax, Math.abs(wo[r * C.qDim() + h * C.headSize() + k]));
                }
            }
            assertThat(out[ch]).isEqualTo((float) (Math.pow(x, a) / Math.pow(wmax, 1 - a)));
        }
        assertThat(SmoothQuant.scales(new double[] {0, 2}, 0.5, new double[] {1, 0})).containsExactly(1f, 1f);
    }

    @Test
    void smoothedStatisticsAreThoseOfTheScaledInputs() {
        SmoothQuant sq = SmoothQuant.fit(W, source(CAL), new SmoothQuant.Options(0.6, EnumSet.allOf(Site.class)));
        // replay the same random inputs divided by the per-column divisor and collect them directly
        List<LinearKind> kinds = List.of(LinearKind.Q, LinearKind.O, LinearKind.W2, LinearKind.W3);
        Map<String, double[]> div = new HashMap<>();
        kinds.forEach(k -> div.put(k.tensorName(0), divisors(sq, k)));
        Map<String, CalibrationCollector> scaled = collectors(5, 40, div::get);
        for (LinearKind k : kinds) {
            CalibrationStats direct = scaled.get(k.tensorName(0)).stats();
            CalibrationStats smoothed = sq.smooth(0, k, CAL.get(k.tensorName(0)).stats());
            assertClose(smoothed.columnSumSq(), direct.columnSumSq());
            assertClose(smoothed.hessian(), direct.hessian());
            assertClose(smoothed.columnAbsMax(), direct.columnAbsMax());
        }
        // w3's input is the FFN norm output (smoothed by GATE_UP), not the DOWN site
        assertThat(sq.smooth(0, LinearKind.W3, CAL.get("layers.0.w3").stats()).columnSumSq())
                .isNotEqualTo(CAL.get("layers.0.w3").stats().columnSumSq());
    }

    @Test
    void refusesBadAlphaAndMissingMaxima() {
        assertThatThrownBy(() -> SmoothQuant.Options.of(1.5)).hasMessageContaining("alpha 1.5");
        assertThatThrownBy(() -> SmoothQuant.Options.of(Double.NaN)).hasMessageContaining("alpha NaN");
        ModelCompressor.CalibrationSource noMax = (layer, kind) -> {
            CalibrationStats st = CAL.get(kind.tensorName(layer)).stats();
            return new CalibrationStats(st.cols(), st.tokens(), st.columnSumSq(), null);
        };
        assertThatThrownBy(() -> SmoothQuant.fit(W, noMax, SmoothQuant.Options.of(0.5)))
                .hasMessageContaining("layers.0.wq").hasMessageContaining("max |X_j|");
        assertThatThrownBy(() -> SmoothQuant.parseSites("qkv,mlp")).hasMessageContaining("'mlp'")
                .hasMessageContaining("gate_up");
        assertThat(SmoothQuant.parseSites("down, out")).containsExactly(Site.DOWN, Site.OUT);
    }

    /** The divisor of each input column of kind k in layer 0 as the compressor sees it (wo: padded layout). */
    private static double[] divisors(SmoothQuant sq, LinearKind k) {
        return switch (k) {
            case Q -> toDouble(sq.scales(0, Site.QKV));
            case W3 -> toDouble(sq.scales(0, Site.GATE_UP));
            case W2 -> toDouble(sq.scales(0, Site.DOWN));
            case O -> {
                float[] s = sq.scales(0, Site.OUT);
                double[] d = new double[C.nHeads() * 16];
                for (int j = 0; j < d.length; j++) {
                    int h = j / 16;
                    d[j] = j % 16 < C.headSize() ? s[h / 2 * C.headSize() + j % 16] : 1;
                }
                yield d;
            }
            default -> throw new AssertionError(k);
        };
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** Equal up to the FP32 rounding of the directly scaled inputs (relative to the array's largest entry). */
    private static void assertClose(double[] a, double[] b) {
        assertThat(a).hasSameSizeAs(b);
        double scale = 0;
        for (double v : b) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < a.length; i++) {
            assertThat(a[i]).as("entry %d", i).isCloseTo(b[i], within(1e-6 * scale));
        }
    }

    private static void assertNontrivial(float[] s) {
        float min = Float.MAX_VALUE;
        float max = 0;
        for (float v : s) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertThat(max / min).as("scales vary").isGreaterThan(1.5f);
    }

    private static void assertDivided(float[] got, float[] orig, float[] s) {
        for (int j = 0; j < got.length; j++) {
            assertThat(got[j]).isEqualTo(orig[j] / s[j]);
        }
    }

    interface Factor {
        float at(int i);
    }

    /** got = orig x col factor / row divisor, element by element. */
    private static void assertScaled(float[] got, float[] orig, int cols, Factor rowDivisor, Factor col) {
        assertThat(got).hasSameSizeAs(orig);
        for (int i = 0; i < got.length; i++) {
            float expect = orig[i] * col.at(i % cols) / rowDivisor.at(i / cols);
            assertThat(got[i]).as("element %d", i).isCloseTo(expect, within(1e-6f * Math.abs(expect)));
        }
    }
}
