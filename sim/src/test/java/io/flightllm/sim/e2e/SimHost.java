package io.flightllm.sim.e2e;

import io.flightllm.arch.program.Bucket;
import io.flightllm.arch.program.Program;
import io.flightllm.sim.FunctionalSim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The least host that drives a loaded program the way the runtime will: prompts in prefill chunks of the program's
 * row count (bucket = the smallest prefill program holding the chunk's last position), then one decode launch per
 * token (bucket = the smallest decode program holding pos + 1 positions). Embedding lookup happens here, on the host.
 */
final class SimHost {
    private final FunctionalSim sim;
    private final float[] embedding;
    private final int dim;

    SimHost(FunctionalSim sim, float[] embedding, int dim) {
        this.sim = sim;
        this.embedding = embedding;
        this.dim = dim;
    }

    private float[] row(int token) {
        return Arrays.copyOfRange(embedding, token * dim, (token + 1) * dim);
    }

    /** Runs {@code tokens} at positions start.. in prefill chunks; returns each position's logits. */
    List<float[]> prefill(int[] tokens, int start) {
        Program p = sim.program();
        int chunk = sim.maxRows();
        List<float[]> out = new ArrayList<>();
        for (int at = 0; at < tokens.length; at += chunk) {
            int n = Math.min(chunk, tokens.length - at);
            float[][] rows = new float[n][];
            for (int i = 0; i < n; i++) {
                rows[i] = row(tokens[at + i]);
            }
            int pos = start + at;
            sim.writeInput(rows);
            sim.setParams(pos, pos + n, n);
            sim.launch(p.bucketFor(Bucket.Kind.PREFILL, pos + n));
            out.addAll(List.of(sim.readLogits(n)));
        }
        return out;
    }

    /** One decode step of {@code token} at {@code pos}. */
    float[] decode(int token, int pos) {
        sim.writeInput(new float[][] {row(token)});
        sim.setParams(pos, pos + 1, 1);
        sim.launch(sim.program().bucketFor(Bucket.Kind.DECODE, pos + 1));
        return sim.readLogits(1)[0];
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
