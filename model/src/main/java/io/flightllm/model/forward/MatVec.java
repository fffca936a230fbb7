package io.flightllm.model.forward;

import io.flightllm.model.Tensor;

/**
 * out[r] = dot(w[r], x) for every row r of w. Implementations differ only in speed and summation order:
 * {@link ScalarMatVec} is the golden order (llama2.c's), a vector implementation reassociates.
 */
public interface MatVec extends AutoCloseable {
    void apply(Tensor w, float[] x, float[] out);

    /** out[b][r] = dot(w[r], x[b]) for a batch of input rows (prefill); default: one row at a time. */
    default void applyBatch(Tensor w, float[][] x, float[][] out, int n) {
        for (int b = 0; b < n; b++) {
            apply(w, x[b], out[b]);
        }
    }

    /** A short name for reports. */
    String name();

    @Override
    default void close() {
    }
}
