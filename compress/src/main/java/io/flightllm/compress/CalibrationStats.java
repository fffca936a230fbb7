package io.flightllm.compress;

/**
 * Activation statistics of one linear layer's input, gathered by running calibration text through the model. Passed
 * to {@link LinearCompressor#compress} as null when the pipeline runs without calibration (e.g. RTN).
 *
 * @param tokens            number of input rows (tokens) the statistics were gathered over
 * @param columnSumSquares  per input column (of the matrix as handed to the compressor), the sum over tokens of x^2
 *                          (Wanda's importance is |w| times the square root of this)
 * @param hessian           the input Gram matrix X^T X on demand (GPTQ / SparseGPT), or null when not collected
 */
public record CalibrationStats(long tokens, double[] columnSumSquares, HessianProvider hessian) {

    /** Lazily supplies the [cols][cols] row-major matrix sum over tokens of x x^T (large: built only when asked). */
    @FunctionalInterface
    public interface HessianProvider {
        double[] hessian();
    }
}
