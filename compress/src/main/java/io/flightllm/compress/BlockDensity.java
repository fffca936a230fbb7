package io.flightllm.compress;

import io.flightllm.arch.numerics.Sparsity;

import java.util.Arrays;

/** Per-16x16-block densities N in {0, 2, 4, 8, 16} of a [rows][cols] matrix: helpers to build and describe them. */
public final class BlockDensity {
    /** The densities the CSD chain supports (16 = dense); defined once in arch. */
    public static final int[] CHOICES = Sparsity.N_CHOICES.clone();

    private BlockDensity() {
    }

    public static void check(int n) {
        Sparsity.checkN(n);
    }

    /** Every block at density {@code n}. */
    public static byte[] uniform(int rows, int cols, int n) {
        check(n);
        byte[] d = new byte[CompressedLinear.ceil16(rows) / 16 * (CompressedLinear.ceil16(cols) / 16)];
        Arrays.fill(d, (byte) n);
        return d;
    }

    /** Mean density (kept fraction) of a density map. */
    public static double mean(byte[] blockN) {
        long s = 0;
        for (byte b : blockN) {
            s += b;
        }
        return blockN.length == 0 ? 0 : s / (16.0 * blockN.length);
    }
}
