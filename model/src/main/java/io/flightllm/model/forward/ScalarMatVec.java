package io.flightllm.model.forward;

import io.flightllm.model.Tensor;

/** The golden matrix-vector product: one thread, ascending columns, no FMA ({@link Tensor#dot}). */
public final class ScalarMatVec implements MatVec {
    @Override
    public void apply(Tensor w, float[] x, float[] out) {
        int rows = Math.toIntExact(w.rows());
        for (int r = 0; r < rows; r++) {
            out[r] = w.dot(r, x);
        }
    }

    @Override
    public String name() {
        return "scalar";
    }
}
