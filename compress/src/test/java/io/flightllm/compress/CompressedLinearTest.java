package io.flightllm.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CompressedLinearTest {
    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) r.nextGaussian();
        }
        return w;
    }

    @Test
    void magnitudeSelectionKeepsTheLargestPerSegmentAndPadsWithZeros() {
        int rows = 37;
        int cols = 45; // neither a multiple of 16
        float[] w = random(rows * cols, 1);
        byte[] blockN = BlockDensity.uniform(rows, cols, 4);
        CompressedLinear l = RoundToNearest.compress("t", w, rows, cols, 8, 32, blockN, null, null);
        assertThat(l.paddedRows()).isEqualTo(48);
        assertThat(l.paddedCols()).isEqualTo(48);
        assertThat(l.groups()).isEqualTo(2);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < 3; j++) {
                int nonZero = 0;
                float smallestKept = Float.MAX_VALUE;
                float largestDropped = 0;
                for (int k = 0; k < 16; k++) {
                    int c = j * 16 + k;
                    if (c >= cols) {
                        assertThat(l.weight(r, c)).isZero();
                        continue;
                    }
                    float a = Math.abs(w[r * cols + c]);
                    if (l.weight(r, c) != 0) {
                        nonZero++;
                        smallestKept = Math.min(smallestKept, a);
                    } else {
                        largestDropped = Math.max(largestDropped, a);
                    }
                }
                assertThat(nonZero).isLessThanOrEqualTo(4);
                if (nonZero == 4) {
                    assertThat(smallestKept).isGreaterThanOrEqualTo(largestDropped);
                }
            }
        }
        for (int r = rows; r < 48; r++) {
            for (int c = 0; c < 48; c++) {
                assertThat(l.weight(r, c)).isZero();
            }
        }
    }

    @Test
    void roundToNearestErrorIsBoundedByHalfAStep() {
        int rows = 16;
        int cols = 64;
        float[] w = random(rows * cols, 2);
        for (int bits : new int[] {2, 3, 4, 8}) {
            CompressedLinear l = RoundToNearest.compress("t", w, rows, cols, bits, 32,
                    BlockDensity.uniform(rows, cols, 16), null, null);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    float s = l.scale(r, c / 32);
                    assertThat(Math.abs(l.dequantized(r, c) - w[r * cols + c])).isLessThanOrEqualTo(
                            s * 0.5f * 1.001f + 1e-3f * Math.abs(w[r * cols + c]));
                }
            }
        }
    }

    @Test
    void denseRoundTripThroughPacking() {
        int rows = 20;
        int cols = 33;
        float[] w = random(rows * cols, 3);
        byte[] blockN = {16, 8, 2, 4, 0, 16};
        CompressedLinear l = RoundToNearest.compress("t", w, rows, cols, 4, 48, blockN, null, null);
        byte[] dense = Packing.toDense(l);
        boolean[] kept = RoundToNearest.selectByImportance(w, rows, cols, blockN, null);
        CompressedLinear again = Packing.fromMasked("t", rows, cols, 4, 48, blockN, dense, kept, l.scaleBits(), null);
        assertThat(again.values()).isEqualTo(l.values());
        assertThat(again.positions()).isEqualTo(l.positions());
        assertThat(l.density(1, 1)).isZero();
    }

    @Test
    void invalidSettingsAreRefusedListingTheChoices() {
        assertThatThrownBy(() -> BlockDensity.uniform(16, 16, 3)).hasMessageContaining("[0, 2, 4, 8, 16]");
        assertThatThrownBy(() -> RoundToNearest.compress("t", new float[256], 16, 16, 5, 16,
                BlockDensity.uniform(16, 16, 16), null, null)).hasMessageContaining("[2, 3, 4, 8]");
        assertThatThrownBy(() -> RoundToNearest.compress("t", new float[256], 16, 16, 4, 24,
                BlockDensity.uniform(16, 16, 16), null, null)).hasMessageContaining("multiple of 16");
    }

    @Test
    void selectionEqualsPickingTheLargestOneByOneWithTiesToTheLowerColumn() {
        SplittableRandom r = new SplittableRandom(4);
        int rows = 20;
        int cols = 40;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = r.nextInt(7) - 3; // many ties, zeros and equal magnitudes of both signs
        }
        float[] importance = new float[cols];
        for (int c = 0; c < cols; c++) {
            importance[c] = r.nextInt(3);
        }
        for (int n : new int[] {2, 4, 8}) {
            for (float[] imp : new float[][] {null, importance}) {
                byte[] blockN = BlockDensity.uniform(rows, cols, n);
                boolean[] kept = RoundToNearest.selectByImportance(w, rows, cols, blockN, imp);
                for (int row = 0; row < 32; row++) {
                    for (int j = 0; j < 3; j++) {
                        boolean[] expect = new boolean[16];
                        for (int taken = 0; taken < n; taken++) {
                            int best = -1;
                            float bestScore = 0;
                            for (int k = 0; k < 16; k++) {
                                int c = j * 16 + k;
                                float s = row < rows && c < cols
                                        ? Math.abs(w[row * cols + c]) * (imp == null ? 1 : imp[c]) : -1;
                                if (!expect[k] && (best < 0 || s > bestScore)) {
                                    best = k;
                                    bestScore = s;
                                }
                            }
                            expect[best] = true;
                        }
                        for (int k = 0; k < 16; k++) {
                            assertThat(kept[row * 48 + j * 16 + k]).as("n %d row %d col %d", n, row, j * 16 + k)
                                    .isEqualTo(expect[k]);
                        }
                    }
                }
            }
        }
    }
}
