package io.flightllm.arch.numerics;

/**
 * The special function unit's operations, exactly as the numerics contract writes them (docs/numerics.md). These
 * scalar forms are the golden definitions; the CPU twin's vector forms and the simulator are tested equal to them.
 */
public final class Sfu {
    private Sfu() {
    }

    /**
     * RMSNorm over the first {@code n} (real) elements: ss = sum16(x_i * x_i); v = ss / (float) n + eps;
     * r = 1 / sqrt(v); y_i = w_i * (x_i * r).
     */
    public static void rmsnorm(float[] x, float[] w, int n, float eps, float[] y) {
        float[] p = new float[Sum16.LANES];
        for (int i = 0; i < n; i++) {
            p[i & 15] += x[i] * x[i];
        }
        float ss = Sum16.reduce(p);
        float v = ss / (float) n + eps;
        float r = ArchMath.rsqrt(v);
        for (int i = 0; i < n; i++) {
            y[i] = w[i] * (x[i] * r);
        }
    }

    /**
     * LayerNorm (OPT): mu = sum16(x) / n; var = sum16((x - mu)^2) / n; y = ((x - mu) * (1 / sqrt(var + eps))) * w + b.
     */
    public static void layernorm(float[] x, float[] w, float[] b, int n, float eps, float[] y) {
        float mu = Sum16.sum(x, 0, n) / (float) n;
        float[] p = new float[Sum16.LANES];
        for (int i = 0; i < n; i++) {
            float d = x[i] - mu;
            p[i & 15] += d * d;
        }
        float var = Sum16.reduce(p) / (float) n;
        float r = ArchMath.rsqrt(var + eps);
        for (int i = 0; i < n; i++) {
            y[i] = ((x[i] - mu) * r) * w[i] + b[i];
        }
    }

    /**
     * Softmax over s[0..n) in place: mx = max (Math.max semantics); e_t = exp(s_t - mx); sum = sum16(e) with lane
     * t mod 16; p_t = e_t / sum.
     */
    public static void softmax(float[] s, int n) {
        softmax(s, n, n, n);
    }

    /**
     * {@link #softmax(float[], int)} with the columns [holeStart, holeEnd) masked (a block-sparse attention mask): they
     * take no part in the max or the sum and come out as +0.0; the sum16 lane of every other column is still t mod 16.
     * A row whose every column is masked (only a padded row can be) comes out all +0.0, like a row with n = 0.
     */
    public static void softmax(float[] s, int n, int holeStart, int holeEnd) {
        if (holeStart <= 0 && holeEnd >= n) {
            java.util.Arrays.fill(s, 0, n, 0.0f);
            return;
        }
        float mx = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < n; t++) {
            if (t < holeStart || t >= holeEnd) {
                mx = Math.max(mx, s[t]);
            }
        }
        float[] p = new float[Sum16.LANES];
        for (int t = 0; t < n; t++) {
            if (t >= holeStart && t < holeEnd) {
                s[t] = 0.0f;
                continue;
            }
            float e = ArchMath.exp(s[t] - mx);
            s[t] = e;
            p[t & 15] += e;
        }
        float sum = Sum16.reduce(p);
        for (int t = 0; t < n; t++) {
            s[t] = s[t] / sum;
        }
    }

    /** h = silu(a) * b, element-wise, into a. */
    public static void siluMul(float[] a, float[] b, int n) {
        for (int i = 0; i < n; i++) {
            a[i] = ArchMath.silu(a[i]) * b[i];
        }
    }

    /**
     * RoPE on interleaved pairs (2i, 2i + 1) of one head starting at {@code off}: x0' = x0 * c - x1 * s,
     * x1' = x0 * s + x1 * c, with c, s from a {@link RopeTable} row.
     */
    public static void rope(float[] x, int off, int headSize, float[] cos, float[] sin) {
        for (int i = 0; i < headSize / 2; i++) {
            float x0 = x[off + 2 * i];
            float x1 = x[off + 2 * i + 1];
            x[off + 2 * i] = x0 * cos[i] - x1 * sin[i];
            x[off + 2 * i + 1] = x0 * sin[i] + x1 * cos[i];
        }
    }

    /**
     * The MPE output stage of one output row: y = sum16 over groups g of ((wScale[g] * aScale) * (float) acc[g]).
     * Integer accumulators are exact; the FP32 sum over groups is never split.
     */
    public static float linearOutput(int[] acc, float[] wScale, int groups, float aScale) {
        float[] p = new float[Sum16.LANES];
        for (int g = 0; g < groups; g++) {
            p[g & 15] += (wScale[g] * aScale) * (float) acc[g];
        }
        return Sum16.reduce(p);
    }
}
