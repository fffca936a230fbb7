package io.flightllm.compress;

/**
 * Calibration statistics of the inputs X (n tokens x cols) of one linear layer, in double.
 *
 * @param cols        the layer's input width
 * @param tokens      n, the number of rows seen
 * @param columnSumSq per column j: sum over tokens of X_tj^2 (Wanda's ||X_j||_2 is its square root)
 * @param hessian     H = 2 X^T X / n, [cols][cols] row-major, or null when only column norms were collected
 * @param columnAbsMax per column j: max over tokens of |X_tj| (SmoothQuant's activation range), or null when not
 *                    collected
 */
public record CalibrationStats(int cols, long tokens, double[] columnSumSq, double[] hessian, double[] columnAbsMax) {

    /** Statistics without the per-column maxima. */
    public CalibrationStats(int cols, long tokens, double[] columnSumSq, double[] hessian) {
        this(cols, tokens, columnSumSq, hessian, null);
    }

    public CalibrationStats {
        if (cols <= 0 || tokens < 0) {
            throw new IllegalArgumentException("calibration stats: cols " + cols + " and tokens " + tokens
                    + " must be positive and non-negative");
        }
        if (columnSumSq.length != cols) {
            throw new IllegalArgumentException("calibration stats: " + columnSumSq.length
                    + " column sums; expected " + cols);
        }
        if (hessian != null && hessian.length != (long) cols * cols) {
            throw new IllegalArgumentException("calibration stats: Hessian of " + hessian.length
                    + " entries; expected " + cols + " x " + cols);
        }
        if (columnAbsMax != null && columnAbsMax.length != cols) {
            throw new IllegalArgumentException("calibration stats: " + columnAbsMax.length
                    + " column maxima; expected " + cols);
        }
    }

    /** max |X_j| per column, or an exception naming what is missing (SmoothQuant needs it). */
    public double[] requireAbsMax(String method) {
        if (columnAbsMax == null) {
            throw new IllegalArgumentException(method + " needs the per-column maxima max |X_j| of the calibration "
                    + "inputs; these stats (" + cols + " columns, " + tokens + " tokens) do not hold them");
        }
        return columnAbsMax;
    }

    public boolean hasHessian() {
        return hessian != null;
    }

    /** ||X_j||_2 per column, as FP32 importance factors for {@link RoundToNearest#selectByImportance}. */
    public float[] columnNorms() {
        float[] n = new float[cols];
        for (int j = 0; j < cols; j++) {
            n[j] = (float) Math.sqrt(columnSumSq[j]);
        }
        return n;
    }

    /** The Hessian, or an exception naming what is missing (GPTQ and SparseGPT need it). */
    public double[] requireHessian(String method) {
        if (hessian == null) {
            throw new IllegalArgumentException(method + " needs the calibration Hessian 2 X^T X / n; these stats ("
                    + cols + " columns, " + tokens + " tokens) hold only column norms");
        }
        if (tokens == 0) {
            throw new IllegalArgumentException(method + " needs calibration tokens; none were collected");
        }
        return hessian;
    }
}
