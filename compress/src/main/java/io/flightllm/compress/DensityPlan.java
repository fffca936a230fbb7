package io.flightllm.compress;

import java.util.Arrays;

/**
 * How the 16x16 blocks of one matrix get their densities.
 * <ul>
 *   <li>{@link Dense}: every block N = 16;</li>
 *   <li>{@link Uniform}: every block the same N;</li>
 *   <li>{@link Mixed}: a target mean density (kept fraction) met by mixing the two neighbouring choices of
 *       {@link BlockDensity#CHOICES}; whole bands of {@code bandRows} rows share one N (so the row blocks the MPE
 *       processes in parallel have the same N) and the bands with the smallest weight magnitude get the lower N.</li>
 * </ul>
 */
public sealed interface DensityPlan {

    /** Block densities for a [rows][cols] matrix with weights {@code w} (used only by {@link Mixed}). */
    byte[] densities(float[] w, int rows, int cols);

    /** A short description for recipes ("dense", "8:16", "mean 0.70 in 64-row bands"). */
    String describe();

    /**
     * Block densities when no weights exist (shape-only compilation and timing): the plan applied to weights of equal
     * magnitude. {@link Mixed} then spreads its low-density bands evenly over the rows.
     */
    default byte[] densitiesWithoutWeights(int rows, int cols) {
        return densities(null, rows, cols);
    }

    record Dense() implements DensityPlan {
        @Override
        public byte[] densities(float[] w, int rows, int cols) {
            return BlockDensity.uniform(rows, cols, 16);
        }

        @Override
        public String describe() {
            return "dense";
        }
    }

    record Uniform(int n) implements DensityPlan {
        public Uniform {
            BlockDensity.check(n);
        }

        @Override
        public byte[] densities(float[] w, int rows, int cols) {
            return BlockDensity.uniform(rows, cols, n);
        }

        @Override
        public String describe() {
            return n == 16 ? "dense" : n + ":16";
        }
    }

    /**
     * @param meanDensity target kept fraction in [0, 1]
     * @param bandRows    rows per band sharing one N (a positive multiple of 16)
     */
    record Mixed(double meanDensity, int bandRows) implements DensityPlan {
        public Mixed {
            if (!(meanDensity >= 0 && meanDensity <= 1)) {
                throw new IllegalArgumentException("mean density " + meanDensity + " must be in [0, 1]");
            }
            if (bandRows <= 0 || bandRows % 16 != 0) {
                throw new IllegalArgumentException("band rows " + bandRows + " must be a positive multiple of 16");
            }
        }

        /** The lower of the two mixed densities: the largest choice with N/16 at most the mean. */
        public int lowN() {
            int lo = 0;
            for (int n : BlockDensity.CHOICES) {
                if (n / 16.0 <= meanDensity + 1e-12) {
                    lo = n;
                }
            }
            return lo;
        }

        /** The higher one (the next choice; 16 when the mean is 1). */
        public int highN() {
            int lo = lowN();
            for (int n : BlockDensity.CHOICES) {
                if (n > lo) {
                    return n;
                }
            }
            return 16;
        }

        /** Fraction of bands at {@link #lowN()} that meets the mean: f lo/16 + (1 - f) hi/16 = mean. */
        public double lowFraction() {
            int lo = lowN();
            int hi = highN();
            return lo == hi ? 1.0 : (hi / 16.0 - meanDensity) / ((hi - lo) / 16.0);
        }

        @Override
        public byte[] densities(float[] w, int rows, int cols) {
            int pr = CompressedLinear.ceil16(rows);
            int cb = CompressedLinear.ceil16(cols) / 16;
            int bands = (pr + bandRows - 1) / bandRows;
            int lowBands = (int) Math.round(lowFraction() * bands);
            double[] mass = new double[bands];
            if (w == null) {
                // equal weights: band i is low when the running count of low bands steps at i (evenly spread)
                for (int i = 0; i < bands; i++) {
                    mass[i] = ((long) (i + 1) * lowBands / bands > (long) i * lowBands / bands) ? 0 : 1;
                }
            }
            for (int r = 0; w != null && r < rows; r++) {
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    s += Math.abs(w[r * cols + c]);
                }
                mass[r / bandRows] += s;
            }
            Integer[] order = new Integer[bands];
            for (int i = 0; i < bands; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> mass[a] != mass[b] ? Double.compare(mass[a], mass[b]) : Integer.compare(a, b));
            byte[] bandN = new byte[bands];
            Arrays.fill(bandN, (byte) highN());
            for (int i = 0; i < lowBands; i++) {
                bandN[order[i]] = (byte) lowN();
            }
            byte[] d = new byte[pr / 16 * cb];
            for (int rb = 0; rb < pr / 16; rb++) {
                Arrays.fill(d, rb * cb, (rb + 1) * cb, bandN[rb * 16 / bandRows]);
            }
            return d;
        }

        @Override
        public String describe() {
            return String.format(java.util.Locale.ROOT, "mean %.2f (%d:16 and %d:16 in %d-row bands)", meanDensity,
                    lowN(), highN(), bandRows);
        }
    }
}
