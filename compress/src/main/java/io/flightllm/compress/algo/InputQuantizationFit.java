package io.flightllm.compress.algo;

import io.flightllm.arch.numerics.Int8Quantizer;
import io.flightllm.compress.CalibrationStats;

/**
 * Input-quantization-aware weight fitting for W8A8: the accelerator multiplies a linear's weights with its input row
 * after INT8 per-row quantization (x~ = q(x) s, {@link Int8Quantizer}), so instead of W the layer should hold the
 * W^ that best maps the quantized inputs to the FP32 outputs:
 * <pre>  min ||X W^T - X~ W^^T||^2 + ||(W^ - W) (lambda D)^(1/2)||^2   =>   W^ = W (C + lambda D) (H~ + lambda D)^-1</pre>
 * with C = X^T X~ and H~ = X~^T X~ over the calibration rows (both scaled by 2 / n, like the GPTQ Hessian),
 * D = diag(H~) and lambda = damping. The ridge pulls towards W rather than towards 0, and in proportion to each
 * column's own input energy, so the fit is unchanged by a per-column rescaling of the inputs (as SmoothQuant's) and
 * an outlier column does not set the ridge of the others. The result is then quantized (GPTQ with H~), whose objective ||X~ (W^ - Q)^T||^2 is, up to
 * the ridge, the rest of ||X W^T - X~ Q^T||^2. This is a reparametrization of the FP32 weights: the numerics are
 * unchanged.
 */
public final class InputQuantizationFit {
    private InputQuantizationFit() {
    }

    /** Accumulates C = X^T X~ and the statistics of X~ (for GPTQ) row by row. */
    public static final class Collector {
        private final int cols;
        private final CalibrationCollector quantized;
        private final double[] cross; // [cols][cols]: sum over rows of x_i x~_j
        private final byte[] q;
        private final float[] xq;

        public Collector(int cols) {
            this.quantized = new CalibrationCollector(cols, true);
            this.cols = cols;
            this.cross = new double[cols * cols];
            this.q = new byte[cols];
            this.xq = new float[cols];
        }

        public int cols() {
            return cols;
        }

        /** Adds the FP32 input row x[offset .. offset + cols) as the linear receives it. */
        public void add(float[] x, int offset) {
            add(x, offset, x, offset);
        }

        /**
         * Adds a pair of rows for the same token: the target x (the FP32 model's input of this linear) and the row y
         * the quantized model feeds it before INT8 quantization (its inputs differ by the upstream error).
         */
        public void add(float[] x, int xOffset, float[] y, int yOffset) {
            check(x, xOffset);
            check(y, yOffset);
            float s = Int8Quantizer.quantizeRow(y, yOffset, cols, q, 0);
            for (int j = 0; j < cols; j++) {
                xq[j] = q[j] * s; // the value the accelerator's INT8 product represents
            }
            quantized.add(xq);
            for (int i = 0; i < cols; i++) {
                double a = x[xOffset + i];
                if (a == 0) {
                    continue;
                }
                int base = i * cols;
                for (int j = 0; j < cols; j++) {
                    cross[base + j] += a * xq[j];
                }
            }
        }

        private void check(float[] x, int offset) {
            if (offset < 0 || offset + cols > x.length) {
                throw new IllegalArgumentException("input fit: row at " + offset + " of " + cols
                        + " values exceeds the array of " + x.length);
            }
        }

        public Stats stats() {
            long n = quantized.tokens();
            double f = n == 0 ? 0 : 2.0 / n;
            double[] c = new double[cross.length];
            for (int i = 0; i < c.length; i++) {
                c[i] = f * cross[i];
            }
            return new Stats(cols, c, quantized.stats());
        }
    }

    /**
     * @param cross     2 X^T X~ / n, [cols][cols] row-major (not symmetric)
     * @param quantized the statistics of X~ (its Hessian 2 X~^T X~ / n is what GPTQ then uses)
     */
    public record Stats(int cols, double[] cross, CalibrationStats quantized) {
        public Stats {
            if (cross.length != (long) cols * cols || quantized.cols() != cols) {
                throw new IllegalArgumentException("input fit: cross-covariance of " + cross.length
                        + " entries and stats of " + quantized.cols() + " columns; expected " + cols + " x " + cols);
            }
        }

        /** W^ = W (C + lambda D)(H~ + lambda D)^-1 for W [rows][cols]; D = diag(H~), lambda = damping. */
        public float[] fit(float[] w, int rows, double damping) {
            if (w.length != (long) rows * cols) {
                throw new IllegalArgumentException("input fit: weights of " + w.length + " values; expected "
                        + rows + " x " + cols);
            }
            double[] m = mixing(damping);
            float[] out = new float[w.length];
            double[] acc = new double[cols];
            for (int r = 0; r < rows; r++) {
                java.util.Arrays.fill(acc, 0);
                for (int k = 0; k < cols; k++) {
                    double a = w[r * cols + k];
                    if (a == 0) {
                        continue;
                    }
                    for (int j = 0; j < cols; j++) {
                        acc[j] += a * m[k * cols + j];
                    }
                }
                for (int j = 0; j < cols; j++) {
                    out[r * cols + j] = (float) acc[j];
                }
            }
            return out;
        }

        /** M = (C + lambda D)(H~ + lambda D)^-1, [cols][cols] (a column with no quantized input keeps W's). */
        double[] mixing(double damping) {
            double[] h = quantized.requireHessian("input-quantization-aware fitting");
            if (!(damping > 0) || damping > HessianInverse.MAX_DAMPING) {
                throw new IllegalArgumentException("input fit: damping " + damping + " must be in (0, "
                        + HessianInverse.MAX_DAMPING + "]");
            }
            double[] a = h.clone();
            double[] c = cross.clone();
            for (int i = 0; i < cols; i++) {
                double d = h[i * cols + i];
                if (d > 0) {
                    a[i * cols + i] += damping * d;
                    c[i * cols + i] += damping * d;
                } else { // a column whose quantized input is always 0 (e.g. head padding): W's column is kept
                    a[i * cols + i] = 1;
                    c[i * cols + i] = 1;
                }
            }
            double[] l = HessianInverse.cholesky(a, cols);
            if (l == null) {
                throw new IllegalStateException("input fit: H~ + lambda I (" + cols + " x " + cols
                        + ") is not positive definite with damping " + damping);
            }
            double[] inv = HessianInverse.inverseFromCholesky(l, cols);
            double[] m = new double[cols * cols];
            for (int i = 0; i < cols; i++) {
                for (int k = 0; k < cols; k++) {
                    double v = c[i * cols + k];
                    if (v == 0) {
                        continue;
                    }
                    for (int j = 0; j < cols; j++) {
                        m[i * cols + j] += v * inv[k * cols + j];
                    }
                }
            }
            return m;
        }
    }
}
