package io.flightllm.model.forward;

import io.flightllm.model.DType;
import io.flightllm.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.IdentityHashMap;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A parallel, vectorized matrix-vector product that is bit-identical to {@link ScalarMatVec} (llama2.c's order).
 *
 * <p>The golden order sums each row sequentially: {@code val = val + w[r][k] * x[k]} for ascending k, one rounding per
 * multiply and per add. Instead of splitting a row across lanes (which reassociates the sum), the 16 lanes hold 16
 * different rows: each 16 x 16 tile of the matrix is loaded row-wise and transposed in registers (four butterfly stages
 * of two-vector {@code selectFrom}), then {@code acc = acc + col_k * x[k]} runs for k in ascending order with a separate
 * multiply and add (never FMA). The packed mode (the default) copies each matrix once into that transposed tile
 * layout, so a call is one load, one multiply and one add per 16 weights. Every lane therefore performs exactly the scalar sequence of operations of its row.
 * Rows left over after the last full tile, and tails of fewer than 16 columns, continue sequentially in scalar code.
 * Threads split the tiles; since no sum is split, the result does not depend on the thread count.
 *
 * <p>Only F32 tensors take the vector path; other types use the golden scalar dot product (also exact).
 * Not thread-safe; close it to stop its worker threads.
 */
public final class ExactVectorMatVec implements MatVec {
    private static final VectorSpecies<Float> S16 = FloatVector.SPECIES_512;
    private static final int T = 16;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    static final long SMALL_WORK_BYTES = 1L << 18;
    /** Index vectors of the butterfly stages for block widths 8, 4, 2, 1 (indices into the concatenation a ++ b). */
    private static final FloatVector[] LO = new FloatVector[4];
    private static final FloatVector[] HI = new FloatVector[4];

    static {
        int[] widths = {8, 4, 2, 1};
        for (int s = 0; s < 4; s++) {
            int w = widths[s];
            float[] lo = new float[T];
            float[] hi = new float[T];
            for (int n = 0; n < T; n++) {
                boolean upper = (n & w) != 0;
                lo[n] = upper ? T + n - w : n;  // a' keeps a's lower half of each 2w block, takes b's lower half
                hi[n] = upper ? T + n : n + w;  // b' takes a's upper half, keeps b's upper half
            }
            LO[s] = FloatVector.fromArray(S16, lo, 0);
            HI[s] = FloatVector.fromArray(S16, hi, 0);
        }
    }

    // The same index vectors as constants: static final fields let the JIT fold the index conversion out of the loop.
    private static final FloatVector LO8 = LO[0];
    private static final FloatVector HI8 = HI[0];
    private static final FloatVector LO4 = LO[1];
    private static final FloatVector HI4 = HI[1];
    private static final FloatVector LO2 = LO[2];
    private static final FloatVector HI2 = HI[2];
    private static final FloatVector LO1 = LO[3];
    private static final FloatVector HI1 = HI[3];

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private final WorkerPool pool;
    private final long smallWorkBytes;
    private final boolean packed;
    private final float[][] lanes;
    private final Job job = new Job();
    private final BatchJob batchJob = new BatchJob();
    /** Column-interleaved copies of the F32 matrices (packed mode), made on first use, freed by close(). */
    private final Arena packArena = Arena.ofShared();
    private final Map<Tensor, MemorySegment> packs = new IdentityHashMap<>();

    /** The packed kernel (see {@link #ExactVectorMatVec(int, boolean)}). */
    public ExactVectorMatVec(int threads) {
        this(threads, true);
    }

    /**
     * @param packed true: on first use, copy each F32 matrix into a column-interleaved layout (for every 16-row tile,
     *               column k's 16 values are contiguous), so the kernel needs no shuffles; costs one copy of the
     *               weights in memory. false: transpose 16 x 16 tiles in registers on every call (no copy).
     */
    public ExactVectorMatVec(int threads, boolean packed) {
        this(threads, SMALL_WORK_BYTES, packed);
    }

    /** Tests pass {@code smallWorkBytes = 0} to send even tiny matrices through the worker threads. */
    ExactVectorMatVec(int threads, long smallWorkBytes, boolean packed) {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads = " + threads + "; expected 1 to 1024");
        }
        this.smallWorkBytes = smallWorkBytes;
        this.packed = packed;
        pool = new WorkerPool(threads, "flightllm-exact");
        lanes = new float[threads][T];
    }

    public int threads() {
        return pool.parts();
    }

    @Override
    public String name() {
        return "exact(" + (packed ? "packed" : "register-transposed") + " 16-row tiles, " + threads() + (threads() == 1 ? " thread)" : " threads)");
    }

    @Override
    public void apply(Tensor w, float[] x, float[] out) {
        if (MatVec.applyInStoredOrder(this, w, new float[][] {x}, new float[][] {out}, 1)) {
            return;
        }
        if (w.rows() > Integer.MAX_VALUE || x.length < w.cols() || out.length < w.rows()) {
            throw new IllegalArgumentException(w.name() + " [" + w.rows() + ", " + w.cols() + "]: input of "
                    + x.length + " and output of " + out.length + " elements do not fit");
        }
        job.w = w;
        job.x = x;
        job.out = out;
        job.pack = packed && w.type() == DType.F32 && w.rows() >= T ? packs.computeIfAbsent(w, this::pack) : null;
        if (pool.parts() == 1 || w.byteSize() < smallWorkBytes) {
            job.run(0, 1);
        } else {
            pool.run(job);
        }
        job.w = null;
        job.x = null;
        job.out = null;
        job.pack = null;
    }

    /**
     * Prefill: for packed F32 matrices, each tile's columns are read once for four inputs at a time (the tile stays in
     * cache for the next four), so the weights come from memory once per batch. Other cases: row by row.
     */
    @Override
    public void applyBatch(Tensor w, float[][] x, float[][] out, int n) {
        if (MatVec.applyInStoredOrder(this, w, x, out, n)) {
            return;
        }
        if (!packed || w.type() != DType.F32 || w.rows() < T || n < 2) {
            MatVec.super.applyBatch(w, x, out, n);
            return;
        }
        if (n > x.length || n > out.length) {
            throw new IllegalArgumentException("batch of " + n + " rows with " + x.length + " inputs and "
                    + out.length + " outputs");
        }
        for (int b = 0; b < n; b++) {
            if (w.rows() > Integer.MAX_VALUE || x[b].length < w.cols() || out[b].length < w.rows()) {
                throw new IllegalArgumentException(w.name() + " [" + w.rows() + ", " + w.cols() + "]: input of "
                        + x[b].length + " and output of " + out[b].length + " elements do not fit");
            }
        }
        batchJob.w = w;
        batchJob.xs = x;
        batchJob.outs = out;
        batchJob.n = n;
        batchJob.pack = packs.computeIfAbsent(w, this::pack);
        if (pool.parts() == 1 || w.byteSize() * n < smallWorkBytes) {
            batchJob.run(0, 1);
        } else {
            pool.run(batchJob);
        }
        batchJob.w = null;
        batchJob.xs = null;
        batchJob.outs = null;
        batchJob.pack = null;
    }

    private final class BatchJob implements WorkerPool.Job {
        Tensor w;
        float[][] xs;
        float[][] outs;
        int n;
        MemorySegment pack;

        @Override
        public void run(int part, int parts) {
            int rows = (int) w.rows();
            int cols = w.cols();
            int tiles = rows / T;
            int t0 = (int) ((long) tiles * part / parts);
            int t1 = (int) ((long) tiles * (part + 1) / parts);
            for (int t = t0; t < t1; t++) {
                int b = 0;
                for (; b + 4 <= n; b += 4) {
                    packedTileTokens4(pack, cols, t, xs, b, outs);
                }
                for (; b < n; b++) {
                    packedTile(pack, cols, t, xs[b], outs[b]);
                }
            }
            if (part == parts - 1) {
                for (int r = tiles * T; r < rows; r++) {
                    for (int b = 0; b < n; b++) {
                        outs[b][r] = w.dot(r, xs[b]);
                    }
                }
            }
        }
    }

    /** Packed tile t against inputs b .. b + 3: one load of each column vector feeds four chains. */
    static void packedTileTokens4(MemorySegment p, int cols, int t, float[][] xs, int b, float[][] outs) {
        long base = (long) t * cols * 64;
        float[] x0 = xs[b];
        float[] x1 = xs[b + 1];
        float[] x2 = xs[b + 2];
        float[] x3 = xs[b + 3];
        FloatVector a0 = FloatVector.zero(S16);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int k = 0; k < cols; k++) {
            FloatVector col = FloatVector.fromMemorySegment(S16, p, base + 64L * k, NATIVE);
            a0 = a0.add(col.mul(x0[k]));
            a1 = a1.add(col.mul(x1[k]));
            a2 = a2.add(col.mul(x2[k]));
            a3 = a3.add(col.mul(x3[k]));
        }
        a0.intoArray(outs[b], t * T);
        a1.intoArray(outs[b + 1], t * T);
        a2.intoArray(outs[b + 2], t * T);
        a3.intoArray(outs[b + 3], t * T);
    }

    @Override
    public void close() {
        pool.close();
        packs.clear();
        packArena.close();
    }

    /**
     * Tile t, column k of the packed copy: the 16 floats w[16 t + i][k], i = 0..15, at ((t * cols) + k) * 64. Rows
     * after the last full tile are not packed (they take the scalar path). The copy is made by all threads.
     */
    private MemorySegment pack(Tensor w) {
        int cols = w.cols();
        int tiles = (int) (w.rows() / T);
        MemorySegment src = w.data();
        MemorySegment dst = packArena.allocate((long) tiles * cols * T * 4, 64);
        WorkerPool.Job copy = (part, parts) -> {
            int t0 = (int) ((long) tiles * part / parts);
            int t1 = (int) ((long) tiles * (part + 1) / parts);
            for (long t = t0; t < t1; t++) {
                for (int i = 0; i < T; i++) {
                    long from = (t * T + i) * cols * 4;
                    long to = t * cols * T * 4 + 4L * i;
                    for (int k = 0; k < cols; k++) {
                        dst.set(ValueLayout.JAVA_FLOAT, to + 64L * k, src.get(F32, from + 4L * k));
                    }
                }
            }
        };
        if (pool.parts() == 1 || w.byteSize() < smallWorkBytes) {
            copy.run(0, 1);
        } else {
            pool.run(copy);
        }
        return dst;
    }

    private final class Job implements WorkerPool.Job {
        Tensor w;
        float[] x;
        float[] out;
        MemorySegment pack;

        @Override
        public void run(int part, int parts) {
            int rows = (int) w.rows();
            if (w.type() != DType.F32) {
                int r0 = (int) ((long) rows * part / parts);
                int r1 = (int) ((long) rows * (part + 1) / parts);
                for (int r = r0; r < r1; r++) {
                    out[r] = w.dot(r, x);
                }
                return;
            }
            int tiles = rows / T;
            int t0 = (int) ((long) tiles * part / parts);
            int t1 = (int) ((long) tiles * (part + 1) / parts);
            if (pack != null) {
                int t = t0;
                for (; t + 4 <= t1; t += 4) {
                    packedTiles4(pack, w.cols(), t, x, out);
                }
                for (; t + 2 <= t1; t += 2) {
                    packedTiles2(pack, w.cols(), t, x, out);
                }
                if (t < t1) {
                    packedTile(pack, w.cols(), t, x, out);
                }
            } else {
                for (int t = t0; t < t1; t++) {
                    tile(w.data(), w.cols(), t * T, x, out, lanes[part]);
                }
            }
            if (part == parts - 1) {
                for (int r = tiles * T; r < rows; r++) {
                    out[r] = w.dot(r, x);
                }
            }
        }
    }

    /** Packed tile t: lane i accumulates row 16 t + i over all columns in the golden order. */
    static void packedTile(MemorySegment p, int cols, int t, float[] x, float[] out) {
        long base = (long) t * cols * 64;
        FloatVector acc = FloatVector.zero(S16);
        for (int k = 0; k < cols; k++) {
            acc = acc.add(FloatVector.fromMemorySegment(S16, p, base + 64L * k, NATIVE).mul(x[k]));
        }
        acc.intoArray(out, t * T);
    }

    /** Packed tiles t .. t + 3 together: four independent add chains, four memory streams. */
    static void packedTiles4(MemorySegment p, int cols, int t, float[] x, float[] out) {
        long stride = (long) cols * 64;
        long b0 = (long) t * stride;
        FloatVector a0 = FloatVector.zero(S16);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int k = 0; k < cols; k++) {
            float xk = x[k];
            long o = b0 + 64L * k;
            a0 = a0.add(FloatVector.fromMemorySegment(S16, p, o, NATIVE).mul(xk));
            a1 = a1.add(FloatVector.fromMemorySegment(S16, p, o + stride, NATIVE).mul(xk));
            a2 = a2.add(FloatVector.fromMemorySegment(S16, p, o + 2 * stride, NATIVE).mul(xk));
            a3 = a3.add(FloatVector.fromMemorySegment(S16, p, o + 3 * stride, NATIVE).mul(xk));
        }
        a0.intoArray(out, t * T);
        a1.intoArray(out, t * T + T);
        a2.intoArray(out, t * T + 2 * T);
        a3.intoArray(out, t * T + 3 * T);
    }

    /** Packed tiles t and t + 1 together: two independent add chains. */
    static void packedTiles2(MemorySegment p, int cols, int t, float[] x, float[] out) {
        long b0 = (long) t * cols * 64;
        long b1 = b0 + (long) cols * 64;
        FloatVector a0 = FloatVector.zero(S16);
        FloatVector a1 = a0;
        for (int k = 0; k < cols; k++) {
            float xk = x[k];
            a0 = a0.add(FloatVector.fromMemorySegment(S16, p, b0 + 64L * k, NATIVE).mul(xk));
            a1 = a1.add(FloatVector.fromMemorySegment(S16, p, b1 + 64L * k, NATIVE).mul(xk));
        }
        a0.intoArray(out, t * T);
        a1.intoArray(out, t * T + T);
    }

    /** Rows [r, r + 16): lane i accumulates row r + i in the golden order. */
    static void tile(MemorySegment seg, int cols, int r, float[] x, float[] out, float[] tmp) {
        long rowBytes = 4L * cols;
        long base = r * rowBytes;
        FloatVector acc = FloatVector.zero(S16);
        int ub = cols - cols % T;
        for (int j = 0; j < ub; j += T) {
            long off = 4L * j;
            FloatVector a0 = FloatVector.fromMemorySegment(S16, seg, base + 0L * rowBytes + off, LE);
            FloatVector a1 = FloatVector.fromMemorySegment(S16, seg, base + 1L * rowBytes + off, LE);
            FloatVector a2 = FloatVector.fromMemorySegment(S16, seg, base + 2L * rowBytes + off, LE);
            FloatVector a3 = FloatVector.fromMemorySegment(S16, seg, base + 3L * rowBytes + off, LE);
            FloatVector a4 = FloatVector.fromMemorySegment(S16, seg, base + 4L * rowBytes + off, LE);
            FloatVector a5 = FloatVector.fromMemorySegment(S16, seg, base + 5L * rowBytes + off, LE);
            FloatVector a6 = FloatVector.fromMemorySegment(S16, seg, base + 6L * rowBytes + off, LE);
            FloatVector a7 = FloatVector.fromMemorySegment(S16, seg, base + 7L * rowBytes + off, LE);
            FloatVector a8 = FloatVector.fromMemorySegment(S16, seg, base + 8L * rowBytes + off, LE);
            FloatVector a9 = FloatVector.fromMemorySegment(S16, seg, base + 9L * rowBytes + off, LE);
            FloatVector a10 = FloatVector.fromMemorySegment(S16, seg, base + 10L * rowBytes + off, LE);
            FloatVector a11 = FloatVector.fromMemorySegment(S16, seg, base + 11L * rowBytes + off, LE);
            FloatVector a12 = FloatVector.fromMemorySegment(S16, seg, base + 12L * rowBytes + off, LE);
            FloatVector a13 = FloatVector.fromMemorySegment(S16, seg, base + 13L * rowBytes + off, LE);
            FloatVector a14 = FloatVector.fromMemorySegment(S16, seg, base + 14L * rowBytes + off, LE);
            FloatVector a15 = FloatVector.fromMemorySegment(S16, seg, base + 15L * rowBytes + off, LE);
            FloatVector b0 = LO8.selectFrom(a0, a8);
            FloatVector b8 = HI8.selectFrom(a0, a8);
            FloatVector b1 = LO8.selectFrom(a1, a9);
            FloatVector b9 = HI8.selectFrom(a1, a9);
            FloatVector b2 = LO8.selectFrom(a2, a10);
            FloatVector b10 = HI8.selectFrom(a2, a10);
            FloatVector b3 = LO8.selectFrom(a3, a11);
            FloatVector b11 = HI8.selectFrom(a3, a11);
            FloatVector b4 = LO8.selectFrom(a4, a12);
            FloatVector b12 = HI8.selectFrom(a4, a12);
            FloatVector b5 = LO8.selectFrom(a5, a13);
            FloatVector b13 = HI8.selectFrom(a5, a13);
            FloatVector b6 = LO8.selectFrom(a6, a14);
            FloatVector b14 = HI8.selectFrom(a6, a14);
            FloatVector b7 = LO8.selectFrom(a7, a15);
            FloatVector b15 = HI8.selectFrom(a7, a15);
            FloatVector c0 = LO4.selectFrom(b0, b4);
            FloatVector c4 = HI4.selectFrom(b0, b4);
            FloatVector c1 = LO4.selectFrom(b1, b5);
            FloatVector c5 = HI4.selectFrom(b1, b5);
            FloatVector c2 = LO4.selectFrom(b2, b6);
            FloatVector c6 = HI4.selectFrom(b2, b6);
            FloatVector c3 = LO4.selectFrom(b3, b7);
            FloatVector c7 = HI4.selectFrom(b3, b7);
            FloatVector c8 = LO4.selectFrom(b8, b12);
            FloatVector c12 = HI4.selectFrom(b8, b12);
            FloatVector c9 = LO4.selectFrom(b9, b13);
            FloatVector c13 = HI4.selectFrom(b9, b13);
            FloatVector c10 = LO4.selectFrom(b10, b14);
            FloatVector c14 = HI4.selectFrom(b10, b14);
            FloatVector c11 = LO4.selectFrom(b11, b15);
            FloatVector c15 = HI4.selectFrom(b11, b15);
            FloatVector d0 = LO2.selectFrom(c0, c2);
            FloatVector d2 = HI2.selectFrom(c0, c2);
            FloatVector d1 = LO2.selectFrom(c1, c3);
            FloatVector d3 = HI2.selectFrom(c1, c3);
            FloatVector d4 = LO2.selectFrom(c4, c6);
            FloatVector d6 = HI2.selectFrom(c4, c6);
            FloatVector d5 = LO2.selectFrom(c5, c7);
            FloatVector d7 = HI2.selectFrom(c5, c7);
            FloatVector d8 = LO2.selectFrom(c8, c10);
            FloatVector d10 = HI2.selectFrom(c8, c10);
            FloatVector d9 = LO2.selectFrom(c9, c11);
            FloatVector d11 = HI2.selectFrom(c9, c11);
            FloatVector d12 = LO2.selectFrom(c12, c14);
            FloatVector d14 = HI2.selectFrom(c12, c14);
            FloatVector d13 = LO2.selectFrom(c13, c15);
            FloatVector d15 = HI2.selectFrom(c13, c15);
            FloatVector e0 = LO1.selectFrom(d0, d1);
            FloatVector e1 = HI1.selectFrom(d0, d1);
            FloatVector e2 = LO1.selectFrom(d2, d3);
            FloatVector e3 = HI1.selectFrom(d2, d3);
            FloatVector e4 = LO1.selectFrom(d4, d5);
            FloatVector e5 = HI1.selectFrom(d4, d5);
            FloatVector e6 = LO1.selectFrom(d6, d7);
            FloatVector e7 = HI1.selectFrom(d6, d7);
            FloatVector e8 = LO1.selectFrom(d8, d9);
            FloatVector e9 = HI1.selectFrom(d8, d9);
            FloatVector e10 = LO1.selectFrom(d10, d11);
            FloatVector e11 = HI1.selectFrom(d10, d11);
            FloatVector e12 = LO1.selectFrom(d12, d13);
            FloatVector e13 = HI1.selectFrom(d12, d13);
            FloatVector e14 = LO1.selectFrom(d14, d15);
            FloatVector e15 = HI1.selectFrom(d14, d15);
            acc = acc.add(e0.mul(x[j + 0]));
            acc = acc.add(e1.mul(x[j + 1]));
            acc = acc.add(e2.mul(x[j + 2]));
            acc = acc.add(e3.mul(x[j + 3]));
            acc = acc.add(e4.mul(x[j + 4]));
            acc = acc.add(e5.mul(x[j + 5]));
            acc = acc.add(e6.mul(x[j + 6]));
            acc = acc.add(e7.mul(x[j + 7]));
            acc = acc.add(e8.mul(x[j + 8]));
            acc = acc.add(e9.mul(x[j + 9]));
            acc = acc.add(e10.mul(x[j + 10]));
            acc = acc.add(e11.mul(x[j + 11]));
            acc = acc.add(e12.mul(x[j + 12]));
            acc = acc.add(e13.mul(x[j + 13]));
            acc = acc.add(e14.mul(x[j + 14]));
            acc = acc.add(e15.mul(x[j + 15]));
        }
        acc.intoArray(tmp, 0);
        for (int i = 0; i < T; i++) {
            float val = tmp[i];
            long rb = base + i * rowBytes;
            for (int j = ub; j < cols; j++) {
                val += seg.get(F32, rb + 4L * j) * x[j];
            }
            out[r + i] = val;
        }
    }

    /** Testing aid: a 16 x 16 tile of {@code in} (row-major) transposed by the kernel's butterfly stages. */
    static float[] transposeForTest(float[] in) {
        FloatVector[] v = new FloatVector[T];
        for (int i = 0; i < T; i++) {
            v[i] = FloatVector.fromArray(S16, in, i * T);
        }
        int[] widths = {8, 4, 2, 1};
        for (int s = 0; s < 4; s++) {
            int w = widths[s];
            for (int i = 0; i < T; i++) {
                if ((i & w) == 0) {
                    FloatVector a = v[i];
                    FloatVector b = v[i + w];
                    v[i] = LO[s].selectFrom(a, b);
                    v[i + w] = HI[s].selectFrom(a, b);
                }
            }
        }
        float[] out = new float[T * T];
        for (int i = 0; i < T; i++) {
            v[i].intoArray(out, i * T);
        }
        return out;
    }
}
