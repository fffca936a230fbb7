package io.flightllm.runtime;

import io.flightllm.arch.program.Bucket;
import io.flightllm.arch.program.FlpReader;
import io.flightllm.compress.CompressedModel;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.forward.Forward;
import io.flightllm.sim.FunctionalSim;

/**
 * The host loop's side of a compiled program on the functional simulator: the embedding lookup on the host (plus the
 * learned position row, {@link CompressedModel#inputRow}), prompts
 * in prefill launches of the program's chunk rows (bucket = the smallest prefill program holding the chunk's last
 * position), one decode launch per generated token (bucket = the smallest decode program holding pos + 1 positions).
 * The parameter block {pos, ctx_len, n_valid_rows} is written before every launch; the KV cache stays in the device's
 * HBM between launches, in the program's ABI layout.
 */
final class SimForward implements Forward {
    private final FunctionalSim sim;
    private final ModelConfig config;
    private final CompressedModel model;
    private final int contextLength;
    private final int dim;

    SimForward(FlpReader program, CompressedModel model, int contextLength) {
        this.sim = FunctionalSim.load(program.program(), program);
        this.config = model.config();
        this.model = model;
        this.dim = config.dim();
        this.contextLength = Math.min(contextLength, program.program().model().maxContext());
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public float[] forward(int token, int pos) {
        check(token, pos, 1);
        sim.writeInput(new float[][] {row(token, pos)});
        sim.setParams(pos, pos + 1, 1);
        sim.launch(sim.program().bucketFor(Bucket.Kind.DECODE, pos + 1));
        return sim.readLogits(1)[0];
    }

    @Override
    public float[] prefill(int[] tokens, int startPos, int count, boolean wantLogits) {
        check(count > 0 ? tokens[0] : 0, startPos, count);
        int chunk = sim.maxRows();
        float[] last = null;
        for (int at = 0; at < count; at += chunk) {
            int n = Math.min(chunk, count - at);
            float[][] rows = new float[n][];
            for (int i = 0; i < n; i++) {
                rows[i] = row(tokens[at + i], startPos + at + i);
            }
            int pos = startPos + at;
            sim.writeInput(rows);
            sim.setParams(pos, pos + n, n);
            sim.launch(sim.program().bucketFor(Bucket.Kind.PREFILL, pos + n));
            if (wantLogits && at + n == count) {
                last = sim.readLogits(n)[n - 1];
            }
        }
        return last;
    }

    private void check(int token, int pos, int count) {
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary of "
                    + config.vocabSize());
        }
        if (pos < 0 || pos + count > contextLength) {
            throw new IllegalArgumentException("positions " + pos + ".." + (pos + count - 1)
                    + " exceed the program's context of " + contextLength);
        }
    }

    private float[] row(int token, int pos) {
        float[] r = new float[dim];
        model.inputRow(token, pos, r);
        return r;
    }

    @Override
    public String name() {
        return "sim";
    }
}
