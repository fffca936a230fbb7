package io.flightllm.compress.algo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HessianInverseTest {
    @Test
    void upperFactorTimesItselfInvertsTheDampedHessian() {
        int n = 24;
        float[] x = Synthetic.gaussian(100 * n, new SplittableRandom(11));
        double[] h = Synthetic.stats(x, 100, n).hessian();
        HessianInverse hi = HessianInverse.of(h, n, 0.01);
        assertThat(hi.warning()).isNull();
        assertThat(hi.damping()).isEqualTo(0.01);
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += h[i * n + i] / n;
        }
        double[] u = hi.upper();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                assertThat(u[i * n + j]).isZero();
            }
        }
        // (U^T U)(H + lambda I) = I
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    double inv = 0;
                    for (int m = 0; m < n; m++) {
                        inv += u[m * n + i] * u[m * n + k];
                    }
                    s += inv * (h[k * n + j] + (k == j ? 0.01 * mean : 0));
                }
                assertThat(Math.abs(s - (i == j ? 1 : 0))).isLessThan(1e-9);
            }
        }
    }

    @Test
    void singularHessianRaisesTheDampingAndSaysSo() {
        int n = 32;
        float[] x = Synthetic.gaussian(8 * n, new SplittableRandom(3)); // 8 tokens < 32 columns: rank 8
        double[] h = Synthetic.stats(x, 8, n).hessian();
        HessianInverse hi = HessianInverse.of(h, n, 0.0);
        assertThat(hi.damping()).isGreaterThan(0);
        assertThat(hi.warning()).contains("not positive definite with damping 0.0").contains("increased to");
        // the sweep reports it too, and still produces a valid layer
        float[] w = Synthetic.gaussian(16 * n, new SplittableRandom(4));
        ObsSweep.Result r = ObsSweep.run(w, 16, n, h, new ObsSweep.Dense(), new ObsSweep.Quant(4, 32),
                ObsSweep.Options.DEFAULT.withDamping(0));
        assertThat(r.hessian().warning()).contains("increased");
    }

    @Test
    void hopelessHessiansFailWithAClearMessage() {
        double[] indefinite = {1, 100, 100, 1}; // eigenvalues 101 and -99
        assertThatThrownBy(() -> HessianInverse.of(indefinite, 2, 0.01))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not positive definite even with damping")
                .hasMessageContaining("degenerate");
        assertThatThrownBy(() -> HessianInverse.of(new double[] {1, Double.NaN, Double.NaN, 1}, 2, 0.01))
                .hasMessageContaining("(0, 1) is NaN");
        assertThatThrownBy(() -> HessianInverse.of(new double[4], 2, 0.01))
                .hasMessageContaining("mean diagonal 0.0");
    }
}
