package io.flightllm.twin.eval;

import io.flightllm.arch.numerics.ArchMath;
import io.flightllm.arch.numerics.Int8Quantizer;
import io.flightllm.arch.numerics.RopeTable;
import io.flightllm.arch.numerics.Sfu;
import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.WeightSource;
import io.flightllm.model.ModelConfig;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A diagnostic: the twin's arithmetic (docs/numerics.md) in FP32 with each INT8 step of it switchable, to find which
 * step costs the accuracy. Switched on, a step quantizes as the twin does (linear input rows per token; q per (token,
 * head); k and v per (token, KV head) with FP16 scales; the probabilities with the V scale folded in, per (query,
 * head)); switched off, the value stays FP32. Sums are in double, so with every step on this is the twin up to
 * rounding (tested against {@code FastTwin}), and with every step off and FP32 weights it is the FP32 reference.
 *
 * <p>The weights are a compressed model's, dequantized, or the FP32 source's ({@link #fp32}): the latter separates
 * the numerics contract's own cost from any compression method's. A {@link Granularity} other than
 * {@link Granularity#CONTRACT} gives each group of k entries, or of a linear input row, its own scale: a what-if for
 * a finer contract, not the accelerator's arithmetic.
 * LLaMA-family models only (RMSNorm, RoPE, SwiGLU).
 */
public final class NumericsAblation implements LogitModel {
    /** The INT8 steps of the twin's arithmetic, with the letters reports use. */
    public enum Step {
        LINEAR_INPUTS('L'), Q('Q'), K('K'), V('V'), P('P');

        private final char letter;

        Step(char letter) {
            this.letter = letter;
        }

        /** "LQKVP" with '-' for each step that is off. */
        public static String describe(Set<Step> on) {
            StringBuilder sb = new StringBuilder();
            for (Step s : values()) {
                sb.append(on.contains(s) ? s.letter : '-');
            }
            return sb.toString();
        }

        /** The inverse of {@link #describe}: "LQKVP", "--K--", ... */
        public static Set<Step> parse(String s) {
            Step[] all = values();
            if (s.length() != all.length) {
                throw new IllegalArgumentException("steps '" + s + "': expected " + all.length + " characters as in "
                        + "LQKVP, '-' for a step that stays FP32");
            }
            EnumSet<Step> on = EnumSet.noneOf(Step.class);
            for (int i = 0; i < all.length; i++) {
                char ch = s.charAt(i);
                if (ch == all[i].letter) {
                    on.add(all[i]);
                } else if (ch != '-') {
                    throw new IllegalArgumentException("steps '" + s + "': character " + (i + 1) + " must be "
                            + all[i].letter + " or '-'");
                }
            }
            return on;
        }
    }

    /**
     * Quantizer scale groups: {@code kGroup} entries of a KV head's k share one FP16 scale, {@code inputGroup} entries
     * of a linear's input row one FP32 scale; 0 is the contract's (one per KV head, one per row).
     */
    public record Granularity(int kGroup, int inputGroup) {
        public static final Granularity CONTRACT = new Granularity(0, 0);

        public Granularity {
            if (kGroup < 0 || inputGroup < 0) {
                throw new IllegalArgumentException("scale groups " + kGroup + ", " + inputGroup + " must be >= 0");
            }
        }

        String describe() {
            return (kGroup == 0 ? "" : ", k scale per " + kGroup) + (inputGroup == 0 ? ""
                    : ", input scale per " + inputGroup);
        }
    }

    /** FP32 weights of one layer in the head-padded layout, row-major. */
    private record Layer(float[] attnNorm, float[] wq, float[] wk, float[] wv, float[] wo, float[] ffnNorm, float[] w1,
                         float[] w2, float[] w3) {
    }

    private final ModelConfig c;
    private final CompressedModel rows; // the token (and nothing else: LLaMA) input rows
    private final List<Layer> layers;
    private final float[] finalNorm;
    private final float[] classifier;
    private final Set<Step> steps;
    private final int kGroup;
    private final int inputGroup; // 0: the whole row
    private final String label;
    private final int ctx;
    private final int hs;
    private final int hsp;
    private final RopeTable rope;
    private final float invSqrtHd;
    private final float[][][] kCache; // [layer][pos][kvHeads * hsp], as attention reads it (quantized or not)
    private final float[][][] vCache;
    private final float[][][] vScale; // [layer][pos][kvHead]: the FP16 V scale, widened

    private NumericsAblation(CompressedModel structure, List<Layer> layers, float[] finalNorm, float[] classifier,
                             int contextLength, Set<Step> steps, Granularity g, String label) {
        this.c = structure.config();
        if (c.family() != ModelConfig.Family.LLAMA) {
            throw new IllegalArgumentException("the numerics ablation handles LLaMA models, not " + c.family());
        }
        this.rows = structure;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.classifier = classifier;
        this.steps = EnumSet.copyOf(steps.isEmpty() ? EnumSet.noneOf(Step.class) : steps);
        this.hs = c.headSize();
        this.hsp = structure.paddedHeadSize();
        this.kGroup = g.kGroup() == 0 ? hsp : g.kGroup();
        if (hsp % kGroup != 0) {
            throw new IllegalArgumentException("k scale group " + kGroup + " must divide the padded head size " + hsp);
        }
        this.inputGroup = g.inputGroup();
        this.label = label;
        this.ctx = Math.min(contextLength, c.seqLen());
        this.rope = RopeTable.create(ctx, hs, c.ropeTheta());
        this.invSqrtHd = 1.0f / (float) Math.sqrt((float) hs);
        int kv = c.nKvHeads() * hsp;
        kCache = new float[c.nLayers()][ctx][kv];
        vCache = new float[c.nLayers()][ctx][kv];
        vScale = new float[c.nLayers()][ctx][c.nKvHeads()];
    }

    /** The compressed model's weights, dequantized to FP32; k scaled per (token, KV head) as the accelerator does. */
    public static NumericsAblation of(CompressedModel m, int contextLength, Set<Step> steps) {
        return of(m, contextLength, steps, Granularity.CONTRACT);
    }

    /** As {@link #of(CompressedModel, int, Set)} with other scale groups (a what-if). */
    public static NumericsAblation of(CompressedModel m, int contextLength, Set<Step> steps, Granularity g) {
        List<Layer> ls = new ArrayList<>();
        for (CompressedLayer l : m.layers()) {
            if (l.wq().bias() != null || l.wo().bias() != null || l.w2().bias() != null) {
                throw new IllegalArgumentException("the numerics ablation handles bias-free LLaMA models");
            }
            ls.add(new Layer(l.attnNorm(), dense(l.wq()), dense(l.wk()), dense(l.wv()), dense(l.wo()), l.ffnNorm(),
                    dense(l.w1()), dense(l.w2()), dense(l.w3())));
        }
        return new NumericsAblation(m, ls, m.finalNorm(), dense(m.classifier()), contextLength, steps, g,
                "weights " + m.recipe() + ", " + Step.describe(steps) + g.describe());
    }

    /**
     * The FP32 weights of {@code source} (no compression at all); {@code structure} is any compressed model of the same
     * source, read only for its token rows and shape.
     */
    public static NumericsAblation fp32(WeightSource source, CompressedModel structure, int contextLength,
                                        Set<Step> steps, Granularity g) {
        if (!source.config().equals(structure.config())) {
            throw new IllegalArgumentException("the structure's config differs from the source's");
        }
        List<ModelCompression.Linear> lin = ModelCompression.linears(source);
        int perLayer = LinearKind.LAYER_KINDS.size();
        List<Layer> ls = new ArrayList<>();
        for (int l = 0; l < source.config().nLayers(); l++) {
            int b = l * perLayer; // CompressedModel order: wq, wk, wv, wo, w1, w2, w3
            ls.add(new Layer(source.attnNorm(l), lin.get(b).w(), lin.get(b + 1).w(), lin.get(b + 2).w(),
                    lin.get(b + 3).w(), source.ffnNorm(l), lin.get(b + 4).w(), lin.get(b + 5).w(),
                    lin.get(b + 6).w()));
        }
        return new NumericsAblation(structure, ls, source.finalNorm(), lin.getLast().w(), contextLength, steps,
                g, "FP32 weights, " + Step.describe(steps) + g.describe());
    }

    private static float[] dense(CompressedLinear w) {
        float[] out = new float[w.rows() * w.cols()];
        for (int r = 0; r < w.rows(); r++) {
            for (int k = 0; k < w.cols(); k++) {
                out[r * w.cols() + k] = w.dequantized(r, k);
            }
        }
        return out;
    }

    public Set<Step> steps() {
        return EnumSet.copyOf(steps.isEmpty() ? EnumSet.noneOf(Step.class) : steps);
    }

    @Override
    public float[] forward(int token, int pos) {
        if (pos < 0 || pos >= ctx) {
            throw new IllegalArgumentException("position " + pos + " outside the context of " + ctx);
        }
        int dim = c.dim();
        int heads = c.nHeads();
        int kvHeads = c.nKvHeads();
        int hidden = c.hiddenDim();
        float[] x = new float[dim];
        rows.inputRow(token, pos, x);
        float[] xn = new float[dim];
        for (int l = 0; l < layers.size(); l++) {
            Layer w = layers.get(l);
            Sfu.rmsnorm(x, w.attnNorm(), dim, c.normEps(), xn);
            float[] in = linearInput(xn);
            float[] q = matVec(w.wq(), in, heads * hsp, dim);
            float[] k = matVec(w.wk(), in, kvHeads * hsp, dim);
            float[] v = matVec(w.wv(), in, kvHeads * hsp, dim);
            for (int h = 0; h < heads; h++) {
                Sfu.rope(q, h * hsp, hs, rope.cos()[pos], rope.sin()[pos]);
            }
            for (int h = 0; h < kvHeads; h++) {
                Sfu.rope(k, h * hsp, hs, rope.cos()[pos], rope.sin()[pos]);
            }
            if (steps.contains(Step.Q)) {
                for (int h = 0; h < heads; h++) {
                    fakeQuantize(q, h * hsp, hsp);
                }
            }
            float[] scale = new float[1];
            for (int h = 0; h < kvHeads; h++) {
                for (int g = 0; g < hsp; g += kGroup) {
                    float[] kq = fakeQuantizeFp16(k, h * hsp + g, kGroup, scale);
                    if (steps.contains(Step.K)) {
                        System.arraycopy(kq, 0, k, h * hsp + g, kGroup);
                    }
                }
                float[] vq = fakeQuantizeFp16(v, h * hsp, hsp, scale);
                vScale[l][pos][h] = scale[0];
                if (steps.contains(Step.V)) {
                    System.arraycopy(vq, 0, v, h * hsp, hsp);
                }
            }
            System.arraycopy(k, 0, kCache[l][pos], 0, k.length);
            System.arraycopy(v, 0, vCache[l][pos], 0, v.length);
            float[] att = new float[heads * hsp];
            for (int h = 0; h < heads; h++) {
                attend(l, h, pos, q, att);
            }
            float[] y = matVec(w.wo(), linearInput(att), dim, heads * hsp);
            for (int i = 0; i < dim; i++) {
                x[i] += y[i];
            }
            Sfu.rmsnorm(x, w.ffnNorm(), dim, c.normEps(), xn);
            in = linearInput(xn);
            float[] a = matVec(w.w1(), in, hidden, dim);
            float[] b = matVec(w.w3(), in, hidden, dim);
            for (int i = 0; i < hidden; i++) {
                a[i] = ArchMath.silu(a[i]) * b[i];
            }
            y = matVec(w.w2(), linearInput(a), dim, hidden);
            for (int i = 0; i < dim; i++) {
                x[i] += y[i];
            }
        }
        Sfu.rmsnorm(x, finalNorm, dim, c.normEps(), xn);
        return matVec(classifier, linearInput(xn), c.vocabSize(), dim);
    }

    /**
     * One query head over positions 0..pos: scores, softmax, then the probabilities with the V scale folded in
     * (p'_t = p_t x s_v[t], quantized when P is on) times v / s_v[t], which is the twin's s_p' x sum q(p')_t v_t when
     * V is on as well.
     */
    private void attend(int l, int h, int pos, float[] q, float[] att) {
        int kh = h / (c.nHeads() / c.nKvHeads());
        int n = pos + 1;
        float[] sc = new float[n];
        for (int t = 0; t < n; t++) {
            double dot = 0;
            for (int d = 0; d < hsp; d++) {
                dot += (double) q[h * hsp + d] * kCache[l][t][kh * hsp + d];
            }
            sc[t] = (float) dot * invSqrtHd;
        }
        Sfu.softmax(sc, n);
        for (int t = 0; t < n; t++) {
            sc[t] = sc[t] * vScale[l][t][kh];
        }
        if (steps.contains(Step.P)) {
            fakeQuantize(sc, 0, n);
        }
        for (int d = 0; d < hsp; d++) {
            double acc = 0;
            for (int t = 0; t < n; t++) {
                float sv = vScale[l][t][kh];
                if (sv != 0) { // v is all zero where its scale is
                    acc += (double) sc[t] / sv * vCache[l][t][kh * hsp + d];
                }
            }
            att[h * hsp + d] = (float) acc;
        }
    }

    private float[] linearInput(float[] x) {
        if (!steps.contains(Step.LINEAR_INPUTS)) {
            return x;
        }
        float[] y = x.clone();
        int g = inputGroup == 0 ? y.length : inputGroup;
        for (int i = 0; i < y.length; i += g) {
            fakeQuantize(y, i, Math.min(g, y.length - i));
        }
        return y;
    }

    /** x[off, off+n) -> q(x) x s in place, with the activation quantizer (FP32 scale). */
    static void fakeQuantize(float[] x, int off, int n) {
        byte[] q = new byte[n];
        float s = Int8Quantizer.quantizeRow(x, off, n, q, 0);
        for (int i = 0; i < n; i++) {
            x[off + i] = q[i] * s;
        }
    }

    /** q(x) x s of x[off, off+n) with the KV quantizer (FP16 scale, returned widened in scale[0]); x is unchanged. */
    static float[] fakeQuantizeFp16(float[] x, int off, int n, float[] scale) {
        byte[] q = new byte[n];
        scale[0] = Float.float16ToFloat(Int8Quantizer.quantizeRowFp16(x, off, n, q, 0));
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = q[i] * scale[0];
        }
        return y;
    }

    private static float[] matVec(float[] w, float[] x, int rows, int cols) {
        float[] out = new float[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            int o = r * cols;
            for (int k = 0; k < cols; k++) {
                s += (double) w[o + k] * x[k];
            }
            out[r] = (float) s;
        }
        return out;
    }

    @Override
    public int contextLength() {
        return ctx;
    }

    @Override
    public String label() {
        return label;
    }
}
