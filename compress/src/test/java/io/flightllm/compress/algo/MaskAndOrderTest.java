package io.flightllm.compress.algo;

import io.flightllm.compress.CalibrationStats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.Packing;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MaskAndOrderTest {
    static final int ROWS = 40; // 3 row blocks, the last one padded
    static final int COLS = 72; // 5 column blocks, the last one padded

    static CalibrationStats stats(long seed) {
        Synthetic.Source src = Synthetic.Source.random(COLS, seed);
        return Synthetic.stats(src.draw(400, seed + 1), 400, COLS);
    }

    /** Every stored segment keeps exactly N ascending positions, and within pattern groups their share. */
    static void assertObeys(CompressedLinear l, byte[] blockN, int pattern) {
        for (int r = 0; r < l.paddedRows(); r++) {
            for (int j = 0; j < l.colBlocks(); j++) {
                int n = blockN[(r / 16) * l.colBlocks() + j];
                assertThat(l.density(r / 16, j)).isEqualTo(n);
                if (n == 0 || n == 16) {
                    continue;
                }
                int at = (int) (l.positionOffset(r) + l.blockPositionOffset(r / 16, j));
                int[] perGroup = new int[16 / pattern];
                for (int k = 0; k < n; k++) {
                    int p = l.positions()[at + k];
                    if (k > 0) {
                        assertThat(p).isGreaterThan(l.positions()[at + k - 1]);
                    }
                    perGroup[p / pattern]++;
                }
                for (int c : perGroup) {
                    assertThat(c).isEqualTo(n * pattern / 16);
                }
            }
        }
    }

    @Test
    void sparseGptMasksObeyMixedN16Exactly() {
        float[] w = Synthetic.gaussian(ROWS * COLS, new SplittableRandom(9));
        byte[] blockN = new byte[15];
        int[] cycle = {0, 2, 4, 8, 16};
        for (int i = 0; i < blockN.length; i++) {
            blockN[i] = (byte) cycle[(i * 7) % 5];
        }
        CompressedLinear l = SparseGptCompressor.DEFAULT.compress("s", 4, 32, blockN, w, ROWS, COLS, stats(9));
        assertObeys(l, blockN, 16);
        // pruned weights really are absent, kept real weights are non-zero (random data)
        ObsSweep.Result r = SparseGptCompressor.DEFAULT.sweep(4, 32, blockN, w, ROWS, COLS, stats(9));
        assertThat(Masks.obeys(r.kept(), ROWS, COLS, blockN, 16)).isTrue();
        for (int row = 0; row < ROWS; row++) {
            for (int c = 0; c < COLS; c++) {
                if (!r.kept()[row * l.paddedCols() + c]) {
                    assertThat(r.weights()[row * COLS + c]).isZero();
                    assertThat(l.weight(row, c)).isZero();
                }
            }
        }
    }

    @Test
    void twoOfFourAndFourOfEightAreConstrained8of16Blocks() {
        float[] w = Synthetic.gaussian(ROWS * COLS, new SplittableRandom(10));
        byte[] n8 = BlockDensity.uniform(ROWS, COLS, 8);
        CalibrationStats s = stats(10);
        for (int m : new int[] {4, 8}) {
            CompressedLinear wanda = new WandaCompressor(m).compress("w", 4, 16, n8, w, ROWS, COLS, s);
            assertObeys(wanda, n8, m);
            CompressedLinear sgpt = new SparseGptCompressor(m, true, ObsSweep.Options.DEFAULT)
                    .compress("s", 4, 16, n8, w, ROWS, COLS, s);
            assertObeys(sgpt, n8, m);
            assertThat(Masks.obeys(Masks.halfPattern(w, ROWS, COLS, m, null), ROWS, COLS, n8, m)).isTrue();
        }
        // a plain 8:16 mask generally is not 2:4
        boolean[] free = Masks.select(w, ROWS, COLS, n8, 16, null);
        assertThat(Masks.obeys(free, ROWS, COLS, n8, 16)).isTrue();
        assertThat(Masks.obeys(free, ROWS, COLS, n8, 4)).isFalse();
        assertThatThrownBy(() -> Masks.checkPattern(BlockDensity.uniform(16, 16, 2), 4))
                .hasMessageContaining("N = 2 cannot be split evenly into groups of 4");
    }

    @Test
    void actOrderStoresTheLayerInTheOriginalColumnOrder() {
        float[] w = Synthetic.gaussian(ROWS * COLS, new SplittableRandom(12));
        CalibrationStats s = stats(12);
        int[] perm = ObsSweep.order(padded(s.hessian()), CompressedLinear.ceil16(COLS), true);
        int moved = 0;
        for (int i = 0; i < perm.length; i++) {
            moved += perm[i] != i ? 1 : 0;
        }
        assertThat(moved).as("act-order must actually permute this Hessian").isGreaterThan(COLS / 2);
        byte[] dense = BlockDensity.uniform(ROWS, COLS, 16);
        CompressedLinear act = GptqCompressor.ACT_ORDER.compress("a", 8, 16, dense, w, ROWS, COLS, s);
        // at 8 bits every stored weight is within a few steps of the original weight at the same (row, column)
        double worst = 0;
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < COLS; c++) {
                double step = act.scale(r, c / 16);
                worst = Math.max(worst, Math.abs(act.dequantized(r, c) - w[r * COLS + c]) / step);
            }
        }
        assertThat(worst).isLessThan(8);
        // and the act-order sweep differs from the natural one (it is not a no-op)
        CompressedLinear nat = GptqCompressor.DEFAULT.compress("n", 8, 16, dense, w, ROWS, COLS, s);
        assertThat(Packing.toDense(act)).isNotEqualTo(Packing.toDense(nat));
        // sparse blocks under act-order keep the Wanda mask in stored order
        byte[] n4 = BlockDensity.uniform(ROWS, COLS, 4);
        CompressedLinear sparse = GptqCompressor.ACT_ORDER.compress("s", 4, 32, n4, w, ROWS, COLS, s);
        assertThat(Packing.toDense(sparse).length).isEqualTo(48 * 80);
        boolean[] wanda = WandaCompressor.N16.mask(w, ROWS, COLS, n4, s);
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < COLS; c++) {
                if (!wanda[r * 80 + c]) {
                    assertThat(sparse.weight(r, c)).isZero();
                }
            }
        }
    }

    @Test
    void adaptiveSelectionRefusesActOrder() {
        assertThatThrownBy(() -> new SparseGptCompressor(16, true, ObsSweep.Options.DEFAULT.withActOrder(true)))
                .hasMessageContaining("act-order");
    }

    private static double[] padded(double[] h) {
        int pc = CompressedLinear.ceil16(COLS);
        double[] p = new double[pc * pc];
        for (int i = 0; i < COLS; i++) {
            System.arraycopy(h, i * COLS, p, i * pc, COLS);
        }
        return p;
    }
}
