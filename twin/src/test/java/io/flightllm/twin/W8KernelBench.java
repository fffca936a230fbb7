package io.flightllm.twin;

import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A timing harness (not a unit test) for the 8-bit decode kernels: one int8 matrix much larger than the caches, every
 * row against one INT8 activation row, on one thread and on two (rows split in halves), in the same JVM. The kernels
 * run in turn, one pass each per round, so a change of load hits all alike; each prints the median and best of the
 * rounds after a warm-up, in GB/s of weights (= G MAC/s for int8). For scale: a raw byte stream (OR of 64-byte
 * vectors), an FP32 four-rows-per-pass FMA over a float matrix of the same byte size (as the fp32 reference), and
 * issue 3's shortDot (copied here, {@link #shortDotIssue3}) next to the current {@code shortDot}/{@code shortDot2},
 * and two rejected variants that read each row as two streams (its halves): {@link #split1} (one row, two streams) and
 * {@link #split2} (two rows, four streams), neither faster than shortDot2 from DRAM (docs/bench.md).
 * Checks that every int8 kernel gives the same sums first. AVX-512 only (the copies use 512-bit species).
 *
 * <p>Run like {@link TwinBench}: {@code java --add-modules jdk.incubator.vector -Xmx4g -cp ...
 * io.flightllm.twin.W8KernelBench [rows] [cols] [rounds]} (default 45056 x 2048, 9 rounds: 92 MB, LLaMA's K).
 */
public final class W8KernelBench {
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_512;
    private static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;

    private W8KernelBench() {
    }

    interface RowKernel {
        /** Rows [r0, r1); returns something derived from the result (so nothing is optimised away). */
        long run(int r0, int r1);
    }

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 45056;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 9;
        Random rnd = new Random(1);
        byte[] w = new byte[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (byte) (rnd.nextInt(255) - 127);
        }
        short[] a = new short[cols];
        float[] af = new float[cols];
        for (int i = 0; i < cols; i++) {
            a[i] = (short) (rnd.nextInt(255) - 127);
            af[i] = a[i];
        }
        float[] wf = new float[rows / 4 * cols];
        for (int i = 0; i < wf.length; i++) {
            wf[i] = w[i];
        }
        int[] out = new int[rows];
        String[] names = {"bytes-or", "fp32x4", "issue3", "shortDot", "shortDot2", "split1", "split2"};
        RowKernel[] ks = {
            (r0, r1) -> orStream(w, r0 * cols, r1 * cols),
            (r0, r1) -> fp32Rows(wf, af, cols, r0 / 4, r1 / 4),
            (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    out[r] = shortDotIssue3(w, r * cols, a, 0, cols);
                }
                return out[r0];
            },
            (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    out[r] = VectorKernels.shortDot(w, r * cols, a, 0, cols);
                }
                return out[r0];
            },
            (r0, r1) -> {
                for (int r = r0; r < r1; r += 2) {
                    long both = VectorKernels.shortDot2(w, r * cols, (r + 1) * cols, a, 0, cols);
                    out[r] = (int) (both >> 32);
                    out[r + 1] = (int) both;
                }
                return out[r0];
            },
            (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    out[r] = split1(w, r * cols, a, 0, cols);
                }
                return out[r0];
            },
            (r0, r1) -> {
                for (int r = r0; r < r1; r += 2) {
                    long both = split2(w, r * cols, (r + 1) * cols, a, 0, cols);
                    out[r] = (int) (both >> 32);
                    out[r + 1] = (int) both;
                }
                return out[r0];
            },
        };
        int[] expect = null;
        for (int k = 2; k < ks.length; k++) {
            Arrays.fill(out, 0);
            ks[k].run(0, rows);
            if (expect == null) {
                expect = out.clone();
            } else if (!Arrays.equals(out, expect)) {
                throw new AssertionError(names[k] + " differs from " + names[2]);
            }
        }
        double bytes = (double) rows * cols;
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int threads : new int[] {1, 2}) {
                double[][] t = new double[ks.length][rounds];
                for (int p = -1; p < rounds; p++) {
                    for (int k = 0; k < ks.length; k++) {
                        RowKernel kern = ks[k];
                        long t0 = System.nanoTime();
                        if (threads == 1) {
                            kern.run(0, rows);
                        } else {
                            pool.run(2, part -> kern.run(part == 0 ? 0 : rows / 2, part == 0 ? rows / 2 : rows));
                        }
                        if (p >= 0) {
                            t[k][p] = (System.nanoTime() - t0) / 1e9;
                        }
                    }
                }
                for (int k = 0; k < ks.length; k++) {
                    Arrays.sort(t[k]);
                    System.out.printf("threads %d %-9s GB/s (= int8 GMAC/s) median %6.2f best %6.2f%n",
                            threads, names[k], bytes / t[k][rounds / 2] / 1e9, bytes / t[k][0] / 1e9);
                }
            }
        }
    }

    private static long orStream(byte[] w, int from, int to) {
        ByteVector acc = ByteVector.zero(B);
        ByteVector acc2 = acc;
        for (int i = from; i <= to - 128; i += 128) {
            acc = acc.or(ByteVector.fromArray(B, w, i));
            acc2 = acc2.or(ByteVector.fromArray(B, w, i + 64));
        }
        return acc.or(acc2).reduceLanes(VectorOperators.OR);
    }

    private static long fp32Rows(float[] w, float[] a, int cols, int r0, int r1) {
        double s = 0;
        for (int r = r0; r + 4 <= r1; r += 4) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int b = r * cols;
            for (int j = 0; j <= cols - 16; j += 16) {
                FloatVector x = FloatVector.fromArray(F, a, j);
                a0 = FloatVector.fromArray(F, w, b + j).fma(x, a0);
                a1 = FloatVector.fromArray(F, w, b + cols + j).fma(x, a1);
                a2 = FloatVector.fromArray(F, w, b + 2 * cols + j).fma(x, a2);
                a3 = FloatVector.fromArray(F, w, b + 3 * cols + j).fma(x, a3);
            }
            s += a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
        }
        return (long) s;
    }

    /** Issue 3's shortDot main loop (len a multiple of 64): both 16-bit halves unpacked by three shifts per step. */
    static int shortDotIssue3(byte[] w, int wo, short[] a, int ao, int len) {
        IntVector hi = IntVector.zero(I);
        IntVector lo = hi;
        for (int i = 0; i < len; i += 64) {
            ShortVector b0 = (ShortVector) ByteVector.fromArray(B256, w, wo + i).convertShape(VectorOperators.B2S, S, 0);
            ShortVector b1 = (ShortVector) ByteVector.fromArray(B256, w, wo + i + 32)
                    .convertShape(VectorOperators.B2S, S, 0);
            IntVector x = b0.mul(ShortVector.fromArray(S, a, ao + i))
                    .add(b1.mul(ShortVector.fromArray(S, a, ao + i + 32))).reinterpretAsInts();
            hi = hi.add(x.lanewise(VectorOperators.ASHR, 16));
            lo = lo.add(x.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
        }
        return hi.add(lo).reduceLanes(VectorOperators.ADD);
    }

    private static IntVector pairs(byte[] w, int at0, int at1, ShortVector a0, ShortVector a1) {
        ShortVector b0 = (ShortVector) ByteVector.fromArray(B256, w, at0).convertShape(VectorOperators.B2S, S, 0);
        ShortVector b1 = (ShortVector) ByteVector.fromArray(B256, w, at1).convertShape(VectorOperators.B2S, S, 0);
        return b0.mul(a0).add(b1.mul(a1)).reinterpretAsInts().lanewise(VectorOperators.XOR, 0x8000);
    }

    /** One row as two streams (its halves), len a multiple of 64. */
    static int split1(byte[] w, int wo, short[] a, int ao, int len) {
        int half = len / 2;
        IntVector x = IntVector.zero(I);
        IntVector h = x;
        for (int i = 0; i < half; i += 32) {
            IntVector p = pairs(w, wo + i, wo + half + i, ShortVector.fromArray(S, a, ao + i),
                    ShortVector.fromArray(S, a, ao + half + i));
            x = x.add(p);
            h = h.add(p.lanewise(VectorOperators.ASHR, 16));
        }
        return x.reduceLanes(VectorOperators.ADD) - 65535 * h.reduceLanes(VectorOperators.ADD) - 0x8000 * (len / 4);
    }

    /** Two rows as four streams. */
    static long split2(byte[] w, int wo0, int wo1, short[] a, int ao, int len) {
        int half = len / 2;
        IntVector x0 = IntVector.zero(I);
        IntVector h0 = x0;
        IntVector x1 = x0;
        IntVector h1 = x0;
        for (int i = 0; i < half; i += 32) {
            ShortVector a0 = ShortVector.fromArray(S, a, ao + i);
            ShortVector a1 = ShortVector.fromArray(S, a, ao + half + i);
            IntVector p = pairs(w, wo0 + i, wo0 + half + i, a0, a1);
            IntVector q = pairs(w, wo1 + i, wo1 + half + i, a0, a1);
            x0 = x0.add(p);
            h0 = h0.add(p.lanewise(VectorOperators.ASHR, 16));
            x1 = x1.add(q);
            h1 = h1.add(q.lanewise(VectorOperators.ASHR, 16));
        }
        int t0 = x0.reduceLanes(VectorOperators.ADD) - 65535 * h0.reduceLanes(VectorOperators.ADD) - 0x8000 * (len / 4);
        int t1 = x1.reduceLanes(VectorOperators.ADD) - 65535 * h1.reduceLanes(VectorOperators.ADD) - 0x8000 * (len / 4);
        return ((long) t0 << 32) | (t1 & 0xFFFFFFFFL);
    }
}
