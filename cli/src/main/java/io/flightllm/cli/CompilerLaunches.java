package io.flightllm.cli;

import io.flightllm.compiler.Compiler;
import io.flightllm.sim.report.LaunchSource;
import io.flightllm.sim.timing.Launch;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A compiler as the timing model's launch source: each bucket's program emitted in memory with its tiles' densities.
 * With {@code keep}, emitted launches are kept and reused (the sweep times one program at several clocks).
 */
record CompilerLaunches(Compiler c, boolean keep, Map<String, Launch> kept) implements LaunchSource {
    CompilerLaunches(Compiler c, boolean keep) {
        this(c, keep, new ConcurrentHashMap<>());
    }

    @Override
    public int prefillChunkRows() {
        return c.prefillChunkRows();
    }

    @Override
    public List<Integer> prefillBuckets() {
        return c.buckets().prefillLengths();
    }

    @Override
    public List<Integer> decodeBuckets() {
        return c.buckets().decodeLengths();
    }

    @Override
    public Launch launch(boolean prefill, int bucket) {
        if (!keep) {
            return emit(prefill, bucket);
        }
        return kept.computeIfAbsent((prefill ? "p" : "d") + bucket, k -> emit(prefill, bucket));
    }

    private Launch emit(boolean prefill, int bucket) {
        Compiler.LaunchStreams l = c.emitLaunch(prefill, prefill ? c.prefillChunkRows() : 1, bucket);
        return new Launch(l.words(), l.densities());
    }
}
