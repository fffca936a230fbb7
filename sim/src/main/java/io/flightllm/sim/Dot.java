package io.flightllm.sim;

/** Exact INT8 x INT8 dot products summed in INT32 (integer sums may be split and reordered anywhere). */
final class Dot {
    private Dot() {
    }

    /** sum over i &lt; n of w[wo + i] x a[ao + i]. */
    static int dense(byte[] w, int wo, byte[] a, int ao, int n) {
        int acc = 0;
        for (int i = 0; i < n; i++) {
            acc += w[wo + i] * a[ao + i];
        }
        return acc;
    }

    /** sum over i &lt; n of w[wo + i x stride] x a[ao + i] (a column of a COL-layout tile). */
    static int column(byte[] w, int wo, int stride, byte[] a, int ao, int n) {
        int acc = 0;
        for (int i = 0; i < n; i++) {
            acc += w[wo + i * stride] * a[ao + i];
        }
        return acc;
    }
}
