package io.flightllm.twin.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap over sequences: resample the n sequences with replacement, recompute the statistic, take the
 * 2.5% and 97.5% quantiles (linear interpolation between order statistics). Positions inside a sequence are
 * correlated, so sequences, not positions, are the independent units.
 */
public final class Bootstrap {
    public static final int DEFAULT_RESAMPLES = 2000;
    public static final long DEFAULT_SEED = 0x5EEDL;

    private Bootstrap() {
    }

    /** A statistic of a multiset of sequences: {@code counts[i]} = how often sequence i was drawn. */
    @FunctionalInterface
    public interface Statistic {
        double of(int[] counts);
    }

    /** [low, high] of the 95% percentile interval. */
    public static double[] interval95(int n, Statistic stat, int resamples, long seed) {
        if (n <= 0) {
            throw new IllegalArgumentException("bootstrap over " + n + " sequences");
        }
        if (resamples < 2) {
            throw new IllegalArgumentException("bootstrap with " + resamples + " resamples");
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] values = new double[resamples];
        int[] counts = new int[n];
        for (int r = 0; r < resamples; r++) {
            Arrays.fill(counts, 0);
            for (int i = 0; i < n; i++) {
                counts[rnd.nextInt(n)]++;
            }
            values[r] = stat.of(counts);
        }
        Arrays.sort(values);
        return new double[] {quantile(values, 0.025), quantile(values, 0.975)};
    }

    /** The q-quantile of sorted values, interpolating between neighbours. */
    static double quantile(double[] sorted, double q) {
        double at = q * (sorted.length - 1);
        int lo = (int) Math.floor(at);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
    }

    /** All sequences once (the point estimate's counts). */
    public static int[] all(int n) {
        int[] c = new int[n];
        Arrays.fill(c, 1);
        return c;
    }
}
