package io.flightllm.arch.numerics;

import java.util.Arrays;

/**
 * b-bit weights of the numerics contract: values in [-(2^(b-1) - 1), 2^(b-1) - 1] (2-bit is ternary), one FP16 scale
 * per output row per group: s16 = fp16(m / qmax), s = its exact widening, q = clamp(rint(w / s)) (0 when s = 0).
 * Dequantization to INT8 is exact (sign extension), because every b-bit value is already a valid INT8.
 */
public final class WeightQuantizer {
    /** The supported widths; anything else is refused listing these. */
    public static final int[] BITS = {2, 3, 4, 8};

    private WeightQuantizer() {
    }

    public static int qmax(int bits) {
        checkBits(bits);
        return (1 << (bits - 1)) - 1;
    }

    public static void checkBits(int bits) {
        if (bits != 2 && bits != 3 && bits != 4 && bits != 8) { // hot: called per weight; BITS lists the same set
            throw new IllegalArgumentException("weight bit width " + bits + " is not supported; expected one of "
                    + Arrays.toString(BITS));
        }
    }

    /** The stored FP16 scale (as its bits) for a group whose largest magnitude is {@code maxAbs}. */
    public static short scaleBits(float maxAbs, int bits) {
        return Float.floatToFloat16(maxAbs / (float) qmax(bits));
    }

    /** Quantizes one weight with the widened FP16 scale {@code s}; 0 when s = 0. */
    public static int quantize(float w, float s, int bits) {
        if (s == 0.0f) {
            return 0;
        }
        int qm = qmax(bits);
        int q = (int) Math.rint(w / s);
        return Math.max(-qm, Math.min(qm, q));
    }
}
