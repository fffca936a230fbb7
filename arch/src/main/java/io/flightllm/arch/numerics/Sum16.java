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


    /**
     * The pairwise tree over 16 partials: p[j] = p[j] + p[j + w] for j &lt; w, w = 8, 4, 2, 1; returns p[0]. Written
     * out in registers (the same additions in the same pairing): the looped form through the array was a hot spot of
     * the twin's decode, once per output row. Leaves p unchanged.
     */
    public static float reduce(float[] p) {
        float s0 = p[0] + p[8];
        float s1 = p[1] + p[9];
        float s2 = p[2] + p[10];
        float s3 = p[3] + p[11];
        float s4 = p[4] + p[12];
        float s5 = p[5] + p[13];
        float s6 = p[6] + p[14];
        float s7 = p[7] + p[15];
        float t0 = s0 + s4;
        float t1 = s1 + s5;
        float t2 = s2 + s6;
        float t3 = s3 + s7;
        float u0 = t0 + t2;
        float u1 = t1 + t3;
        return u0 + u1;
    }
}
