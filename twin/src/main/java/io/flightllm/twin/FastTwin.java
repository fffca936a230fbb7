package io.flightllm.twin;

import io.flightllm.arch.numerics.ArchMath;
import io.flightllm.arch.numerics.Int8Quantizer;
import io.flightllm.arch.numerics.RopeTable;
import io.flightllm.arch.numerics.Sfu;
import io.flightllm.arch.numerics.Sum16;
import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The fast CPU twin: the arithmetic of {@link GoldenTwin} (docs/numerics.md), bit for bit, computed with the Vector
 * API straight from the {@link CompressedLinear} arrays, with output rows split over a small owned thread pool.
 * Prefill runs up to {@value #MAX_BATCH} token rows per pass over the weights. Integer sums are split freely; FP32 sums
 * keep the 16-partial order, so results do not depend on the thread count or the SIMD width. Not thread-safe: one
 * sequence per instance. Close it to stop the pool.
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
    private final ExecutorService pool;
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
    private final float[] as = new float[MAX_BATCH];
    private final float[] logits;
    // attention scratch
    private final int[] qi;
    private final byte[] qb;
    private final float[] qs;
    private final float[] sc;
    private final byte[] pq;
    private final int[] pv;
    private final float[][][] partials; // per worker: [token][16]
    private final java.util.Map<CompressedLinear, LinearPlan> plans = new java.util.IdentityHashMap<>();

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
        this.rope = RopeTable.create(s.ctx(), s.hs(), s.theta());
        this.invSqrtHd = 1.0f / (float) Math.sqrt((float) s.hs());
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "twin-worker");
            t.setDaemon(true);
            return t;
        });
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
        logits = new float[s.vocab()];
        qi = new int[s.qRows()];
        qb = new byte[s.hsp()];
        qs = new float[s.heads()];
        sc = new float[s.ctx()];
        pq = new byte[s.ctx()];
        pv = new int[s.hsp()];
        partials = new float[threads][MAX_BATCH][Sum16.LANES];
        for (CompressedLinear l : model.linears()) {
            plans.put(l, LinearPlan.of(l));
        }
    }

    public int contextLength() {
        return s.ctx();
    }

    public int threads() {
        return threads;
    }

    /** Runs one token at {@code pos} (decode) and returns its logits (a reused array of exactly vocab values). */
    public float[] forward(int token, int pos) {
        return prefill(new int[] {token}, pos);
    }

    /** Runs tokens at positions startPos, startPos + 1, ... and returns the logits of the last (a reused array). */
    public float[] prefill(int[] tokens, int startPos) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("prefill needs at least one token");
        }
        for (int i = 0; i < tokens.length; i++) {
            s.checkStep(tokens[i], startPos + i);
        }
        for (int from = 0; from < tokens.length; from += MAX_BATCH) {
            int n = Math.min(MAX_BATCH, tokens.length - from);
            layers(tokens, from, n, startPos + from);
        }
        // only the last row needs the classifier: it is still in x[n - 1] of the last chunk
        int last = (tokens.length - 1) % MAX_BATCH;
        classify(last);
        return logits;
    }

    /** Every position's logits (for evaluation): the same arithmetic, one classifier pass per position. */
    public float[][] prefillAll(int[] tokens, int startPos) {
        float[][] out = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            out[i] = prefill(new int[] {tokens[i]}, startPos + i).clone();
        }
        return out;
    }

    private void layers(int[] tokens, int from, int n, int pos0) {
        int dim = s.dim();
        int hsp = s.hsp();
        for (int b = 0; b < n; b++) {
            System.arraycopy(m.tokenEmbedding(), tokens[from + b] * dim, x[b], 0, dim);
        }
        for (int l = 0; l < s.layers(); l++) {
            CompressedLayer lw = m.layers().get(l);
            normAndQuantize(lw.attnNorm(), n, lw.wq().paddedCols());
            linear(lw.wq(), n, q);
            linear(lw.wk(), n, k);
            linear(lw.wv(), n, v);
            for (int b = 0; b < n; b++) {
                int pos = pos0 + b;
                float[] cos = rope.cos()[pos];
                float[] sin = rope.sin()[pos];
                for (int h = 0; h < s.heads(); h++) {
                    Sfu.rope(q[b], h * hsp, s.hs(), cos, sin);
                }
                for (int h = 0; h < s.kvHeads(); h++) {
                    Sfu.rope(k[b], h * hsp, s.hs(), cos, sin);
                    int at = pos * s.kvHeads() + h;
                    kScale[l][at] = Float.float16ToFloat(
                            Int8Quantizer.quantizeRowFp16(k[b], h * hsp, hsp, kCache[l], at * hsp));
                    vScale[l][at] = Float.float16ToFloat(
                            Int8Quantizer.quantizeRowFp16(v[b], h * hsp, hsp, vCache[l], at * hsp));
                }
            }
            // every row's K/V is cached before any row attends (row b sees positions <= pos0 + b only)
            for (int b = 0; b < n; b++) {
                attention(l, b, pos0 + b);
            }
            for (int b = 0; b < n; b++) {
                as[b] = quantize(att[b], s.qRows(), aq[b], ai[b], lw.wo().paddedCols());
            }
            linear(lw.wo(), n, y);
            residual(n);
            normAndQuantize(lw.ffnNorm(), n, lw.w1().paddedCols());
            linear(lw.w1(), n, ha);
            linear(lw.w3(), n, hb);
            for (int b = 0; b < n; b++) {
                VectorKernels.siluMul(ha[b], hb[b], s.hidden());
                as[b] = quantize(ha[b], s.hidden(), aq[b], ai[b], lw.w2().paddedCols());
            }
            linear(lw.w2(), n, y);
            residual(n);
        }
    }

    private void classify(int b) {
        normRow(x[b], m.finalNorm(), 0, m.classifier().paddedCols());
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

    /** RMSNorm of rows x[0..n) with weight w, each quantized into aq/ai/as. */
    private void normAndQuantize(float[] w, int n, int k16) {
        for (int b = 0; b < n; b++) {
            normRow(x[b], w, b, k16);
        }
    }

    /** RMSNorm of one row into xn[slot], quantized into aq/ai/as[slot]. */
    private void normRow(float[] row, float[] w, int slot, int k16) {
        int dim = s.dim();
        float ss = VectorKernels.sumSquares(row, dim);
        float r = ArchMath.rsqrt(ss / (float) dim + s.eps());
        VectorKernels.scale(row, w, r, xn[slot], dim);
        as[slot] = quantize(xn[slot], dim, aq[slot], ai[slot], k16);
    }

    private static float quantize(float[] row, int n, byte[] q8, int[] q32, int k16) {
        float sc = Int8Quantizer.quantizeRow(row, 0, n, q8, 0);
        for (int i = 0; i < n; i++) {
            q32[i] = q8[i];
        }
        java.util.Arrays.fill(q8, n, k16, (byte) 0);
        java.util.Arrays.fill(q32, n, k16, 0);
        return sc;
    }

    /** Attention of token row b (position pos) for every head, into att[b]. */
    private void attention(int l, int b, int pos) {
        int hsp = s.hsp();
        int kvh = s.kvHeads();
        int n = pos + 1;
        byte[] qq = qb;
        for (int h = 0; h < s.heads(); h++) {
            qs[h] = Int8Quantizer.quantizeRow(q[b], h * hsp, hsp, qq, 0);
            for (int d = 0; d < hsp; d++) {
                qi[h * hsp + d] = qq[d];
            }
        }
        byte[] kc = kCache[l];
        byte[] vc = vCache[l];
        for (int h = 0; h < s.heads(); h++) {
            int kh = h / s.kvMul();
            float sq = qs[h];
            for (int t = 0; t < n; t++) {
                int dot = VectorKernels.dot(kc, (t * kvh + kh) * hsp, qi, h * hsp, hsp);
                sc[t] = ((sq * kScale[l][t * kvh + kh]) * (float) dot) * invSqrtHd;
            }
            VectorKernels.softmax(sc, n);
            for (int t = 0; t < n; t++) {
                sc[t] = sc[t] * vScale[l][t * kvh + kh];
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

    /** out[b][r] for rows b < n of the quantized inputs ai/as and every real output row r, split over the pool. */
    private void linear(CompressedLinear w, int n, float[][] out) {
        int rows = w.rows();
        long macs = (long) rows * w.paddedCols() * n;
        int parts = pool == null || macs < PARALLEL_MACS ? 1 : threads;
        if (parts == 1) {
            rowRange(w, n, out, 0, rows, partials[0]);
            return;
        }
        int blocks = w.rowBlocks();
        List<Future<?>> futures = new ArrayList<>(parts);
        for (int p = 0; p < parts; p++) {
            int r0 = Math.min(rows, (int) ((long) blocks * p / parts) * CompressedLinear.BLOCK);
            int r1 = Math.min(rows, (int) ((long) blocks * (p + 1) / parts) * CompressedLinear.BLOCK);
            float[][] part = partials[p];
            futures.add(pool.submit(() -> rowRange(w, n, out, r0, r1, part)));
        }
        try {
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while computing " + w.name(), e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("worker failed on " + w.name(), e.getCause());
        }
    }

    private void rowRange(CompressedLinear w, int n, float[][] out, int r0, int r1, float[][] part) {
        LinearPlan plan = plans.get(w); // built in the constructor, read-only afterwards
        int groups = plan.groups();
        short[] scales = w.scaleBits();
        float[] bias = w.bias();
        for (int r = r0; r < r1; r++) {
            int rowV = (int) w.valueOffset(r);
            int rowP = (int) w.positionOffset(r);
            for (int b = 0; b < n; b++) {
                java.util.Arrays.fill(part[b], 0.0f);
            }
            for (int g = 0; g < groups; g++) {
                float ws = Float.float16ToFloat(scales[r * groups + g]);
                for (int b = 0; b < n; b++) {
                    int acc = groupDot(plan, r / CompressedLinear.BLOCK, g, rowV, rowP, ai[b], aq[b]);
                    part[b][g & 15] += (ws * as[b]) * (float) acc;
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
            pool.shutdownNow();
        }
    }
}
