package io.flightllm.compress.algo;

import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.RoundToNearest;

/**
 * Wanda (pruning by weights and activations): per 16-column row segment keep the N weights of largest
 * |W_ij| x ||X_j||_2, then round to nearest. No weight update. With {@code pattern} 4 or 8 the 8:16 blocks keep 2 of
 * every 4 or 4 of every 8 columns (see {@link Masks}).
 */
public record WandaCompressor(int pattern) {
    public static final WandaCompressor N16 = new WandaCompressor(16);

    /**
     * The pipeline entry (the {@code LinearCompressor} shape with the {@code LinearTarget} fields spelled out).
     * {@code stats} may lack the Hessian; it must have the column sums.
     */
    public CompressedLinear compress(String name, int bits, int groupSize, byte[] blockDensities, float[] w, int rows,
                                     int cols, CalibrationStats stats) {
        boolean[] kept = mask(w, rows, cols, blockDensities, stats);
        return RoundToNearest.quantize(name, w, rows, cols, bits, groupSize, blockDensities, kept, null);
    }

    /** The Wanda mask, [paddedRows][paddedCols]. */
    public boolean[] mask(float[] w, int rows, int cols, byte[] blockDensities, CalibrationStats stats) {
        if (stats.cols() != cols) {
            throw new IllegalArgumentException("calibration stats for " + stats.cols() + " columns; the layer has "
                    + cols);
        }
        return Masks.select(w, rows, cols, blockDensities, pattern, stats.columnNorms());
    }
}
