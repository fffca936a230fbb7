package io.flightllm.sim;

/**
 * The LD path's weight dequantizer (docs/isa.md "LD"): a chunk is a little-endian bit stream of b-bit two's
 * complement values (value j in stream bits [j b, j b + b), stream bit t = bit t mod 8 of byte t / 8), each written
 * sign-extended as one INT8. {@link #unpackReference} reads the definition bit by bit; {@link #unpack} is the fast
 * form, tested equal to it.
 */
final class Dequantizer {
    private Dequantizer() {
    }

    /** Values a chunk of {@code len} bytes holds at {@code bits} bits: floor(8 len / bits). */
    static int count(int len, int bits) {
        return (int) (8L * len / bits);
    }

    /** Unpacks {@code count} values of {@code bits} bits from src[srcOff..] to dst[dstOff..]. */
    static void unpack(byte[] src, int srcOff, int count, int bits, byte[] dst, int dstOff) {
        switch (bits) {
            case 4 -> {
                int pairs = count >> 1;
                for (int i = 0; i < pairs; i++) {
                    int v = src[srcOff + i];
                    dst[dstOff + 2 * i] = (byte) (v << 28 >> 28);
                    dst[dstOff + 2 * i + 1] = (byte) (v << 24 >> 28);
                }
                if ((count & 1) != 0) {
                    dst[dstOff + count - 1] = (byte) (src[srcOff + pairs] << 28 >> 28);
                }
            }
            case 2 -> {
                for (int j = 0; j < count; j++) {
                    int v = src[srcOff + (j >> 2)];
                    int sh = 30 - 2 * (j & 3);
                    dst[dstOff + j] = (byte) (v << sh >> 30);
                }
            }
            case 8 -> System.arraycopy(src, srcOff, dst, dstOff, count);
            default -> {
                long acc = 0;
                int have = 0;
                int at = srcOff;
                int shift = 64 - bits;
                for (int j = 0; j < count; j++) {
                    while (have < bits) {
                        acc |= (long) (src[at++] & 0xff) << have;
                        have += 8;
                    }
                    dst[dstOff + j] = (byte) (acc << shift >> shift);
                    acc >>>= bits;
                    have -= bits;
                }
            }
        }
    }

    /** The definition, one stream bit at a time. */
    static void unpackReference(byte[] src, int srcOff, int count, int bits, byte[] dst, int dstOff) {
        for (int j = 0; j < count; j++) {
            int v = 0;
            for (int i = 0; i < bits; i++) {
                int t = j * bits + i;
                v |= (src[srcOff + t / 8] >> (t % 8) & 1) << i;
            }
            if ((v & 1 << (bits - 1)) != 0) {
                v -= 1 << bits;
            }
            dst[dstOff + j] = (byte) v;
        }
    }
}
