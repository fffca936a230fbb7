package io.flightllm.arch.numerics;

/**
 * The exact integer dot products of the numerics contract ("Integer sums are exact"): the plain reference that every
 * executor of a linear layer (twin, simulator, the bit-accurate MPE model, the RTL) must equal. Written as the obvious
 * loop on purpose; fast paths are tested against it.
 */
public final class IntDot {
    private IntDot() {
    }

    /** sum of w[wo + i] x a[ao + i] for i < len, exact (INT8 operands, at most 2^17 terms fit in an int). */
    public static int dot(byte[] w, int wo, byte[] a, int ao, int len) {
        int s = 0;
        for (int i = 0; i < len; i++) {
            s += w[wo + i] * a[ao + i];
        }
        return s;
    }

    /** sum of w[wo + i x stride] x a[ao + i] for i < len, exact (a column of a column-major tile). */
    public static int strided(byte[] w, int wo, int stride, byte[] a, int ao, int len) {
        int s = 0;
        for (int i = 0; i < len; i++) {
            s += w[wo + i * stride] * a[ao + i];
        }
        return s;
    }

    /**
     * One N:16 row segment: sum over k < n of values[off + k] x block[blockOff + positions[off + k]], the kept weights
     * of the segment against the 16 activations of its block (positions in 0..15, as {@link Sparsity} stores them).
     */
    public static int sparseDot(byte[] values, byte[] positions, int off, int n, byte[] block, int blockOff) {
        int s = 0;
        for (int k = 0; k < n; k++) {
            int pos = positions[off + k];
            if (pos < 0 || pos >= Sparsity.BLOCK) {
                throw new IllegalArgumentException("position " + pos + " at " + (off + k) + " is outside the block; "
                        + "expected 0.." + (Sparsity.BLOCK - 1));
            }
            s += values[off + k] * block[blockOff + pos];
        }
        return s;
    }
}
