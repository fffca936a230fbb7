package io.flightllm.model.forward;

import io.flightllm.model.DType;
import io.flightllm.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast matrix-vector product: Vector API, fused multiply-add, several threads over the output rows. It reads the
 * weights directly from their (memory-mapped or off-heap) segment and supports every {@link DType}.
 *
 * <p>Summation order: each (row, input) pair has one vector accumulator over column chunks of {@link #lanes()}
 * elements (FMA), reduced by a fixed pairwise tree, then the scalar tail columns in ascending order. The order depends
 * only on the species, never on the thread count or on whether the call is {@link #apply} or {@link #applyBatch}, so
 * batched prefill gives the same bits as row-by-row prefill with this kernel. It differs from the golden order
 * (llama2.c's), so results agree with {@link ScalarMatVec} only to rounding.
 *
 * <p>Not thread-safe: one forward pass drives one instance. Close it to stop its worker threads. With more than one
 * thread the tensors must live in memory other threads may read (a shared or global arena; the loaders map files
 * that way).
 */
public final class VectorMatVec implements MatVec {
    /** The preferred species, at least 256 and at most 512 bits wide (block decoders need 8 to 16 lanes). */
    static final VectorSpecies<Float> F = pickSpecies();
    static final int L = F.length();
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** Below this much work (weight bytes x input rows) a call runs on the caller thread: hand-off would dominate. */
    static final long SMALL_WORK_BYTES = 1L << 18;
    /** Input rows (tokens) that share one pass over a weight row in {@link #applyBatch}. */
    static final int TOKEN_TILE = 4;

    private final WorkerPool pool;
    private final long smallWorkBytes;
    private final Scratch[] scratch;
    private final Job job = new Job();

    /** A kernel using {@code threads} threads (the caller included). */
    public VectorMatVec(int threads) {
        this(threads, SMALL_WORK_BYTES);
    }

    /** Tests pass {@code smallWorkBytes = 0} to send even tiny matrices through the worker threads. */
    VectorMatVec(int threads, long smallWorkBytes) {
        this.smallWorkBytes = smallWorkBytes;
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads = " + threads + "; expected 1 to 1024");
        }
        pool = new WorkerPool(threads, "flightllm-matvec");
        scratch = new Scratch[threads];
        for (int i = 0; i < threads; i++) {
            scratch[i] = new Scratch();
        }
    }

    private static VectorSpecies<Float> pickSpecies() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        return bits >= 512 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    }

    /** Lanes per vector (16 with AVX-512). */
    public static int lanes() {
        return L;
    }

    public int threads() {
        return pool.parts();
    }

    @Override
    public String name() {
        return "vector(" + L + " lanes, " + threads() + (threads() == 1 ? " thread)" : " threads)");
    }

    @Override
    public void apply(Tensor w, float[] x, float[] out) {
        if (MatVec.applyInStoredOrder(this, w, new float[][] {x}, new float[][] {out}, 1)) {
            return;
        }
        check(w, x, out);
        job.set(w, x, out, null, null, 0);
        dispatch(w, 1);
    }

    @Override
    public void applyBatch(Tensor w, float[][] x, float[][] out, int n) {
        if (MatVec.applyInStoredOrder(this, w, x, out, n)) {
            return;
        }
        if (n < 0 || n > x.length || n > out.length) {
            throw new IllegalArgumentException("batch of " + n + " rows with " + x.length + " inputs and "
                    + out.length + " outputs");
        }
        for (int b = 0; b < n; b++) {
            check(w, x[b], out[b]);
        }
        if (n == 0) {
            return;
        }
        job.set(w, null, null, x, out, n);
        dispatch(w, n);
    }

    private void dispatch(Tensor w, int n) {
        if (pool.parts() == 1 || w.byteSize() * n < smallWorkBytes) {
            job.run(0, 1);
        } else {
            pool.run(job);
        }
        job.clear();
    }

    private static void check(Tensor w, float[] x, float[] out) {
        if (w.rows() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(w.name() + ": " + w.rows() + " rows do not fit an output array");
        }
        if (x.length < w.cols() || out.length < w.rows()) {
            throw new IllegalArgumentException(w.name() + " [" + w.rows() + ", " + w.cols() + "]: input of "
                    + x.length + " and output of " + out.length + " elements are too short");
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    /** Per-thread buffers, grown on demand (never per call). */
    private static final class Scratch {
        final float[] lanes = new float[L];
        float[] row = new float[0];

        float[] row(int cols) {
            if (row.length < cols) {
                row = new float[cols];
            }
            return row;
        }
    }

    /** The reusable job: the current call's operands; part p computes a contiguous share of the rows. */
    private final class Job implements WorkerPool.Job {
        Tensor w;
        float[] x;
        float[] out;
        float[][] xs;
        float[][] outs;
        int n;

        void set(Tensor w, float[] x, float[] out, float[][] xs, float[][] outs, int n) {
            this.w = w;
            this.x = x;
            this.out = out;
            this.xs = xs;
            this.outs = outs;
            this.n = n;
        }

        void clear() {
            set(null, null, null, null, null, 0);
        }

        @Override
        public void run(int part, int parts) {
            int rows = (int) w.rows();
            int r0 = (int) ((long) rows * part / parts);
            int r1 = (int) ((long) rows * (part + 1) / parts);
            Scratch s = scratch[part];
            if (xs == null) {
                rows(w, x, out, r0, r1, s);
            } else {
                batchRows(w, xs, outs, n, r0, r1, s);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Row ranges

    /** out[r] = w[r] . x for r in [r0, r1). */
    private static void rows(Tensor w, float[] x, float[] out, int r0, int r1, Scratch s) {
        int cols = w.cols();
        if (w.type() == DType.F32) {
            MemorySegment seg = w.data();
            long rowBytes = 4L * cols;
            int r = r0;
            for (; r + 4 <= r1; r += 4) {
                f32Rows4(seg, r * rowBytes, rowBytes, x, cols, out, r, s.lanes);
            }
            for (; r < r1; r++) {
                out[r] = f32Row(seg, r * rowBytes, x, cols, s.lanes);
            }
            return;
        }
        float[] row = s.row(cols);
        for (int r = r0; r < r1; r++) {
            dequantize(w, r, row);
            out[r] = arrayRow(row, x, cols, s.lanes);
        }
    }

    private static void batchRows(Tensor w, float[][] xs, float[][] outs, int n, int r0, int r1, Scratch s) {
        int cols = w.cols();
        int r = r0;
        if (w.type() == DType.F32) {
            MemorySegment seg = w.data();
            long rowBytes = 4L * cols;
            // 4 rows x 4 inputs per pass: 16 chains, 8 loads per 16 FMAs; the 4 rows stay in cache for the next inputs
            for (; r + 4 <= r1; r += 4) {
                int b = 0;
                for (; b + TOKEN_TILE <= n; b += TOKEN_TILE) {
                    f32Block4x4(seg, r * rowBytes, rowBytes, xs, b, cols, outs, r, s.lanes);
                }
                for (; b < n; b++) {
                    f32Rows4(seg, r * rowBytes, rowBytes, xs[b], cols, outs[b], r, s.lanes);
                }
            }
            for (; r < r1; r++) {
                long base = r * rowBytes;
                int b = 0;
                for (; b + TOKEN_TILE <= n; b += TOKEN_TILE) {
                    f32Tokens4(seg, base, xs, b, cols, outs, r, s.lanes);
                }
                for (; b < n; b++) {
                    outs[b][r] = f32Row(seg, base, xs[b], cols, s.lanes);
                }
            }
            return;
        }
        float[] row = s.row(cols);
        for (; r < r1; r++) {
            dequantize(w, r, row);
            int b = 0;
            for (; b + TOKEN_TILE <= n; b += TOKEN_TILE) {
                arrayTokens4(row, xs, b, cols, outs, r, s.lanes);
            }
            for (; b < n; b++) {
                outs[b][r] = arrayRow(row, xs[b], cols, s.lanes);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Dot-product kernels. Every (row, input) pair: one accumulator, chunks in ascending order, FMA, then
    // reduce(), then the scalar tail. Keep all variants in this exact order: batch and row-by-row must agree bit for bit.

    /** Sum of the lanes in a fixed pairwise order (independent of the JIT, unlike reduceLanes). */
    static float reduce(FloatVector v, float[] tmp) {
        v.intoArray(tmp, 0);
        for (int w = L / 2; w >= 1; w >>= 1) {
            for (int j = 0; j < w; j++) {
                tmp[j] = tmp[j] + tmp[j + w];
            }
        }
        return tmp[0];
    }

    private static float f32Tail(float sum, MemorySegment seg, long base, float[] x, int from, int cols) {
        for (int j = from; j < cols; j++) {
            sum += seg.get(F32, base + 4L * j) * x[j];
        }
        return sum;
    }

    private static float arrayTail(float sum, float[] w, float[] x, int from, int cols) {
        for (int j = from; j < cols; j++) {
            sum += w[j] * x[j];
        }
        return sum;
    }

    static float f32Row(MemorySegment seg, long base, float[] x, int cols, float[] tmp) {
        FloatVector acc = FloatVector.zero(F);
        int ub = F.loopBound(cols);
        for (int j = 0; j < ub; j += L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, seg, base + 4L * j, LE);
            acc = wv.fma(FloatVector.fromArray(F, x, j), acc);
        }
        return f32Tail(reduce(acc, tmp), seg, base, x, ub, cols);
    }

    /** Four consecutive rows against one input: four independent chains keep the FMA units busy. */
    static void f32Rows4(MemorySegment seg, long base, long rowBytes, float[] x, int cols, float[] out, int r,
                                 float[] tmp) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        long b0 = base;
        long b1 = base + rowBytes;
        long b2 = b1 + rowBytes;
        long b3 = b2 + rowBytes;
        int ub = F.loopBound(cols);
        for (int j = 0; j < ub; j += L) {
            FloatVector xv = FloatVector.fromArray(F, x, j);
            long off = 4L * j;
            a0 = FloatVector.fromMemorySegment(F, seg, b0 + off, LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(F, seg, b1 + off, LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(F, seg, b2 + off, LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(F, seg, b3 + off, LE).fma(xv, a3);
        }
        out[r] = f32Tail(reduce(a0, tmp), seg, b0, x, ub, cols);
        out[r + 1] = f32Tail(reduce(a1, tmp), seg, b1, x, ub, cols);
        out[r + 2] = f32Tail(reduce(a2, tmp), seg, b2, x, ub, cols);
        out[r + 3] = f32Tail(reduce(a3, tmp), seg, b3, x, ub, cols);
    }

    /** One weight row against four inputs (prefill): the row is read from memory once for the four. */
    private static void f32Tokens4(MemorySegment seg, long base, float[][] xs, int b, int cols, float[][] outs, int r,
                                   float[] tmp) {
        float[] x0 = xs[b];
        float[] x1 = xs[b + 1];
        float[] x2 = xs[b + 2];
        float[] x3 = xs[b + 3];
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int ub = F.loopBound(cols);
        for (int j = 0; j < ub; j += L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, seg, base + 4L * j, LE);
            a0 = wv.fma(FloatVector.fromArray(F, x0, j), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x1, j), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x2, j), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x3, j), a3);
        }
        outs[b][r] = f32Tail(reduce(a0, tmp), seg, base, x0, ub, cols);
        outs[b + 1][r] = f32Tail(reduce(a1, tmp), seg, base, x1, ub, cols);
        outs[b + 2][r] = f32Tail(reduce(a2, tmp), seg, base, x2, ub, cols);
        outs[b + 3][r] = f32Tail(reduce(a3, tmp), seg, base, x3, ub, cols);
    }

    /** Rows r .. r + 3 against inputs b .. b + 3 (prefill). */
    private static void f32Block4x4(MemorySegment seg, long base, long rowBytes, float[][] xs, int b, int cols,
                                    float[][] outs, int r, float[] tmp) {
        float[] x0 = xs[b];
        float[] x1 = xs[b + 1];
        float[] x2 = xs[b + 2];
        float[] x3 = xs[b + 3];
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        long b0 = base;
        long b1 = base + rowBytes;
        long b2 = b1 + rowBytes;
        long b3 = b2 + rowBytes;
        int ub = F.loopBound(cols);
        for (int j = 0; j < ub; j += L) {
            long off = 4L * j;
            FloatVector v0 = FloatVector.fromArray(F, x0, j);
            FloatVector v1 = FloatVector.fromArray(F, x1, j);
            FloatVector v2 = FloatVector.fromArray(F, x2, j);
            FloatVector v3 = FloatVector.fromArray(F, x3, j);
            FloatVector w0 = FloatVector.fromMemorySegment(F, seg, b0 + off, LE);
            a00 = w0.fma(v0, a00);
            a01 = w0.fma(v1, a01);
            a02 = w0.fma(v2, a02);
            a03 = w0.fma(v3, a03);
            FloatVector w1 = FloatVector.fromMemorySegment(F, seg, b1 + off, LE);
            a10 = w1.fma(v0, a10);
            a11 = w1.fma(v1, a11);
            a12 = w1.fma(v2, a12);
            a13 = w1.fma(v3, a13);
            FloatVector w2 = FloatVector.fromMemorySegment(F, seg, b2 + off, LE);
            a20 = w2.fma(v0, a20);
            a21 = w2.fma(v1, a21);
            a22 = w2.fma(v2, a22);
            a23 = w2.fma(v3, a23);
            FloatVector w3 = FloatVector.fromMemorySegment(F, seg, b3 + off, LE);
            a30 = w3.fma(v0, a30);
            a31 = w3.fma(v1, a31);
            a32 = w3.fma(v2, a32);
            a33 = w3.fma(v3, a33);
        }
        outs[b][r] = f32Tail(reduce(a00, tmp), seg, b0, x0, ub, cols);
        outs[b + 1][r] = f32Tail(reduce(a01, tmp), seg, b0, x1, ub, cols);
        outs[b + 2][r] = f32Tail(reduce(a02, tmp), seg, b0, x2, ub, cols);
        outs[b + 3][r] = f32Tail(reduce(a03, tmp), seg, b0, x3, ub, cols);
        outs[b][r + 1] = f32Tail(reduce(a10, tmp), seg, b1, x0, ub, cols);
        outs[b + 1][r + 1] = f32Tail(reduce(a11, tmp), seg, b1, x1, ub, cols);
        outs[b + 2][r + 1] = f32Tail(reduce(a12, tmp), seg, b1, x2, ub, cols);
        outs[b + 3][r + 1] = f32Tail(reduce(a13, tmp), seg, b1, x3, ub, cols);
        outs[b][r + 2] = f32Tail(reduce(a20, tmp), seg, b2, x0, ub, cols);
        outs[b + 1][r + 2] = f32Tail(reduce(a21, tmp), seg, b2, x1, ub, cols);
        outs[b + 2][r + 2] = f32Tail(reduce(a22, tmp), seg, b2, x2, ub, cols);
        outs[b + 3][r + 2] = f32Tail(reduce(a23, tmp), seg, b2, x3, ub, cols);
        outs[b][r + 3] = f32Tail(reduce(a30, tmp), seg, b3, x0, ub, cols);
        outs[b + 1][r + 3] = f32Tail(reduce(a31, tmp), seg, b3, x1, ub, cols);
        outs[b + 2][r + 3] = f32Tail(reduce(a32, tmp), seg, b3, x2, ub, cols);
        outs[b + 3][r + 3] = f32Tail(reduce(a33, tmp), seg, b3, x3, ub, cols);
    }

    static float arrayRow(float[] w, float[] x, int cols, float[] tmp) {
        FloatVector acc = FloatVector.zero(F);
        int ub = F.loopBound(cols);
        for (int j = 0; j < ub; j += L) {
            acc = FloatVector.fromArray(F, w, j).fma(FloatVector.fromArray(F, x, j), acc);
        }
        return arrayTail(reduce(acc, tmp), w, x, ub, cols);
    }

    private static void arrayTokens4(float[] w, float[][] xs, int b, int cols, float[][] outs, int r, float[] tmp) {
        float[] x0 = xs[b];
        float[] x1 = xs[b + 1];
        float[] x2 = xs[b + 2];
        float[] x3 = xs[b + 3];
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int ub = F.loopBound(cols);
        for (int j = 0; j < ub; j += L) {
            FloatVector wv = FloatVector.fromArray(F, w, j);
            a0 = wv.fma(FloatVector.fromArray(F, x0, j), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x1, j), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x2, j), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x3, j), a3);
        }
        outs[b][r] = arrayTail(reduce(a0, tmp), w, x0, ub, cols);
        outs[b + 1][r] = arrayTail(reduce(a1, tmp), w, x1, ub, cols);
        outs[b + 2][r] = arrayTail(reduce(a2, tmp), w, x2, ub, cols);
        outs[b + 3][r] = arrayTail(reduce(a3, tmp), w, x3, ub, cols);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Dequantization of one row to FP32, vectorized; each value equals Tensor.get exactly.

    static void dequantize(Tensor w, int r, float[] dst) {
        switch (w.type()) {
            case F32 -> w.readRow(r, dst);
            case F16 -> f16Row(w.data(), (long) r * w.rowBytes(), w.cols(), dst);
            case BF16 -> bf16Row(w.data(), (long) r * w.rowBytes(), w.cols(), dst);
            case Q8_0 -> q80Row(w.data(), (long) r * w.rowBytes(), w.cols(), dst);
            case Q4_0 -> q40Row(w.data(), (long) r * w.rowBytes(), w.cols(), dst);
            case Q8_GROUP -> q8GroupRow(w, r, dst);
        }
    }

    private static IntVector loadU16(MemorySegment seg, long at) {
        ShortVector s = ShortVector.fromMemorySegment(S, seg, at, LE);
        return ((IntVector) s.convertShape(VectorOperators.S2I, I, 0)).and(0xFFFF);
    }

    /**
     * IEEE binary16 to binary32 without branches: the half's exponent and mantissa, moved to the float's position,
     * read as a float and scaled by 2^112, give the value exactly for normal and subnormal halves (scaling by a power of
     * two is exact); infinities and NaNs get the all-ones float exponent first; the sign bit is copied.
     */
    static FloatVector f16ToF32(IntVector h) {
        IntVector magnitude = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        IntVector infNan = h.and(0x7C00).compare(VectorOperators.EQ, 0x7C00).toVector().reinterpretAsInts()
                .and(0x7F800000);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        FloatVector scaled = magnitude.or(infNan).reinterpretAsFloats().mul(0x1p112f);
        return scaled.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    private static void f16Row(MemorySegment seg, long base, int cols, float[] dst) {
        int ub = F.loopBound(cols);
        for (int j = 0; j < ub; j += L) {
            f16ToF32(loadU16(seg, base + 2L * j)).intoArray(dst, j);
        }
        for (int j = ub; j < cols; j++) {
            dst[j] = Float.float16ToFloat(seg.get(I16, base + 2L * j));
        }
    }

    private static void bf16Row(MemorySegment seg, long base, int cols, float[] dst) {
        int ub = F.loopBound(cols);
        for (int j = 0; j < ub; j += L) {
            loadU16(seg, base + 2L * j).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, j);
        }
        for (int j = ub; j < cols; j++) {
            dst[j] = Float.intBitsToFloat((seg.get(I16, base + 2L * j) & 0xFFFF) << 16);
        }
    }

    private static void q80Row(MemorySegment seg, long base, int cols, float[] dst) {
        int blocks = cols / 32;
        for (int blk = 0; blk < blocks; blk++) {
            long at = base + 34L * blk;
            float d = Float.float16ToFloat(seg.get(I16, at));
            for (int c = 0; c < 32; c += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, seg, at + 2 + c, LE);
                ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, blk * 32 + c);
            }
        }
    }

    private static void q40Row(MemorySegment seg, long base, int cols, float[] dst) {
        int blocks = cols / 32;
        for (int blk = 0; blk < blocks; blk++) {
            long at = base + 18L * blk;
            float d = Float.float16ToFloat(seg.get(I16, at));
            for (int c = 0; c < 16; c += L) {
                ByteVector packed = ByteVector.fromMemorySegment(B, seg, at + 2 + c, LE);
                ByteVector lo = packed.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8);
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, blk * 32 + c);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, blk * 32 + 16 + c);
            }
        }
    }

    /** Groups may straddle rows; a chunk inside one group is vectorized, a chunk across a group boundary is not. */
    private static void q8GroupRow(Tensor w, int r, float[] dst) {
        MemorySegment values = w.data();
        MemorySegment scales = w.groupScales();
        int cols = w.cols();
        int gs = w.groupSize();
        long first = (long) r * cols;
        int ub = F.loopBound(cols);
        int j = 0;
        for (; j < ub; j += L) {
            long i = first + j;
            long g = i / gs;
            if ((i + L - 1) / gs == g) {
                ByteVector q = ByteVector.fromMemorySegment(B, values, i, LE);
                ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(scales.get(F32, g * 4))
                        .intoArray(dst, j);
            } else {
                for (int k = j; k < j + L; k++) {
                    dst[k] = w.get(r, k);
                }
            }
        }
        for (; j < cols; j++) {
            dst[j] = w.get(r, j);
        }
    }
}
