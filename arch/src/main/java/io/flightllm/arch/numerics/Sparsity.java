package io.flightllm.arch.numerics;

import java.util.Arrays;

/**
 * The N:16 block sparsity of the numerics contract: per 16x16 weight block a density N, the number of weights kept in
 * each 16-column row segment (16 = dense, 0 = an all-zero block). The CSD chain's sparse MUX selects by 4-bit index,
 * which is why the block is 16 wide.
 */
public final class Sparsity {
    /** Block edge in rows and columns; also the padding unit of every matrix (K16). */
    public static final int BLOCK = 16;
    /** Every density the numerics define; a HardwareConfig may support a subset that contains 16. */
    public static final int[] N_CHOICES = {0, 2, 4, 8, 16};

    private Sparsity() {
    }

    public static boolean isValidN(int n) {
        return n == 0 || n == 2 || n == 4 || n == 8 || n == 16;
    }

    public static void checkN(int n) {
        if (!isValidN(n)) {
            throw new IllegalArgumentException("block density N = " + n + " is not supported; expected one of "
                    + Arrays.toString(N_CHOICES) + " (N:16 per 16x16 block)");
        }
    }
}
