package io.flightllm.arch.numerics;

/**
 * The accelerator's only FP32 summation rule (DESIGN.md "Numerics contract"): 16 partial sums starting at +0.0f,
 * element i added to partial (i mod 16) in ascending i, then a pairwise tree for w = 8, 4, 2, 1. A 16-lane vector
 * (or two 8-lane vectors) computes exactly this, so scalar and SIMD code agree bit for bit.
 */
public final class Sum16 {
    public static final int LANES = 16;

    private Sum16() {
    }

    /** sum16 of x[from .. from + n). Element indices for the lane rule are relative to {@code from}. */
    public static float sum(float[] x, int from, int n) {
        float[] p = new float[LANES];
        for (int i = 0; i < n; i++) {
            p[i & 15] += x[from + i];
        }
        return reduce(p);
    }


    /** The pairwise tree over 16 partials: p[j] += p[j + w] for w = 8, 4, 2, 1; returns p[0]. Overwrites p. */
    public static float reduce(float[] p) {
        for (int w = 8; w >= 1; w >>= 1) {
            for (int j = 0; j < w; j++) {
                p[j] = p[j] + p[j + w];
            }
        }
        return p[0];
    }
}
