package io.flightllm.twin.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BootstrapTest {
    /** The mean of per-sequence values under resampling counts. */
    static Bootstrap.Statistic mean(double[] v) {
        return c -> {
            double s = 0;
            int n = 0;
            for (int i = 0; i < v.length; i++) {
                s += c[i] * v[i];
                n += c[i];
            }
            return s / n;
        };
    }

    static double[] data(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextDouble() * r.nextDouble() * 4; // skewed, positive
        }
        return v;
    }

    @Test
    void intervalContainsThePointEstimate() {
        for (long seed = 1; seed <= 5; seed++) {
            double[] v = data(40, seed);
            double point = mean(v).of(Bootstrap.all(v.length));
            double[] ci = Bootstrap.interval95(v.length, mean(v), 1000, 7);
            assertThat(ci[0]).isLessThan(point);
            assertThat(ci[1]).isGreaterThan(point);
        }
    }

    @Test
    void intervalShrinksWithMoreSequences() {
        double[] small = data(20, 3);
        double[] large = data(320, 3);
        double[] a = Bootstrap.interval95(small.length, mean(small), 1000, 7);
        double[] b = Bootstrap.interval95(large.length, mean(large), 1000, 7);
        // standard error scales with 1/sqrt(n): 16x the data gives about a quarter of the width
        assertThat(b[1] - b[0]).isLessThan(0.5 * (a[1] - a[0]));
    }

    @Test
    void deterministicForAFixedSeedAndDegenerateForConstantData() {
        double[] v = data(30, 9);
        assertThat(Bootstrap.interval95(30, mean(v), 1000, 11)).containsExactly(
                Bootstrap.interval95(30, mean(v), 1000, 11));
        double[] c = {2.5, 2.5, 2.5};
        assertThat(Bootstrap.interval95(3, mean(c), 1000, 1)).containsExactly(2.5, 2.5);
    }

    @Test
    void quantileInterpolatesBetweenOrderStatistics() {
        double[] sorted = {0, 10, 20, 30, 40};
        assertThat(Bootstrap.quantile(sorted, 0.5)).isEqualTo(20.0);
        assertThat(Bootstrap.quantile(sorted, 0.125)).isEqualTo(5.0);
        assertThat(Bootstrap.quantile(sorted, 1.0)).isEqualTo(40.0);
    }

    @Test
    void rejectsEmptyInput() {
        assertThatThrownBy(() -> Bootstrap.interval95(0, c -> 0, 1000, 1))
                .hasMessageContaining("0 sequences");
    }
}
