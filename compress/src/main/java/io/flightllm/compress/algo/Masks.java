package io.flightllm.compress.algo;

import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.RoundToNearest;

/**
 * Keep-masks over the padded [paddedRows][paddedCols] matrix. Besides plain N:16 (per 16-column row segment keep N),
 * a {@code pattern} m in {4, 8} constrains the kept positions further: each aligned group of m columns keeps N x m / 16
 * of them. 2:4 is N = 8 with m = 4 and 4:8 is N = 8 with m = 8: subsets of 8:16 the accelerator runs as 8:16 blocks.
 */
public final class Masks {
    /** The supported sub-group sizes (16 = unconstrained N:16). */
    public static final int[] PATTERNS = {4, 8, 16};

    private Masks() {
    }

    /** Checks that every block density divides evenly into groups of {@code pattern} columns. */
    public static void checkPattern(byte[] blockN, int pattern) {
        if (pattern != 4 && pattern != 8 && pattern != 16) {
            throw new IllegalArgumentException("pattern " + pattern + " is not supported; expected 4, 8 or 16");
        }
        for (byte n : blockN) {
            BlockDensity.check(n);
            if (n * pattern % 16 != 0) {
                throw new IllegalArgumentException("density N = " + n + " cannot be split evenly into groups of "
                        + pattern + " columns (N x " + pattern + " / 16 must be whole)");
            }
        }
    }

    /** The 8:16 density map and the 2:4 (m = 4) or 4:8 (m = 8) mask by importance |w| x colImportance. */
    public static boolean[] halfPattern(float[] w, int rows, int cols, int m, float[] colImportance) {
        return select(w, rows, cols, BlockDensity.uniform(rows, cols, 8), m, colImportance);
    }

    /** Selection by importance under a pattern (ties: lower column; padded columns last). */
    public static boolean[] select(float[] w, int rows, int cols, byte[] blockN, int pattern, float[] colImportance) {
        checkPattern(blockN, pattern);
        if (pattern == 16) {
            return RoundToNearest.selectByImportance(w, rows, cols, blockN, colImportance);
        }
        int pr = CompressedLinear.ceil16(rows);
        int pc = CompressedLinear.ceil16(cols);
        boolean[] kept = new boolean[pr * pc];
        double[] score = new double[16];
        for (int r = 0; r < pr; r++) {
            for (int j = 0; j < pc / 16; j++) {
                for (int k = 0; k < 16; k++) {
                    int c = j * 16 + k;
                    score[k] = r < rows && c < cols
                            ? Math.abs(w[r * cols + c]) * (colImportance == null ? 1.0 : colImportance[c]) : -1;
                }
                keepTop(score, kept, r * pc + j * 16, blockN[(r / 16) * (pc / 16) + j], pattern);
            }
        }
        return kept;
    }

    /**
     * Marks in kept[at..at+16) the top scores of each aligned group of {@code pattern} columns, N x pattern / 16 per
     * group (ties: lower column).
     */
    static void keepTop(double[] score, boolean[] kept, int at, int n, int pattern) {
        int per = n * pattern / 16;
        for (int g = 0; g < 16; g += pattern) {
            for (int taken = 0; taken < per; taken++) {
                int best = -1;
                for (int k = g; k < g + pattern; k++) {
                    if (!kept[at + k] && (best < 0 || score[k] > score[best])) {
                        best = k;
                    }
                }
                kept[at + best] = true;
            }
        }
    }

    /** True when every segment of the mask keeps exactly its block's N and every pattern group its share. */
    public static boolean obeys(boolean[] kept, int rows, int cols, byte[] blockN, int pattern) {
        int pr = CompressedLinear.ceil16(rows);
        int pc = CompressedLinear.ceil16(cols);
        for (int r = 0; r < pr; r++) {
            for (int j = 0; j < pc / 16; j++) {
                int n = blockN[(r / 16) * (pc / 16) + j];
                for (int g = 0; g < 16; g += pattern) {
                    int count = 0;
                    for (int k = g; k < g + pattern; k++) {
                        count += kept[r * pc + j * 16 + k] ? 1 : 0;
                    }
                    if (count != n * pattern / 16) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
