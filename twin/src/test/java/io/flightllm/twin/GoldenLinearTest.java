package io.flightllm.twin;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.arch.numerics.Sum16;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.RoundToNearest;
import io.flightllm.twin.TestCompressor.DensityPlan;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The golden MPE walks the packed arrays by offsets; here it is checked against the contract's formula written over
 * the logical matrix ({@link CompressedLinear#weight}, a position search), for odd shapes and every density.
 */
class GoldenLinearTest {
    @Test
    void offsetWalkEqualsTheLogicalFormula() {
        SplittableRandom rnd = new SplittableRandom(5);
        int rows = 37;
        int cols = 90; // K16 = 96: a padded last block; G = 32 gives groups of 32, 32, 32
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        for (int bits : new int[] {2, 3, 4, 8}) {
            CompressedLinear l = RoundToNearest.compress("t", w, rows, cols, bits, 32,
                    DensityPlan.mixHalf().densities(rows, cols, rnd), null, null);
            byte[] a = new byte[l.paddedCols()];
            for (int c = 0; c < cols; c++) {
                a[c] = (byte) (rnd.nextInt(255) - 127);
            }
            float as = 0.0137f;
            float[] y = GoldenTwin.linear(l, a, as);
            assertThat(y).hasSize(rows);
            assertThat(java.util.stream.IntStream.range(0, rows).filter(r -> y[r] != 0).count()).isGreaterThan(30);
            for (int r = 0; r < rows; r++) {
                float[] p = new float[16];
                for (int g = 0; g < l.groups(); g++) {
                    int acc = 0;
                    for (int c = g * 32; c < Math.min((g + 1) * 32, l.paddedCols()); c++) {
                        acc += l.weight(r, c) * a[c];
                    }
                    p[g % 16] += (l.scale(r, g) * as) * (float) acc;
                }
                assertThat(Float.floatToRawIntBits(y[r])).as("W%d row %d", bits, r)
                        .isEqualTo(Float.floatToRawIntBits(Sum16.reduce(p)));
            }
        }
    }
}
