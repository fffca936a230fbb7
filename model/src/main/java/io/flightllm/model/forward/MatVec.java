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

    /**
     * For kernels that read {@link Tensor#data()} in stored row order: when {@code w} is a row-permuted view (HF q/k),
     * runs {@code mv} on {@link Tensor#storedOrder()} and moves each result to its logical row, returning true;
     * returns false (doing nothing) for an ordinary tensor. Every row's dot product is computed exactly as it would
     * be in place, so results are unchanged.
     */
    static boolean applyInStoredOrder(MatVec mv, Tensor w, float[][] x, float[][] out, int n) {
        if (!w.isRowPermuted()) {
            return false;
        }
        int rows = Math.toIntExact(w.rows());
        float[][] tmp = new float[n][rows];
        mv.applyBatch(w.storedOrder(), x, tmp, n);
        for (int b = 0; b < n; b++) {
            for (int r = 0; r < rows; r++) {
                out[b][r] = tmp[b][(int) w.storedRow(r)];
            }
        }
        return true;
    }

    /** A short name for reports. */
    String name();

    @Override
    default void close() {
    }
}
