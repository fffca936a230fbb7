package io.flightllm.arch.mpe;

import io.flightllm.arch.numerics.WeightQuantizer;

/**
 * The MMU's dequantizer, bit-accurate: a line of packed b-bit weight codes (the {@code .flm} bit order: value i in
 * bits [i b, i b + b) of the stream, stream bit k = bit k mod 8 of byte k / 8) becomes INT8 lanes by sign extension
 * (docs/numerics.md: every b-bit value is already a valid INT8, so dequantization to INT8 is exact). Codes outside
 * the contract (the 2-bit pattern 10, an 8-bit -128) are sign-extended like any other, as the hardware does.
 */
public final class Dequantizer {
    private Dequantizer() {
    }

    /** The first {@code lanes} b-bit values of {@code line}, sign-extended to INT8. */
    public static byte[] unpack(byte[] line, int bits, int lanes) {
        WeightQuantizer.checkBits(bits);
        if ((long) lanes * bits > 8L * line.length) {
            throw new IllegalArgumentException(lanes + " lanes of " + bits + " bits need " + lanes * bits
                    + " bits; the line has " + 8 * line.length);
        }
        byte[] out = new byte[lanes];
        for (int i = 0; i < lanes; i++) {
            int code = 0;
            for (int b = 0; b < bits; b++) {
                int k = i * bits + b;
                code |= ((line[k >>> 3] >>> (k & 7)) & 1) << b;
            }
            out[i] = (byte) (code << (32 - bits) >> (32 - bits));
        }
        return out;
    }

    /** The inverse for values in range: packs {@code values} as b-bit codes into a line of {@code lineBytes}. */
    public static byte[] pack(byte[] values, int bits, int lineBytes) {
        WeightQuantizer.checkBits(bits);
        byte[] line = new byte[lineBytes];
        for (int i = 0; i < values.length; i++) {
            int code = values[i] & ((1 << bits) - 1);
            for (int b = 0; b < bits; b++) {
                int k = i * bits + b;
                line[k >>> 3] |= (byte) (((code >>> b) & 1) << (k & 7));
            }
        }
        return line;
    }
}
