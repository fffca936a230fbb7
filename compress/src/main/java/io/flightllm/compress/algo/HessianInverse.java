package io.flightllm.compress.algo;

/**
 * The factor GPTQ and SparseGPT sweep with: the upper Cholesky factor U of (H + lambda I)^-1 (so U^T U = H^-1),
 * lambda = damping x mean(diag H). Computed as chol(H) -> H^-1 -> chol(H^-1)^T, all in double.
 *
 * <p>When a factorization fails (H singular or numerically indefinite, e.g. fewer calibration tokens than columns
 * with no damping), the damping is raised tenfold and retried, up to {@link #MAX_DAMPING}; {@link #warning} then says
 * what happened. Beyond that, or on non-finite input, an exception explains the cause.
 *
 * @param n       the matrix size
 * @param upper   U, [n][n] row-major, zero below the diagonal
 * @param damping the damping fraction finally used (relative to the mean diagonal)
 * @param warning null, or a message saying the damping was increased
 */
public record HessianInverse(int n, double[] upper, double damping, String warning) {
    /** The SparseGPT/GPTQ default: 1% of the mean diagonal. */
    public static final double DEFAULT_DAMPING = 0.01;
    /** The largest damping tried before giving up (10x the mean diagonal). */
    public static final double MAX_DAMPING = 10.0;
    /** A pivot below this fraction of its diagonal entry counts as a failed factorization. */
    private static final double PIVOT_TOLERANCE = 1e-12;

    public static HessianInverse of(double[] h, int n, double damping) {
        if (h.length != (long) n * n) {
            throw new IllegalArgumentException("Hessian of " + h.length + " entries; expected " + n + " x " + n);
        }
        if (!(damping >= 0) || damping > MAX_DAMPING) {
            throw new IllegalArgumentException("damping " + damping + " must be in [0, " + MAX_DAMPING + "]");
        }
        double mean = 0;
        for (int i = 0; i < h.length; i++) {
            if (!Double.isFinite(h[i])) {
                throw new IllegalArgumentException("Hessian entry (" + i / n + ", " + i % n + ") is " + h[i]
                        + "; expected a finite value (check the calibration activations)");
            }
        }
        for (int i = 0; i < n; i++) {
            mean += h[i * n + i];
        }
        mean /= n;
        if (!(mean > 0)) {
            throw new IllegalArgumentException("Hessian has mean diagonal " + mean
                    + "; expected a positive value (all-zero calibration activations?)");
        }
        double d = damping;
        String warning = null;
        while (true) {
            double[] a = h.clone();
            double lambda = d * mean;
            for (int i = 0; i < n; i++) {
                a[i * n + i] += lambda;
            }
            double[] l = cholesky(a, n);
            double[] l2 = l == null ? null : cholesky(inverseFromCholesky(l, n), n);
            if (l2 != null) {
                return new HessianInverse(n, transpose(l2, n), d, warning);
            }
            double next = d == 0 ? 1e-4 : d * 10;
            if (next > MAX_DAMPING * (1 + 1e-9)) {
                throw new IllegalStateException("the Hessian (" + n + " x " + n + ") is not positive definite even "
                        + "with damping " + d + " x its mean diagonal " + mean
                        + "; the calibration activations are degenerate");
            }
            warning = "the Hessian (" + n + " x " + n + ") is not positive definite with damping " + damping
                    + " x its mean diagonal; the damping was increased to " + next;
            d = next;
        }
    }

    /** The diagonal entry U_jj. */
    public double diag(int j) {
        return upper[j * n + j];
    }

    /** Lower Cholesky factor L (A = L L^T) of a symmetric [n][n] matrix, or null when a pivot is not positive. */
    static double[] cholesky(double[] a, int n) {
        double[] l = new double[n * n];
        for (int j = 0; j < n; j++) {
            double s = a[j * n + j];
            for (int k = 0; k < j; k++) {
                s -= l[j * n + k] * l[j * n + k];
            }
            if (!(s > PIVOT_TOLERANCE * Math.abs(a[j * n + j])) || !(s > 0)) {
                return null;
            }
            double ljj = Math.sqrt(s);
            l[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double t = a[i * n + j];
                for (int k = 0; k < j; k++) {
                    t -= l[i * n + k] * l[j * n + k];
                }
                l[i * n + j] = t / ljj;
            }
        }
        return l;
    }

    /** A^-1 = L^-T L^-1 from the lower Cholesky factor L of A. */
    static double[] inverseFromCholesky(double[] l, int n) {
        double[] li = new double[n * n]; // L^-1, lower
        for (int i = 0; i < n; i++) {
            li[i * n + i] = 1.0 / l[i * n + i];
            for (int j = 0; j < i; j++) {
                double s = 0;
                for (int k = j; k < i; k++) {
                    s += l[i * n + k] * li[k * n + j];
                }
                li[i * n + j] = -s / l[i * n + i];
            }
        }
        double[] m = transpose(li, n); // M = L^-T, upper: A^-1[i][j] = sum_k M[i][k] M[j][k]
        double[] inv = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                double s = 0;
                for (int k = j; k < n; k++) {
                    s += m[i * n + k] * m[j * n + k];
                }
                inv[i * n + j] = s;
                inv[j * n + i] = s;
            }
        }
        return inv;
    }

    static double[] transpose(double[] a, int n) {
        double[] t = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                t[j * n + i] = a[i * n + j];
            }
        }
        return t;
    }
}
