package io.flightllm.twin.eval;

/**
 * Per-position comparison of a model's logits with the reference's, in double: softmax via the log-sum-exp with the
 * maximum subtracted, so neither tail underflows into a wrong KL.
 */
public final class Metrics {
    private Metrics() {
    }

    /** log softmax(x), in double. */
    public static double[] logSoftmax(float[] x) {
        double mx = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            mx = Math.max(mx, v);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v - mx);
        }
        double lse = mx + Math.log(sum);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] - lse;
        }
        return out;
    }

    /** KL(p || q) in nats from log-probabilities; terms with p = 0 contribute 0. */
    public static double kl(double[] logP, double[] logQ) {
        check(logP.length, logQ.length);
        double s = 0;
        for (int i = 0; i < logP.length; i++) {
            double p = Math.exp(logP[i]);
            if (p > 0) {
                s += p * (logP[i] - logQ[i]);
            }
        }
        return Math.max(0, s); // rounding can leave a tiny negative for identical distributions
    }

    /** KL(softmax(ref) || softmax(model)) in nats. */
    public static double kl(float[] ref, float[] model) {
        return kl(logSoftmax(ref), logSoftmax(model));
    }

    /** First index of the maximum (ties: the lower index, like the sampler's argmax). */
    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        check(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    public static double meanAbsDiff(float[] a, float[] b) {
        check(a.length, b.length);
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += Math.abs((double) a[i] - b[i]);
        }
        return s / a.length;
    }

    private static void check(int a, int b) {
        if (a != b) {
            throw new IllegalArgumentException("distributions of " + a + " and " + b + " entries");
        }
    }
}
