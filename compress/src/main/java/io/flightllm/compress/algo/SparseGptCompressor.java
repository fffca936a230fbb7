package io.flightllm.compress.algo;

import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.CompressedLinear;

/**
 * SparseGPT: OBS pruning column by column with the Cholesky factor of the damped inverse Hessian; at each 16-column
 * segment every row keeps the N (pattern-constrained) weights of largest saliency w^2 / U_jj^2, the pruned weights'
 * error is compensated in the remaining columns (lazy batches). With {@code jointQuantization} the kept weights are
 * also quantized inside the sweep (the paper's joint sparsify+quantize), so quantization error is compensated too;
 * otherwise the compensated weights are rounded to nearest afterwards.
 */
public record SparseGptCompressor(int pattern, boolean jointQuantization, ObsSweep.Options options) {
    public static final SparseGptCompressor DEFAULT = new SparseGptCompressor(16, true, ObsSweep.Options.DEFAULT);

    public SparseGptCompressor {
        if (options.actOrder()) {
            throw new IllegalArgumentException("SparseGPT sweeps segments in column order; act-order is not possible");
        }
    }

    /** The pipeline entry (the {@code LinearCompressor} shape with the {@code LinearTarget} fields spelled out). */
    public CompressedLinear compress(String name, int bits, int groupSize, byte[] blockDensities, float[] w, int rows,
                                     int cols, CalibrationStats stats) {
        return sweep(bits, groupSize, blockDensities, w, rows, cols, stats)
                .toCompressed(name, bits, groupSize, blockDensities, null);
    }

    /** The sweep itself (mask, compensated weights, damping used). */
    public ObsSweep.Result sweep(int bits, int groupSize, byte[] blockDensities, float[] w, int rows, int cols,
                                 CalibrationStats stats) {
        check(stats, cols);
        return ObsSweep.run(w, rows, cols, stats.requireHessian("SparseGPT"),
                new ObsSweep.Adaptive(blockDensities, pattern),
                jointQuantization ? new ObsSweep.Quant(bits, groupSize) : null, options);
    }

    static void check(CalibrationStats stats, int cols) {
        if (stats.cols() != cols) {
            throw new IllegalArgumentException("calibration stats for " + stats.cols() + " columns; the layer has "
                    + cols);
        }
    }
}
