package io.flightllm.twin;

import io.flightllm.arch.numerics.ArchMath;
import io.flightllm.arch.numerics.Int8Quantizer;
import io.flightllm.arch.numerics.RopeTable;
import io.flightllm.arch.numerics.Sfu;
import io.flightllm.arch.numerics.Sum16;
import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.algo.AttentionMask;

/**
 * The golden CPU twin: a scalar forward pass over a {@link CompressedModel} that follows docs/numerics.md step by
 * step, one token at a time, with no optimisation that could hide a deviation. {@link FastTwin} and the functional
 * simulator are tested bit-identical to it.
 */
public final class GoldenTwin {
    private final CompressedModel m;
    private final TwinShape s;
    private final RopeTable rope;
    private final float invSqrtHd;
    // KV cache per layer: INT8 [pos][kvHead][hsp] and FP16 scale bits [pos][kvHead]
    private final byte[][] kCache;
    private final byte[][] vCache;
    private final short[][] kScale;
    private final short[][] vScale;

    public GoldenTwin(CompressedModel model, int contextLength) {
        this.m = model;
        this.s = TwinShape.of(model, contextLength);
        this.rope = s.opt() ? null : RopeTable.create(s.ctx(), s.hs(), s.theta());
        this.invSqrtHd = 1.0f / (float) Math.sqrt((float) s.hs());
        kCache = new byte[s.layers()][Math.multiplyExact(s.ctx(), s.kvRows())];
        vCache = new byte[s.layers()][Math.multiplyExact(s.ctx(), s.kvRows())];
        kScale = new short[s.layers()][s.ctx() * s.kvHeads()];
        vScale = new short[s.layers()][s.ctx() * s.kvHeads()];
    }

    public int contextLength() {
        return s.ctx();
    }

    /**
     * Runs {@code token} at position {@code pos} as a decode step (dense causal attention; positions before it must
     * have been run) and returns new logits.
     */
    public float[] forward(int token, int pos) {
        return step(token, pos, false);
    }

    /**
     * Runs {@code token} at {@code pos} as a prompt (prefill) row: the same as {@link #forward} except that the model's
     * block-sparse attention mask, if it has one, hides the keys it masks.
     */
    public float[] prefillRow(int token, int pos) {
        return step(token, pos, true);
    }

    private float[] step(int token, int pos, boolean prompt) {
        s.checkStep(token, pos);
        int dim = s.dim();
        int hsp = s.hsp();
        float[] x = new float[dim];
        m.inputRow(token, pos, x); // the token's row (+ its learned position row: OPT)
        float[] xn = new float[dim];
        for (int l = 0; l < s.layers(); l++) {
            CompressedLayer lw = m.layers().get(l);
            // attention block: one quantized row shared by q, k, v (their biases added after the sums): the norm of x
            // (pre-norm), or x itself (post-norm: the norm follows the residual add)
            float[] in = x;
            if (s.preNorm()) {
                norm(x, lw.attnNorm(), lw.attnNormBias(), xn);
                in = xn;
            }
            byte[] xq = new byte[lw.wq().paddedCols()];
            float xs = Int8Quantizer.quantizeRow(in, 0, dim, xq, 0);
            float[] q = linear(lw.wq(), xq, xs);
            float[] k = linear(lw.wk(), xq, xs);
            float[] v = linear(lw.wv(), xq, xs);
            // RoPE on the real pairs of every padded head (OPT: none, and no q scaling: inv_sqrt_hd on the score)
            for (int h = 0; h < s.heads() && !s.opt(); h++) {
                Sfu.rope(q, h * hsp, s.hs(), rope.cos()[pos], rope.sin()[pos]);
            }
            for (int h = 0; h < s.kvHeads() && !s.opt(); h++) {
                Sfu.rope(k, h * hsp, s.hs(), rope.cos()[pos], rope.sin()[pos]);
            }
            // q per (token, head) with FP32 scales; k, v per (token, KV head) into the cache with FP16 scales
            byte[] qq = new byte[s.qRows()];
            float[] qs = new float[s.heads()];
            for (int h = 0; h < s.heads(); h++) {
                qs[h] = Int8Quantizer.quantizeRow(q, h * hsp, hsp, qq, h * hsp);
            }
            for (int h = 0; h < s.kvHeads(); h++) {
                int at = (pos * s.kvHeads() + h);
                kScale[l][at] = Int8Quantizer.quantizeRowFp16(k, h * hsp, hsp, kCache[l], at * hsp);
                vScale[l][at] = Int8Quantizer.quantizeRowFp16(v, h * hsp, hsp, vCache[l], at * hsp);
            }
            float[] att = new float[s.qRows()];
            for (int h = 0; h < s.heads(); h++) {
                attendHead(l, h, pos, qq, qs[h], att, prompt);
            }
            byte[] aq = new byte[lw.wo().paddedCols()];
            float as = Int8Quantizer.quantizeRow(att, 0, s.qRows(), aq, 0);
            float[] y = linear(lw.wo(), aq, as);
            for (int i = 0; i < dim; i++) {
                x[i] = x[i] + y[i];
            }
            if (!s.preNorm()) {
                norm(x, lw.attnNorm(), lw.attnNormBias(), x); // post-norm: in place (the SFU reads x before writing)
            }
            // feed-forward block
            in = x;
            if (s.preNorm()) {
                norm(x, lw.ffnNorm(), lw.ffnNormBias(), xn);
                in = xn;
            }
            byte[] fq = new byte[lw.w1().paddedCols()];
            float fs = Int8Quantizer.quantizeRow(in, 0, dim, fq, 0);
            float[] a = linear(lw.w1(), fq, fs);
            if (s.opt()) { // relu after fc1's bias (the output stage's order)
                for (int i = 0; i < s.hidden(); i++) {
                    a[i] = Math.max(a[i], 0.0f);
                }
            } else {
                float[] b = linear(lw.w3(), fq, fs);
                for (int i = 0; i < s.hidden(); i++) {
                    a[i] = ArchMath.silu(a[i]) * b[i];
                }
            }
            byte[] hq = new byte[lw.w2().paddedCols()];
            float hsc = Int8Quantizer.quantizeRow(a, 0, s.hidden(), hq, 0);
            y = linear(lw.w2(), hq, hsc);
            for (int i = 0; i < dim; i++) {
                x[i] = x[i] + y[i];
            }
            if (!s.preNorm()) {
                norm(x, lw.ffnNorm(), lw.ffnNormBias(), x);
            }
        }
        float[] in = x; // no final norm (post-norm OPT): the classifier reads x itself
        if (s.finalNorm()) {
            norm(x, m.finalNorm(), m.finalNormBias(), xn);
            in = xn;
        }
        byte[] cq = new byte[m.classifier().paddedCols()];
        float cs = Int8Quantizer.quantizeRow(in, 0, dim, cq, 0);
        return linear(m.classifier(), cq, cs);
    }

