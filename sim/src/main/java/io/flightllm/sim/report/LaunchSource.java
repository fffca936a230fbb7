package io.flightllm.sim.report;

import io.flightllm.sim.timing.Launch;

import java.util.List;

/**
 * Where a program's launches come from: a compiler run in memory, or the streams of a {@code .flp}. A prefill bucket
 * of length L runs a chunk of {@link #prefillChunkRows()} rows whose last position is below L; a decode bucket of
 * length C runs one step at contexts up to C.
 */
public interface LaunchSource {
    int prefillChunkRows();

    /** Prefill bucket lengths, ascending. */
    List<Integer> prefillBuckets();

    /** Decode bucket lengths, ascending. */
    List<Integer> decodeBuckets();

    /** The program of one bucket. */
    Launch launch(boolean prefill, int bucket);

    /** The smallest bucket of {@code buckets} that holds {@code length}. */
    static int bucketOf(List<Integer> buckets, int length) {
        for (int b : buckets) {
            if (b >= length) {
                return b;
            }
        }
        throw new IllegalArgumentException("length " + length + " exceeds the largest bucket "
                + (buckets.isEmpty() ? 0 : buckets.getLast()) + " of the program");
    }
}
