package io.flightllm.model.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code dram_read_gb_per_s}: threads sum disjoint slices of a large off-heap buffer (the memory kind the weights live
 * in) with the Vector API, four independent accumulators each so the adds never limit the loads; best of several runs.
 */
public final class MemoryBandwidth {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int STEP = 4 * F.vectorByteSize();

    /** One measurement: the best rate and every run's rate, in GB/s (1e9 bytes per second). */
    public record Result(long bytes, int threads, double bestGbPerS, List<Double> runsGbPerS) {
    }

    private MemoryBandwidth() {
    }

    /**
     * @param bytes   buffer size (rounded down to whole steps of four vectors per thread)
     * @param threads reading threads
     * @param runs    measurements; the best is reported
     */
    public static Result measure(long bytes, int threads, int runs) {
        if (threads < 1 || runs < 1 || bytes < (long) STEP * threads) {
            throw new IllegalArgumentException("bytes = " + bytes + ", threads = " + threads + ", runs = " + runs);
        }
        long perThread = bytes / threads / STEP * STEP;
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            MemorySegment buf = arena.allocate(perThread * threads, 64);
            buf.fill((byte) 0x3C); // touch every page before timing (floats near 0.0117)
            float sink = 0;
            // JIT warm-up on a cache-sized slice, so the first timed run is compiled code, not the interpreter
            MemorySegment warm = buf.asSlice(0, Math.min(buf.byteSize(), 1 << 20) / STEP * STEP);
            for (int i = 0; i < 200; i++) {
                sink += sum(warm);
            }
            List<Double> rates = new ArrayList<>();
            double best = 0;
            for (int run = 0; run < runs; run++) {
                List<Future<Float>> parts = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    MemorySegment slice = buf.asSlice(t * perThread, perThread);
                    parts.add(pool.submit(() -> sum(slice)));
                }
                for (Future<Float> f : parts) {
                    sink += f.get();
                }
                double rate = perThread * threads / (double) (System.nanoTime() - t0);
                rates.add(rate);
                best = Math.max(best, rate);
            }
            if (sink == 42.0f) { // keeps the sums alive; never true for this fill
                System.err.print("");
            }
            return new Result(perThread * threads, threads, best, List.copyOf(rates));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    static float sum(MemorySegment s) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int vb = F.vectorByteSize();
        long n = s.byteSize();
        for (long o = 0; o < n; o += STEP) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, s, o, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, s, o + vb, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, s, o + 2L * vb, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, s, o + 3L * vb, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
}