    /** RMSNorm (LLaMA) or LayerNorm with bias (OPT) of x into y, eps = config.normEps. */
    private void norm(float[] x, float[] w, float[] b, float[] y) {
        if (s.opt()) {
            Sfu.layernorm(x, w, b, s.dim(), s.eps(), y);
        } else {
            Sfu.rmsnorm(x, w, s.dim(), s.eps(), y);
        }
    }

    /**
     * One query head over the cached positions 0..pos (for a prompt row of a masked model, those the mask keeps);
     * writes the padded head's output into att.
     */
    private void attendHead(int l, int h, int pos, byte[] qq, float sq, float[] att, boolean prompt) {
        int hsp = s.hsp();
        int kh = h / s.kvMul();
        int n = pos + 1;
        AttentionMask mask = prompt ? m.attentionMask() : null;
        int h0 = mask == null ? n : mask.holeStart(pos);
        int h1 = mask == null ? n : mask.holeEnd(pos);
        float[] sc = new float[n];
        for (int t = 0; t < n; t++) {
            if (t >= h0 && t < h1) {
                continue; // masked: no score
            }
            int ko = (t * s.kvHeads() + kh) * hsp;
            int dot = 0;
            for (int d = 0; d < hsp; d++) {
                dot += qq[h * hsp + d] * kCache[l][ko + d];
            }
            float sk = Float.float16ToFloat(kScale[l][t * s.kvHeads() + kh]);
            sc[t] = ((sq * sk) * (float) dot) * invSqrtHd;
        }
        Sfu.softmax(sc, n, h0, h1);
        for (int t = 0; t < n; t++) {
            sc[t] = sc[t] * Float.float16ToFloat(vScale[l][t * s.kvHeads() + kh]);
        }
        byte[] pq = new byte[n];
        float sp = Int8Quantizer.quantizeRow(sc, 0, n, pq, 0);
        for (int d = 0; d < hsp; d++) {
            int acc = 0;
            for (int t = 0; t < n; t++) {
                acc += pq[t] * vCache[l][(t * s.kvHeads() + kh) * hsp + d];
            }
            att[h * hsp + d] = sp * (float) acc;
        }
    }

    /**
     * The MPE: for every real output row, INT8 x INT8 products of the kept slots summed exactly per scale group, then
     * y[r] = sum16 over groups of ((w_scale[r, g] x a_scale) x (float) acc[g]), then + bias[r] where there is one.
     */
    static float[] linear(CompressedLinear w, byte[] a, float as) {
        int groups = w.groups();
        int gs = w.groupSize();
        byte[] values = w.values();
        byte[] positions = w.positions();
        float[] out = new float[w.rows()];
        int[] acc = new int[groups];
        float[] p = new float[Sum16.LANES];
        for (int r = 0; r < w.rows(); r++) {
            java.util.Arrays.fill(acc, 0);
            int rb = r / CompressedLinear.BLOCK;
            for (int cb = 0; cb < w.colBlocks(); cb++) {
                int n = w.density(rb, cb);
                int vo = (int) (w.valueOffset(r) + w.blockValueOffset(rb, cb));
                int po = (int) (w.positionOffset(r) + w.blockPositionOffset(rb, cb));
                for (int k = 0; k < n; k++) {
                    int c = cb * CompressedLinear.BLOCK + (n == CompressedLinear.BLOCK ? k : positions[po + k]);
                    acc[c / gs] += values[vo + k] * a[c];
                }
            }
            java.util.Arrays.fill(p, 0.0f);
            for (int g = 0; g < groups; g++) {
                p[g & 15] += (w.scale(r, g) * as) * (float) acc[g];
            }
            float y = Sum16.reduce(p);
            out[r] = w.bias() == null ? y : y + w.bias()[r];
        }
        return out;
    }
}
