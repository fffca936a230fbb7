package io.flightllm.compress.algo;

import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.CompressedLinear;

/**
 * GPTQ: quantizes column by column with the Cholesky factor of the damped inverse Hessian, compensating each column's
 * rounding error in the columns not yet quantized (lazy batches of {@link ObsSweep.Options#lazyBlock}); group scales
 * are set when a group starts (static groups under activation order, which sweeps columns by descending diag H and
 * stores the layer in the original order). Sparse blocks get a Wanda mask chosen first; the pruned weights' error is
 * then compensated like the rounding error.
 */
public record GptqCompressor(ObsSweep.Options options) {
    public static final GptqCompressor DEFAULT = new GptqCompressor(ObsSweep.Options.DEFAULT);
    public static final GptqCompressor ACT_ORDER = new GptqCompressor(ObsSweep.Options.DEFAULT.withActOrder(true));

    /** The pipeline entry (the {@code LinearCompressor} shape with the {@code LinearTarget} fields spelled out). */
    public CompressedLinear compress(String name, int bits, int groupSize, byte[] blockDensities, float[] w, int rows,
                                     int cols, CalibrationStats stats) {
        return sweep(bits, groupSize, blockDensities, w, rows, cols, stats)
                .toCompressed(name, bits, groupSize, blockDensities, null);
    }

    public ObsSweep.Result sweep(int bits, int groupSize, byte[] blockDensities, float[] w, int rows, int cols,
                                 CalibrationStats stats) {
        SparseGptCompressor.check(stats, cols);
        boolean dense = true;
        for (byte n : blockDensities) {
            dense &= n == 16;
        }
        ObsSweep.Mask mask = dense ? new ObsSweep.Dense()
                : new ObsSweep.Fixed(new WandaCompressor(16).mask(w, rows, cols, blockDensities, stats));
        return ObsSweep.run(w, rows, cols, stats.requireHessian("GPTQ"), mask,
                new ObsSweep.Quant(bits, groupSize), options);
    }
}
