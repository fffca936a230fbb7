package io.flightllm.sim.e2e;

import io.flightllm.arch.program.Bucket;
import io.flightllm.arch.program.Program;
import io.flightllm.compress.CompressedModel;
import io.flightllm.sim.FunctionalSim;

import java.util.ArrayList;
import java.util.List;

/**
 * The least host that drives a loaded program the way the runtime will: prompts in prefill chunks of the program's
 * row count (bucket = the smallest prefill program holding the chunk's last position), then one decode launch per
 * token (bucket = the smallest decode program holding pos + 1 positions). Embedding lookup happens here, on the host.
 */
final class SimHost {
    private final FunctionalSim sim;
    /** The input row of a token at a position. */
    @FunctionalInterface
    interface Rows {
        void row(int token, int pos, float[] out);
    }

    private final int dim;
    private final Rows source;

    SimHost(FunctionalSim sim, CompressedModel model) {
        this(sim, model.config().dim(), model::inputRow);
    }

    SimHost(FunctionalSim sim, int dim, Rows rows) {
        this.sim = sim;
        this.dim = dim;
        this.source = rows;
    }

    private float[] row(int token, int pos) {
        float[] r = new float[dim];
        source.row(token, pos, r);
        return r;
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
                rows[i] = row(tokens[at + i], start + at + i);
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
        sim.writeInput(new float[][] {row(token, pos)});
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
