package io.flightllm.compress.algo;

import io.flightllm.compress.CalibrationStats;
import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.RoundToNearest;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Output reconstruction error on held-out activations, random layers with correlated activations. */
class ReconstructionTest {
    static final int ROWS = 64;
    static final int COLS = 136; // not a multiple of 16: the last segment is padded
    static final int CALIB = 600;
    static final int HELD = 300;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void sparseGptBeatsWandaBeatsMagnitudeAt8of16(long seed) {
        Synthetic.Source src = Synthetic.Source.random(COLS, seed);
        float[] w = Synthetic.gaussian(ROWS * COLS, new SplittableRandom(seed + 100));
        CalibrationStats stats = Synthetic.stats(src.draw(CALIB, seed + 200), CALIB, COLS);
        float[] held = src.draw(HELD, seed + 300);
        byte[] n8 = BlockDensity.uniform(ROWS, COLS, 8);
        int bits = 8; // near-lossless values: the comparison is about the mask and compensation
        double magnitude = err(w, RoundToNearest.compress("m", w, ROWS, COLS, bits, 16, n8, null, null), held);
        double wanda = err(w, WandaCompressor.N16.compress("w", bits, 16, n8, w, ROWS, COLS, stats), held);
        double sparseGpt = err(w, SparseGptCompressor.DEFAULT.compress("s", bits, 16, n8, w, ROWS, COLS, stats),
                held);
        System.out.printf("seed %d 8:16 W8 rel. output error: magnitude %.4f  wanda %.4f  sparsegpt %.4f%n",
                seed, magnitude, wanda, sparseGpt);
        assertThat(wanda).isLessThan(0.9 * magnitude);
        assertThat(sparseGpt).isLessThan(0.8 * wanda);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void gptqBeatsRoundToNearestAt4Bits(long seed) {
        Synthetic.Source src = Synthetic.Source.random(COLS, seed);
        float[] w = Synthetic.gaussian(ROWS * COLS, new SplittableRandom(seed + 100));
        CalibrationStats stats = Synthetic.stats(src.draw(CALIB, seed + 200), CALIB, COLS);
        float[] held = src.draw(HELD, seed + 300);
        byte[] dense = BlockDensity.uniform(ROWS, COLS, 16);
        // a small group, and one group for the whole (padded) row
        for (int g : new int[] {32, CompressedLinear.ceil16(COLS)}) {
            double rtn = err(w, RoundToNearest.compress("r", w, ROWS, COLS, 4, g, dense, null, null), held);
            double gptq = err(w, GptqCompressor.DEFAULT.compress("g", 4, g, dense, w, ROWS, COLS, stats), held);
            double act = err(w, GptqCompressor.ACT_ORDER.compress("a", 4, g, dense, w, ROWS, COLS, stats), held);
            System.out.printf("seed %d W4 G%d rel. output error: rtn %.4f  gptq %.4f  gptq+act-order %.4f%n",
                    seed, g, rtn, gptq, act);
            assertThat(gptq).isLessThan(0.8 * rtn);
            assertThat(act).isLessThan(0.8 * rtn);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void jointSparseQuantizationBeatsPruneThenRound(long seed) {
        Synthetic.Source src = Synthetic.Source.random(COLS, seed);
        float[] w = Synthetic.gaussian(ROWS * COLS, new SplittableRandom(seed + 100));
        CalibrationStats stats = Synthetic.stats(src.draw(CALIB, seed + 200), CALIB, COLS);
        float[] held = src.draw(HELD, seed + 300);
        byte[] n8 = BlockDensity.uniform(ROWS, COLS, 8);
        SparseGptCompressor separate = new SparseGptCompressor(16, false, ObsSweep.Options.DEFAULT);
        double sep = err(w, separate.compress("s", 3, 32, n8, w, ROWS, COLS, stats), held);
        double joint = err(w, SparseGptCompressor.DEFAULT.compress("j", 3, 32, n8, w, ROWS, COLS, stats), held);
        double gptqOnWanda = err(w, GptqCompressor.DEFAULT.compress("g", 3, 32, n8, w, ROWS, COLS, stats), held);
        System.out.printf("seed %d 8:16 W3 G32: sparsegpt then rtn %.4f  joint %.4f  gptq on wanda mask %.4f%n",
                seed, sep, joint, gptqOnWanda);
        assertThat(joint).isLessThan(sep);
    }

    static double err(float[] w, CompressedLinear l, float[] held) {
        return Synthetic.relativeError(w, l, held, HELD);
    }
}
