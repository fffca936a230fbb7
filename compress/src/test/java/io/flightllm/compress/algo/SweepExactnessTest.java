package io.flightllm.compress.algo;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.CompressedLinear;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The OBS compensation is the exact least-squares update, and lazy batching does not change the result. */
class SweepExactnessTest {
    static final int ROWS = 20;
    static final int COLS = 48;

    @Test
    void pruningLeadingColumnsGivesTheLeastSquaresOptimumOfTheRest() {
        float[] w = Synthetic.gaussian(ROWS * COLS, new SplittableRandom(31));
        Synthetic.Source src = Synthetic.Source.random(COLS, 31);
        double[] h = Synthetic.stats(src.draw(300, 32), 300, COLS).hessian();
        int pruned = 20; // crosses the first lazy block of 16 columns
        int pr = CompressedLinear.ceil16(ROWS);
        boolean[] kept = new boolean[pr * COLS];
        for (int r = 0; r < pr; r++) {
            for (int c = pruned; c < COLS; c++) {
                kept[r * COLS + c] = true;
            }
        }
        ObsSweep.Options opt = new ObsSweep.Options(0.01, 16, false);
        ObsSweep.Result res = ObsSweep.run(w, ROWS, COLS, h, new ObsSweep.Fixed(kept), null, opt);
        double mean = 0;
        for (int i = 0; i < COLS; i++) {
            mean += h[i * COLS + i] / COLS;
        }
        double lambda = res.hessian().damping() * mean;
        // with W'[:, <20] = 0 fixed, the optimum of (W - W')(H + lambda I)(W - W')^T has zero gradient on the rest
        double worst = 0;
        double scale = 0;
        for (int r = 0; r < ROWS; r++) {
            for (int k = 0; k < COLS; k++) {
                double g = 0;
                double mag = 0;
                for (int j = 0; j < COLS; j++) {
                    double e = res.weights()[r * COLS + j] - w[r * COLS + j];
                    double hk = h[j * COLS + k] + (j == k ? lambda : 0);
                    g += e * hk;
                    mag += Math.abs(w[r * COLS + j] * hk);
                }
                if (k < pruned) {
                    assertThat(res.weights()[r * COLS + k]).isZero();
                } else {
                    worst = Math.max(worst, Math.abs(g));
                }
                scale = Math.max(scale, mag);
            }
        }
        assertThat(worst).isLessThan(1e-5 * scale);
    }

    @Test
    void lazyBlockSizeDoesNotChangeTheSweep() {
        float[] w = Synthetic.gaussian(ROWS * 200, new SplittableRandom(33));
        Synthetic.Source src = Synthetic.Source.random(200, 33);
        double[] h = Synthetic.stats(src.draw(400, 34), 400, 200).hessian();
        byte[] blockN = BlockDensity.uniform(ROWS, 200, 4);
        ObsSweep.Mask mask = new ObsSweep.Adaptive(blockN, 16);
        ObsSweep.Result ref = ObsSweep.run(w, ROWS, 200, h, mask, null, new ObsSweep.Options(0.01, 208, false));
        for (int lazy : new int[] {16, 48, 128}) {
            ObsSweep.Result r = ObsSweep.run(w, ROWS, 200, h, mask, null, new ObsSweep.Options(0.01, lazy, false));
            assertThat(r.kept()).isEqualTo(ref.kept());
            for (int i = 0; i < w.length; i++) {
                assertThat((double) Math.abs(r.weights()[i] - ref.weights()[i]))
                        .isLessThanOrEqualTo(1e-4 * (1 + Math.abs(ref.weights()[i])));
            }
        }
        // quantized (GPTQ) with groups starting inside lazy blocks and reaching past them: the same integers
        ObsSweep.Quant q = new ObsSweep.Quant(4, 64);
        ObsSweep.Mask dense = new ObsSweep.Dense();
        ObsSweep.Result a = ObsSweep.run(w, ROWS, 200, h, dense, q, new ObsSweep.Options(0.01, 208, false));
        ObsSweep.Result b = ObsSweep.run(w, ROWS, 200, h, dense, q, new ObsSweep.Options(0.01, 48, false));
        int differ = 0;
        for (int i = 0; i < a.q().length; i++) {
            differ += a.q()[i] != b.q()[i] ? 1 : 0;
        }
        assertThat(differ).as("rounding ties may flip a handful").isLessThanOrEqualTo(a.q().length / 1000);
    }
}
