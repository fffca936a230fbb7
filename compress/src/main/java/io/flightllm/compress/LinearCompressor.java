package io.flightllm.compress;

/**
 * A compression method for one linear layer (RTN, Wanda, SparseGPT, GPTQ, ...). The pipeline ({@link ModelCompressor})
 * calls it once per matrix, layer by layer, and never holds more than one layer's FP32 weights.
 *
 * <p>Contract: {@code w} is row-major [rows][cols] FP32 (after head padding; the method may overwrite it). The result
 * must be named {@link LinearTarget#name()}, have shape [rows, cols], {@link LinearTarget#bits()},
 * {@link LinearTarget#groupSize()} and exactly {@link LinearTarget#blockDensities()}; the pipeline checks this.
 * {@code stats} is null when no calibration data is available; methods that need it must say so by throwing
 * {@link IllegalArgumentException}.
 */
@FunctionalInterface
public interface LinearCompressor {
    CompressedLinear compress(LinearTarget target, float[] w, int rows, int cols, CalibrationStats stats);

    /** The reference method: magnitude selection (N largest |w| per segment) and round-to-nearest. */
    static LinearCompressor roundToNearest() {
        return (t, w, rows, cols, stats) -> RoundToNearest.compress(t.name(), w, rows, cols, t.bits(),
                t.groupSize(), t.blockDensities(), null, null);
    }
}
