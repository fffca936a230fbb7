package io.flightllm.compress.algo;

import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.CompressedLinear;
import java.util.SplittableRandom;

/** Test data: random weights, correlated activations with uneven column scales, and output reconstruction error. */
final class Synthetic {
    private Synthetic() {
    }

    static float[] gaussian(int n, SplittableRandom r) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) r.nextGaussian();
        }
        return w;
    }

    /**
     * Activations with low-rank correlation plus noise and log-normal column scales (LLM activations have a few large
     * feature columns): X_t = scale o (A z_t + 0.1 noise), z_t of dimension cols / 4. {@code mixing} fixes A and the
     * scales, so calibration and held-out draws share the distribution.
     */
    record Source(int cols, float[] mixing, float[] scale) {
        static Source random(int cols, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int k = Math.max(1, cols / 4);
            float[] a = gaussian(cols * k, r);
            float[] s = new float[cols];
            for (int j = 0; j < cols; j++) {
                s[j] = (float) Math.exp(r.nextGaussian());
            }
            return new Source(cols, a, s);
        }

        float[] draw(int n, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int k = mixing.length / cols;
            float[] x = new float[n * cols];
            double[] z = new double[k];
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < k; i++) {
                    z[i] = r.nextGaussian();
                }
                for (int j = 0; j < cols; j++) {
                    double v = 0.1 * r.nextGaussian();
                    for (int i = 0; i < k; i++) {
                        v += mixing[j * k + i] * z[i] / Math.sqrt(k);
                    }
                    x[t * cols + j] = (float) (scale[j] * v);
                }
            }
            return x;
        }
    }

    static CalibrationStats stats(float[] x, int n, int cols) {
        CalibrationCollector c = new CalibrationCollector(cols, true);
        c.addRows(x, n);
        return c.stats();
    }

    /** ||W X^T - W' X^T||_F / ||W X^T||_F over n rows of x, W' the dequantized compressed layer. */
    static double relativeError(float[] w, CompressedLinear l, float[] x, int n) {
        int rows = l.rows();
        int cols = l.cols();
        double[] wq = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                wq[r * cols + c] = l.dequantized(r, c);
            }
        }
        double num = 0;
        double den = 0;
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                double y = 0;
                double yq = 0;
                for (int c = 0; c < cols; c++) {
                    double xv = x[t * cols + c];
                    y += w[r * cols + c] * xv;
                    yq += wq[r * cols + c] * xv;
                }
                num += (y - yq) * (y - yq);
                den += y * y;
            }
        }
        return Math.sqrt(num / den);
    }
}
