package io.flightllm.compress.algo;

import io.flightllm.compress.CalibrationStats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.compress.BlockDensity;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AllocatorTest {
    @Test
    void densityAllocationHitsTheTargetAndThinsTheLeastImportantBlocks() {
        int rows = 64;
        int cols = 96;
        float[] w = Synthetic.gaussian(rows * cols, new SplittableRandom(21));
        // make column block 1 (all rows) 100x less important
        for (int r = 0; r < rows; r++) {
            for (int c = 16; c < 32; c++) {
                w[r * cols + c] *= 0.01f;
            }
        }
        int blocks = 4 * 6;
        for (double target : new double[] {0.25, 0.4, 0.5, 0.7, 0.9, 1.0}) {
            byte[] n = DensityAllocator.allocate(w, rows, cols, null, target, BlockDensity.CHOICES);
            double mean = BlockDensity.mean(n);
            assertThat(mean).isLessThanOrEqualTo(target + 1e-12);
            assertThat(target - mean).isLessThan(8.0 / 16 / blocks); // within one step of one block
            if (target < 1) {
                int thinMax = 0;
                int otherMin = 16;
                for (int b = 0; b < blocks; b++) {
                    if (b % 6 == 1) {
                        thinMax = Math.max(thinMax, n[b]);
                    } else {
                        otherMin = Math.min(otherMin, n[b]);
                    }
                }
                assertThat(thinMax).as("unimportant blocks at target %s", target).isLessThanOrEqualTo(otherMin);
            }
        }
        // only {8, 16}: the paper's q/k mix
        byte[] mix = DensityAllocator.allocate(w, rows, cols, null, 0.7, new int[] {8, 16});
        for (byte b : mix) {
            assertThat((int) b).isIn(8, 16);
        }
        assertThat(BlockDensity.mean(mix)).isBetween(0.7 - 0.5 / blocks, 0.7);
        assertThatThrownBy(() -> DensityAllocator.allocate(w, rows, cols, null, 0.3, new int[] {8, 16}))
                .hasMessageContaining("must be in [0.5, 1]");
    }

    @Test
    void bandsOfRowBlocksShareOneDensity() {
        int rows = 200; // 13 row blocks: bands of 4, 4, 4, 1
        int cols = 80;
        float[] w = Synthetic.gaussian(rows * cols, new SplittableRandom(23));
        byte[] n = DensityAllocator.allocate(w, rows, cols, null, 0.7, new int[] {8, 16}, 4);
        for (int rb = 0; rb < 13; rb++) {
            for (int j = 0; j < 5; j++) {
                assertThat(n[rb * 5 + j]).isEqualTo(n[(rb / 4 * 4) * 5 + j]);
            }
        }
        double mean = BlockDensity.mean(n);
        assertThat(mean).isLessThanOrEqualTo(0.7);
        assertThat(0.7 - mean).isLessThan(8.0 * 4 / 16 / n.length); // one step of one band
        assertThat(mean).isGreaterThan(0.5); // a real mix of 8 and 16
    }

    @Test
    void activationNormsChangeWhichBlocksArePruned() {
        int rows = 16;
        int cols = 64;
        float[] w = Synthetic.gaussian(rows * cols, new SplittableRandom(22));
        double[] sumSq = new double[cols];
        java.util.Arrays.fill(sumSq, 1);
        for (int c = 48; c < 64; c++) {
            sumSq[c] = 1e-6; // the last block's inputs are almost never active
        }
        byte[] n = DensityAllocator.allocate(w, rows, cols, sumSq, 0.75, new int[] {0, 16});
        assertThat(n).containsExactly(16, 16, 16, 0);
    }

    /** Candidates from random layers of different shapes and sensitivities (RTN at each width). */
    static List<MixedPrecisionAllocator.Candidate> candidates(long seed, int count) {
        List<MixedPrecisionAllocator.Candidate> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            int rows = 16 * (1 + r.nextInt(4));
            int cols = 16 * (1 + r.nextInt(4));
            Synthetic.Source src = Synthetic.Source.random(cols, seed * 100 + i);
            CalibrationStats s = Synthetic.stats(src.draw(200, seed * 100 + i + 50), 200, cols);
            float[] w = Synthetic.gaussian(rows * cols, r.split());
            byte[] blockN = BlockDensity.uniform(rows, cols, i % 3 == 0 ? 8 : 16);
            out.add(MixedPrecisionAllocator.measure("l" + i, w, rows, cols, Math.min(32, cols), blockN, s));
        }
        return out;
    }

    @Test
    void mixedPrecisionMeetsTheBudgetAndMoreBitsNeverCostError() {
        List<MixedPrecisionAllocator.Candidate> c = candidates(5, 12);
        for (MixedPrecisionAllocator.Basis basis : MixedPrecisionAllocator.Basis.values()) {
            double previous = Double.POSITIVE_INFINITY;
            for (double budget = 2.5; budget <= 9.5; budget += 0.25) {
                MixedPrecisionAllocator.Allocation a;
                try {
                    a = MixedPrecisionAllocator.allocate(c, budget, basis);
                } catch (IllegalArgumentException e) {
                    assertThat(e).hasMessageContaining("below the smallest choice");
                    continue;
                }
                assertThat(a.bitsPerWeight()).isLessThanOrEqualTo(budget);
                assertThat(a.totalError()).isLessThanOrEqualTo(previous);
                assertThat(a.totalError()).isCloseTo(recomputedError(c, a.bits()),
                        org.assertj.core.api.Assertions.within(1e-9 * a.totalError()));
                previous = a.totalError();
            }
            assertThat(previous).as("the largest budget reached").isFinite();
        }
    }

    @Test
    void allocationIsOptimalOnASmallCaseCheckedExhaustively() {
        List<MixedPrecisionAllocator.Candidate> c = candidates(6, 5);
        double budget = 4.0;
        MixedPrecisionAllocator.Allocation a = MixedPrecisionAllocator.allocate(c, budget,
                MixedPrecisionAllocator.Basis.ALL);
        long weights = c.stream().mapToLong(MixedPrecisionAllocator.Candidate::denseWeights).sum();
        double best = Double.POSITIVE_INFINITY;
        for (int code = 0; code < 1 << 10; code++) { // 4 options each
            long size = 0;
            double err = 0;
            for (int i = 0; i < 5; i++) {
                MixedPrecisionAllocator.Option o = c.get(i).options().get((code >> (2 * i)) & 3);
                size += o.totalBits();
                err += o.error();
            }
            if (size <= budget * weights) {
                best = Math.min(best, err);
            }
        }
        // unit = 1 bit here, so the DP is exact (up to the summation order of the errors)
        assertThat(a.totalError()).isCloseTo(best, org.assertj.core.api.Assertions.within(1e-9 * best));
        assertThat(java.util.Arrays.stream(a.bits()).distinct().count()).as("a real mix, not uniform")
                .isGreaterThan(1);
    }

    static double recomputedError(List<MixedPrecisionAllocator.Candidate> c, int[] bits) {
        double e = 0;
        for (int i = 0; i < c.size(); i++) {
            int b = bits[i];
            e += c.get(i).options().stream().filter(o -> o.bits() == b).findFirst().orElseThrow().error();
        }
        return e;
    }
}
