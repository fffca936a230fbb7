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
 * The fast CPU twin: the arithmetic of {@link GoldenTwin} (docs/numerics.md), bit for bit, computed with the Vector
 * API from the {@link CompressedLinear} arrays (and the load-time {@link LinearPlan} copies), with output rows and
 * attention heads split over a small persistent {@link WorkerPool}. Decode streams each weight once: dense groups by
 * exact FP32-lane FMA over int8 (or, at 2..4 bits, nibble-packed) weights, sparse groups by the vector MUX. Prefill
 * runs up to {@value #MAX_BATCH} token rows per pass: each weight row is widened to FP32 once and reused by every
 * token.
 * Integer sums are split freely; FP32 sums keep the 16-partial order, so results do not depend on the thread count or
 * the SIMD width. Not thread-safe: one sequence per instance. Close it to stop the pool.
 */
public final class FastTwin implements AutoCloseable {
    /** Token rows per pass over the weights in prefill. */
    public static final int MAX_BATCH = 16;
    /** Below this many MACs a linear runs on the calling thread (the split costs more than it saves). */
    private static final long PARALLEL_MACS = 1L << 16;

    private final CompressedModel m;
    private final TwinShape s;
    private final RopeTable rope;
    private final float invSqrtHd;
    private final int threads;
    private final WorkerPool pool;
    // KV cache per layer: INT8 [pos][kvHead][hsp] and FP16 scale bits [pos][kvHead] (kept widened here)
    private final byte[][] kCache;
    private final byte[][] vCache;
    private final float[][] kScale;
    private final float[][] vScale;
    // activations for up to MAX_BATCH token rows
    private final float[][] x;
    private final float[][] xn;
    private final float[][] q;
    private final float[][] k;
    private final float[][] v;
    private final float[][] att;
    private final float[][] y;
    private final float[][] ha;
    private final float[][] hb;
    private final byte[][] aq;    // a quantized linear input row, zero-padded to K16
    private final int[][] ai;     // the same, widened to int lanes
    private final float[][] af;   // the same as FP32 (exact: the FMA kernels' operand)
    private final short[][] a16;  // the same as shorts (the 16-bit-lane kernels' operand)
    private final float[] as = new float[MAX_BATCH];
    private final float[] logits;
    // attention: the quantized query of every head, then per-worker scratch
    private final int[] qi;
    private final float[] qs;
    private final byte[][] qb;
    private final float[][] sc;
    private final byte[][] pq;
    private final int[][] pv;
    private final float[][][] partials; // per worker: [token][16]
    private final float[][] wrow;       // per worker: one weight row widened to FP32 (prefill)
    private final java.util.Map<CompressedLinear, LinearPlan> plans = new java.util.IdentityHashMap<>();
    private short[] ilvAct = new short[0]; // the decode input row in the interleaved order of the current linear

    /**
     * @param threads       worker threads for the linear layers (1 = everything on the calling thread)
     * @param contextLength KV-cache positions (at most the model's seq_len)
     */
    public FastTwin(CompressedModel model, int threads, int contextLength) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads " + threads + " must be at least 1");
        }
        this.m = model;
        this.s = TwinShape.of(model, contextLength);
        this.rope = s.opt() ? null : RopeTable.create(s.ctx(), s.hs(), s.theta());
        this.invSqrtHd = 1.0f / (float) Math.sqrt((float) s.hs());
        this.threads = threads;
        this.pool = threads == 1 ? null : new WorkerPool(threads);
        int kvLen = Math.multiplyExact(s.ctx(), s.kvRows());
        kCache = new byte[s.layers()][kvLen];
        vCache = new byte[s.layers()][kvLen];
        kScale = new float[s.layers()][s.ctx() * s.kvHeads()];
        vScale = new float[s.layers()][s.ctx() * s.kvHeads()];
        int k16 = Math.max(CompressedLinear.ceil16(s.dim()), Math.max(s.qRows(), CompressedLinear.ceil16(s.hidden())));
        x = new float[MAX_BATCH][s.dim()];
        xn = new float[MAX_BATCH][s.dim()];
        q = new float[MAX_BATCH][s.qRows()];
        k = new float[MAX_BATCH][s.kvRows()];
        v = new float[MAX_BATCH][s.kvRows()];
        att = new float[MAX_BATCH][s.qRows()];
        y = new float[MAX_BATCH][s.dim()];
        ha = new float[MAX_BATCH][s.hidden()];
        hb = new float[MAX_BATCH][s.hidden()];
        aq = new byte[MAX_BATCH][k16];
        ai = new int[MAX_BATCH][k16];
        af = new float[MAX_BATCH][k16];
        a16 = new short[MAX_BATCH][k16];
        logits = new float[s.vocab()];
        qi = new int[s.qRows()];
        qs = new float[s.heads()];
        qb = new byte[threads][s.hsp()];
        sc = new float[threads][s.ctx()];
        pq = new byte[threads][s.ctx()];
        pv = new int[threads][s.hsp()];
        partials = new float[threads][MAX_BATCH][Sum16.LANES];
        wrow = new float[threads][k16];
        for (CompressedLinear l : model.linears()) {
            LinearPlan p = LinearPlan.of(l);
            plans.put(l, p);
            if (p.ilv() != null && p.ilv().actIndex().length > ilvAct.length) {
                ilvAct = new short[p.ilv().actIndex().length];
            }
        }
    }

    public int contextLength() {
        return s.ctx();
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs one token at {@code pos} as a decode step (dense causal attention) and returns its logits (a reused array of
     * exactly vocab values).
     */
    public float[] forward(int token, int pos) {
        return run(new int[] {token}, pos, false);
    }

    /**
     * Runs prompt tokens at positions startPos, startPos + 1, ... and returns the logits of the last (a reused array).
     * Prompt rows attend through the model's block-sparse attention mask when it has one.
     */
    public float[] prefill(int[] tokens, int startPos) {
        return run(tokens, startPos, true);
    }

    private float[] run(int[] tokens, int startPos, boolean prompt) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("prefill needs at least one token");
        }
        for (int i = 0; i < tokens.length; i++) {
            s.checkStep(tokens[i], startPos + i);
        }
        for (int from = 0; from < tokens.length; from += MAX_BATCH) {
            int n = Math.min(MAX_BATCH, tokens.length - from);
            layers(tokens, from, n, startPos + from, prompt);
        }
        // only the last row needs the classifier: it is still in x[n - 1] of the last chunk
        int last = (tokens.length - 1) % MAX_BATCH;
        classify(last);
        return logits;
    }

    /**
     * Every position's logits (for evaluation): each position run as a one-row prompt, so a masked model is evaluated
     * as it processes prompts; one classifier pass per position.
     */
    public float[][] prefillAll(int[] tokens, int startPos) {
        float[][] out = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            out[i] = prefill(new int[] {tokens[i]}, startPos + i).clone();
        }
        return out;
    }

    private void layers(int[] tokens, int from, int n, int pos0, boolean prompt) {
        int hsp = s.hsp();
        for (int b = 0; b < n; b++) {
            m.inputRow(tokens[from + b], pos0 + b, x[b]); // the token's row (+ its learned position row: OPT)
        }
        for (int l = 0; l < s.layers(); l++) {
            CompressedLayer lw = m.layers().get(l);
            normAndQuantize(lw.attnNorm(), lw.attnNormBias(), n, lw.wq().paddedCols());
            linear(lw.wq(), n, q);
            linear(lw.wk(), n, k);
            linear(lw.wv(), n, v);
            for (int b = 0; b < n; b++) {
                int pos = pos0 + b;
                for (int h = 0; h < s.heads() && !s.opt(); h++) {
                    Sfu.rope(q[b], h * hsp, s.hs(), rope.cos()[pos], rope.sin()[pos]);
                }
                for (int h = 0; h < s.kvHeads(); h++) {
                    if (!s.opt()) {
                        Sfu.rope(k[b], h * hsp, s.hs(), rope.cos()[pos], rope.sin()[pos]);
                    }
                    int at = pos * s.kvHeads() + h;
                    kScale[l][at] = Float.float16ToFloat(
                            Int8Quantizer.quantizeRowFp16(k[b], h * hsp, hsp, kCache[l], at * hsp));
                    vScale[l][at] = Float.float16ToFloat(
                            Int8Quantizer.quantizeRowFp16(v[b], h * hsp, hsp, vCache[l], at * hsp));
                }
            }
            // every row's K/V is cached before any row attends (row b sees positions <= pos0 + b only)
            for (int b = 0; b < n; b++) {
                attention(l, b, pos0 + b, prompt);
            }
            for (int b = 0; b < n; b++) {
                as[b] = quantize(att[b], s.qRows(), b, lw.wo().paddedCols());
            }
            linear(lw.wo(), n, y);
            residual(n);
            normAndQuantize(lw.ffnNorm(), lw.ffnNormBias(), n, lw.w1().paddedCols());
            linear(lw.w1(), n, ha);
            if (s.opt()) {
                for (int b = 0; b < n; b++) {
                    float[] a = ha[b];
                    for (int i = 0; i < s.hidden(); i++) {
                        a[i] = Math.max(a[i], 0.0f); // relu after fc1's bias
                    }
                }
            } else {
                linear(lw.w3(), n, hb);
                for (int b = 0; b < n; b++) {
                    VectorKernels.siluMul(ha[b], hb[b], s.hidden());
                }
            }
            for (int b = 0; b < n; b++) {
                as[b] = quantize(ha[b], s.hidden(), b, lw.w2().paddedCols());
            }
            linear(lw.w2(), n, y);
            residual(n);
        }
    }

    private void classify(int b) {
        normRow(x[b], m.finalNorm(), m.finalNormBias(), 0, m.classifier().paddedCols());
        float[][] out = {logits};
        linear(m.classifier(), 1, out);
    }

    private void residual(int n) {
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < s.dim(); i++) {
                x[b][i] = x[b][i] + y[b][i];
            }
        }
    }

    /** The norm of rows x[0..n) with weight w (and bias b for OPT), each quantized into aq/ai/as. */
    private void normAndQuantize(float[] w, float[] bias, int n, int k16) {
        for (int b = 0; b < n; b++) {
            normRow(x[b], w, bias, b, k16);
        }
    }

    /**
     * RMSNorm (LLaMA) or LayerNorm with bias (OPT: the scalar SFU function, O(dim) against the linears' O(dim^2)) of
     * one row into xn[slot], quantized into aq/ai/as[slot].
     */
    private void normRow(float[] row, float[] w, float[] bias, int slot, int k16) {
        int dim = s.dim();
        if (s.opt()) {
            Sfu.layernorm(row, w, bias, dim, s.eps(), xn[slot]);
        } else {
            float ss = VectorKernels.sumSquares(row, dim);
            float r = ArchMath.rsqrt(ss / (float) dim + s.eps());
            VectorKernels.scale(row, w, r, xn[slot], dim);
        }
        as[slot] = quantize(xn[slot], dim, slot, k16);
    }

    /** Quantizes row[0..n) into slot b of aq/ai/af (zero-padded to k16) and returns its scale. */
    private float quantize(float[] row, int n, int b, int k16) {
        byte[] q8 = aq[b];
        int[] q32 = ai[b];
        float[] q32f = af[b];
        short[] q16 = a16[b];
        float sc = Int8Quantizer.quantizeRow(row, 0, n, q8, 0);
        for (int i = 0; i < n; i++) {
            q32[i] = q8[i];
            q32f[i] = q8[i];
            q16[i] = q8[i];
        }
        java.util.Arrays.fill(q8, n, k16, (byte) 0);
        java.util.Arrays.fill(q32, n, k16, 0);
        java.util.Arrays.fill(q32f, n, k16, 0.0f);
        java.util.Arrays.fill(q16, n, k16, (short) 0);
        return sc;
    }

    /** Attention of token row b (position pos) for every head, into att[b]; heads split over the pool. */
    private void attention(int l, int b, int pos, boolean prompt) {
        int heads = s.heads();
        // below a few thousand MACs per head-split the hand-off costs more than it saves
        long work = (long) heads * (pos + 1) * s.hsp();
        int parts = pool == null || work < PARALLEL_MACS ? 1 : Math.min(threads, heads);
        if (parts == 1) {
            attendHeads(l, b, pos, 0, heads, 0, prompt);
        } else {
            pool.run(parts, p -> attendHeads(l, b, pos, heads * p / parts, heads * (p + 1) / parts, p, prompt));
        }
    }

    /** Heads [h0, h1) of token row b, with worker w's scratch; a masked prompt row skips the keys its mask hides. */
    private void attendHeads(int l, int b, int pos, int h0, int h1, int w, boolean prompt) {
        int hsp = s.hsp();
        int kvh = s.kvHeads();
        int n = pos + 1;
        byte[] qq = qb[w];
        float[] sc = this.sc[w];
        byte[] pq = this.pq[w];
        int[] pv = this.pv[w];
        float[] ks = kScale[l];
        float[] vs = vScale[l];
        byte[] kc = kCache[l];
        byte[] vc = vCache[l];
        AttentionMask mask = prompt ? m.attentionMask() : null;
        int m0 = mask == null ? n : mask.holeStart(pos);
        int m1 = mask == null ? n : mask.holeEnd(pos);
        for (int h = h0; h < h1; h++) {
            qs[h] = Int8Quantizer.quantizeRow(q[b], h * hsp, hsp, qq, 0);
            for (int d = 0; d < hsp; d++) {
                qi[h * hsp + d] = qq[d];
            }
            int kh = h / s.kvMul();
            float sq = qs[h];
            for (int t = 0; t < n; t++) {
                if (t == m0 && m1 > m0) {
                    t = m1 - 1; // masked keys: no score (the softmax skips them)
                    continue;
                }
                int dot = VectorKernels.dot(kc, (t * kvh + kh) * hsp, qi, h * hsp, hsp);
                sc[t] = ((sq * ks[t * kvh + kh]) * (float) dot) * invSqrtHd;
            }
            if (m1 > m0) {
                VectorKernels.softmax(sc, n, m0, m1);
            } else {
                VectorKernels.softmax(sc, n);
            }
            for (int t = 0; t < n; t++) {
                sc[t] = sc[t] * vs[t * kvh + kh];
            }
            float sp = Int8Quantizer.quantizeRow(sc, 0, n, pq, 0);
            java.util.Arrays.fill(pv, 0);
            for (int t = 0; t < n; t++) {
                if (pq[t] != 0) {
                    VectorKernels.axpy(pq[t], vc, (t * kvh + kh) * hsp, pv, hsp);
                }
            }
            for (int d = 0; d < hsp; d++) {
                att[b][h * hsp + d] = sp * (float) pv[d];
            }
        }
    }

    /** out[b][r] for rows b < n of the quantized inputs and every real output row r, split over the pool. */
    private void linear(CompressedLinear w, int n, float[][] out) {
        LinearPlan plan = plans.get(w); // built in the constructor, read-only afterwards
        if (n == 1 && plan.ilv() != null) {
            plan.ilv().activations(aq[0], ilvAct);
        }
        int rows = w.rows();
        long macs = (long) rows * w.paddedCols() * n;
        int parts = pool == null || macs < PARALLEL_MACS ? 1 : threads;
        if (parts == 1) {
            rowRange(plan, n, out, 0, rows, 0);
            return;
        }
        // whole 16-row blocks per part, as even as the block count allows
        int blocks = w.rowBlocks();
        pool.run(parts, p -> rowRange(plan, n, out,
                Math.min(rows, (int) ((long) blocks * p / parts) * CompressedLinear.BLOCK),
                Math.min(rows, (int) ((long) blocks * (p + 1) / parts) * CompressedLinear.BLOCK), p));
    }

    private void rowRange(LinearPlan plan, int n, float[][] out, int r0, int r1, int worker) {
        if (n == 1) {
            decodeRows(plan, out[0], r0, r1, partials[worker]);
        } else {
            batchRows(plan, n, out, r0, r1, partials[worker], wrow[worker]);
        }
    }

    /** One token: every weight read once, straight from its stored (or nibble) form. */
    private void decodeRows(LinearPlan plan, float[] out, int r0, int r1, float[][] parts) {
        float[] part = parts[0];
        CompressedLinear w = plan.w();
        int groups = plan.groups();
        int cbs = plan.colBlocks();
        int bpg = plan.blocksPerGroup();
        int gs = bpg * CompressedLinear.BLOCK;
        int k16 = w.paddedCols();
        short[] scales = w.scaleBits();
        float[] bias = w.bias();
        byte[] values = w.values();
        byte[] kind = plan.kind();
        byte[] nib = plan.nibbles();
        int[] vOff = plan.valueOffset();
        float[] a = af[0];
        float sa = as[0];
        LinearPlan.Ilv ilv = plan.ilv();
        for (int r = r0; r < r1; r++) {
            int rb = r / CompressedLinear.BLOCK;
            if (r + 1 < r1 && (r + 1) % CompressedLinear.BLOCK != 0 && plan.allDense8(rb)) {
                dense8Pair(plan, out, r, part, parts[1]);
                r++;
                continue;
            }
            int rowV = (int) w.valueOffset(r);
            int rowN = plan.nibbleRow()[r];
            int rowP = (int) w.positionOffset(r);
            java.util.Arrays.fill(part, 0.0f);
            for (int g = 0; g < groups; g++) {
                if (kind[rb * groups + g] == LinearPlan.ILV4) { // a whole set of groups, partials updated lanewise
                    int h = Math.min(VectorKernels.ILV_GROUPS, groups - g);
                    VectorKernels.ilvSet(ilv.bytes(), ilv.row()[r] + ilv.set()[rb * groups + g], ilvAct,
                            ilv.actOffset(g), ilv.steps(), ilv.scales(), r * groups + g, sa, part, g & 15, h);
                    g += h - 1;
                    continue;
                }
                int c0 = g * gs;
                int len = Math.min(gs, k16 - c0);
                int acc = switch (kind[rb * groups + g]) {
                    case LinearPlan.DENSE8 -> VectorKernels.shortDot(values, rowV + vOff[rb * cbs + g * bpg],
                            a16[0], c0, len);
                    case LinearPlan.DENSE4 -> VectorKernels.nibbleGroup(nib,
                            rowN + plan.nibbleGroup()[rb * groups + g], a, c0, len / CompressedLinear.BLOCK);
                    case LinearPlan.GATHER -> VectorKernels.gather8Dot(aq[0], c0, values,
                            rowV + vOff[rb * cbs + g * bpg], w.positions(),
                            rowP + plan.positionOffset()[rb * cbs + g * bpg],
                            len / CompressedLinear.BLOCK);
                    default -> groupDot(plan, rb, g, rowV, rowP, ai[0], aq[0]);
                };
                float ws = Float.float16ToFloat(scales[r * groups + g]);
                part[g & 15] += (ws * sa) * (float) acc;
            }
            float yv = Sum16.reduce(part);
            out[r] = bias == null ? yv : yv + bias[r];
        }
    }

    /** Rows r and r + 1 of one all-DENSE8 row block, each group's two dot products in one pass (shortDot2). */
    private void dense8Pair(LinearPlan plan, float[] out, int r, float[] p0, float[] p1) {
        CompressedLinear w = plan.w();
        int groups = plan.groups();
        int gs = plan.blocksPerGroup() * CompressedLinear.BLOCK;
        int k16 = w.paddedCols();
        short[] scales = w.scaleBits();
        int v0 = (int) w.valueOffset(r);
        int v1 = (int) w.valueOffset(r + 1);
        int blockV = r / CompressedLinear.BLOCK * plan.colBlocks();
        float sa = as[0];
        java.util.Arrays.fill(p0, 0.0f);
        java.util.Arrays.fill(p1, 0.0f);
        for (int g = 0; g < groups; g++) {
            int c0 = g * gs;
            int off = plan.valueOffset()[blockV + g * plan.blocksPerGroup()];
            long both = VectorKernels.shortDot2(w.values(), v0 + off, v1 + off, a16[0], c0, Math.min(gs, k16 - c0));
            p0[g & 15] += (Float.float16ToFloat(scales[r * groups + g]) * sa) * (float) (int) (both >> 32);
            p1[g & 15] += (Float.float16ToFloat(scales[(r + 1) * groups + g]) * sa) * (float) (int) both;
        }
        float[] bias = w.bias();
        out[r] = bias == null ? Sum16.reduce(p0) : Sum16.reduce(p0) + bias[r];
        out[r + 1] = bias == null ? Sum16.reduce(p1) : Sum16.reduce(p1) + bias[r + 1];
    }

    /** Up to MAX_BATCH tokens: each weight row widened to FP32 once (zeros where pruned), then used by every token. */
    private void batchRows(LinearPlan plan, int n, float[][] out, int r0, int r1, float[][] part, float[] wr) {
        int[] accs = new int[MAX_BATCH]; // one small array per call (not per row)
        CompressedLinear w = plan.w();
        int groups = plan.groups();
        int cbs = plan.colBlocks();
        int gs = plan.blocksPerGroup() * CompressedLinear.BLOCK;
        int k16 = w.paddedCols();
        short[] scales = w.scaleBits();
        float[] bias = w.bias();
        byte[] values = w.values();
        byte[] positions = w.positions();
        int[] density = plan.density();
        int[] vOff = plan.valueOffset();
        int[] pOff = plan.positionOffset();
        for (int r = r0; r < r1; r++) {
            int rb = r / CompressedLinear.BLOCK;
            int rowV = (int) w.valueOffset(r);
            int rowP = (int) w.positionOffset(r);
            for (int cb = 0; cb < cbs; cb++) {
                int i = rb * cbs + cb;
                int nb = density[i];
                int c0 = cb * CompressedLinear.BLOCK;
                if (nb == CompressedLinear.BLOCK) {
                    VectorKernels.widen16(values, rowV + vOff[i], wr, c0);
                } else {
                    java.util.Arrays.fill(wr, c0, c0 + CompressedLinear.BLOCK, 0.0f);
                    int vo = rowV + vOff[i];
                    int po = rowP + pOff[i];
                    for (int j = 0; j < nb; j++) {
                        wr[c0 + positions[po + j]] = values[vo + j];
                    }
                }
            }
            for (int b = 0; b < n; b++) {
                java.util.Arrays.fill(part[b], 0.0f);
            }
            for (int g = 0; g < groups; g++) {
                int c0 = g * gs;
                int len = Math.min(gs, k16 - c0);
                int b = 0;
                if (len <= VectorKernels.EXACT_CHUNK) {
                    for (; b + 4 <= n; b += 4) {
                        VectorKernels.floatGroup4(wr, c0, af[b], af[b + 1], af[b + 2], af[b + 3], c0, len, accs, b);
                    }
                }
                for (; b < n; b++) {
                    accs[b] = VectorKernels.floatDot(wr, c0, af[b], c0, len);
                }
                float ws = Float.float16ToFloat(scales[r * groups + g]);
                for (b = 0; b < n; b++) {
                    part[b][g & 15] += (ws * as[b]) * (float) accs[b];
                }
            }
            for (int b = 0; b < n; b++) {
                float yv = Sum16.reduce(part[b]);
                out[b][r] = bias == null ? yv : yv + bias[r];
            }
        }
    }

    /**
     * The exact INT32 sum of one row over the column blocks of group g, in one int-lane accumulator: dense segments by
     * vector products, N = 4 and 8 segments by the vector MUX (a byte shuffle by the 4-bit positions), N = 2 scalar.
     */
    private static int groupDot(LinearPlan plan, int rb, int g, int rowV, int rowP, int[] a, byte[] a8) {
        byte[] values = plan.w().values();
        byte[] positions = plan.w().positions();
        int cbs = plan.colBlocks();
        int cb0 = g * plan.blocksPerGroup();
        int cb1 = Math.min(cbs, cb0 + plan.blocksPerGroup());
        int[] density = plan.density();
        int[] vOff = plan.valueOffset();
        int[] pOff = plan.positionOffset();
        jdk.incubator.vector.IntVector acc = VectorKernels.zeroInts();
        int scalar = 0;
        for (int cb = cb0; cb < cb1; cb++) {
            int i = rb * cbs + cb;
            int nb = density[i];
            int c0 = cb * CompressedLinear.BLOCK;
            if (nb == CompressedLinear.BLOCK) {
                acc = VectorKernels.dense16(acc, values, rowV + vOff[i], a, c0);
            } else if (nb >= 4 && VectorKernels.VECTOR_MUX) {
                acc = acc.add(VectorKernels.muxProducts(a8, c0, positions, rowP + pOff[i], values, rowV + vOff[i],
                        nb));
            } else {
                int vo = rowV + vOff[i];
                int po = rowP + pOff[i];
                for (int j = 0; j < nb; j++) {
                    scalar += values[vo + j] * a[c0 + positions[po + j]];
                }
            }
        }
        return scalar + acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
    }
}
