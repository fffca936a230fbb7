package io.flightllm.compress.algo;

import io.flightllm.compress.CalibrationStats;

/**
 * Accumulates, row by row, the calibration statistics of one linear layer's inputs: per-column sums of squares and,
 * per-column maxima of |x| and, optionally, X^T X (upper triangle, double), from which {@link #stats()} forms H = 2 X^T X / n.
 */
public final class CalibrationCollector {
    private final int cols;
    private final double[] sumSq;
    private final double[] absMax;
    private final double[] xtx; // upper triangle used, [cols][cols]
    private final double[] row;
    private long tokens;

    public CalibrationCollector(int cols, boolean withHessian) {
        if (cols <= 0) {
            throw new IllegalArgumentException("calibration: cols " + cols + " must be positive");
        }
        if (withHessian && (long) cols * cols > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("calibration: a Hessian of " + cols + " x " + cols
                    + " does not fit one array");
        }
        this.cols = cols;
        this.sumSq = new double[cols];
        this.absMax = new double[cols];
        this.xtx = withHessian ? new double[cols * cols] : null;
        this.row = new double[cols];
    }

    public int cols() {
        return cols;
    }

    public long tokens() {
        return tokens;
    }

    /** Adds one input row x[0..cols). */
    public void add(float[] x) {
        add(x, 0);
    }

    /** Adds the row x[offset..offset+cols). */
    public void add(float[] x, int offset) {
        if (offset < 0 || offset + cols > x.length) {
            throw new IllegalArgumentException("calibration: row at " + offset + " of " + cols
                    + " values exceeds the array of " + x.length);
        }
        for (int j = 0; j < cols; j++) {
            double v = x[offset + j];
            row[j] = v;
            sumSq[j] += v * v;
            absMax[j] = Math.max(absMax[j], Math.abs(v));
        }
        if (xtx != null) {
            for (int i = 0; i < cols; i++) {
                double a = row[i];
                if (a == 0) {
                    continue;
                }
                int base = i * cols;
                for (int j = i; j < cols; j++) {
                    xtx[base + j] += a * row[j];
                }
            }
        }
        tokens++;
    }

    /** Adds n rows stored back to back in x. */
    public void addRows(float[] x, int n) {
        for (int t = 0; t < n; t++) {
            add(x, t * cols);
        }
    }

    /** The statistics so far (a snapshot; collecting may continue). */
    public CalibrationStats stats() {
        double[] h = null;
        if (xtx != null) {
            h = new double[cols * cols];
            double f = tokens == 0 ? 0 : 2.0 / tokens;
            for (int i = 0; i < cols; i++) {
                for (int j = i; j < cols; j++) {
                    double v = f * xtx[i * cols + j];
                    h[i * cols + j] = v;
                    h[j * cols + i] = v;
                }
            }
        }
        return new CalibrationStats(cols, tokens, sumSq.clone(), h, absMax.clone());
    }
}
