package io.flightllm.compress.flm;

import io.flightllm.arch.numerics.IndexEncoding;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Bit packing of the {@code .flm} payloads. Values: b-bit two's complement, little-endian bit order (value i of a row
 * occupies bits [i*b, i*b + b) of the row's bit stream; stream bit k is bit k%8 of byte k/8), each padded row
 * starting on a byte boundary. Positions: 4-bit nibbles, the first of each pair in the low nibble; or, in the
 * {@code mask16} encoding, one little-endian u16 mask per sparse segment (bit k = column k kept).
 */
public final class FlmPacking {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FlmPacking() {
    }

    /** Packs {@code values} (rows of {@code perRow[row / 16]} values each) into b-bit rows. */
    public static byte[] packValues(byte[] values, int[] perRowBlock, int bits) {
        byte[] out = new byte[Math.toIntExact(FlmLayout.valuesBytes(perRowBlock, bits))];
        int mask = (1 << bits) - 1;
        int v = 0;
        int o = 0;
        for (int count : perRowBlock) {
            int rowBytes = (int) FlmLayout.rowValueBytes(count, bits);
            for (int r = 0; r < 16; r++) {
                long bit = 0;
                for (int i = 0; i < count; i++, bit += bits) {
                    int x = values[v++] & mask;
                    // a b-bit field spans at most two bytes (b <= 8)
                    int at = o + (int) (bit >>> 3);
                    int shift = (int) (bit & 7);
                    out[at] |= (byte) (x << shift);
                    if (shift + bits > 8) {
                        out[at + 1] |= (byte) (x >>> (8 - shift));
                    }
                }
                o += rowBytes;
            }
        }
        return out;
    }

    /** The inverse of {@link #packValues}: sign-extends each b-bit field. {@code packed} must have the exact size. */
    public static byte[] unpackValues(MemorySegment packed, int[] perRowBlock, int bits, int total) {
        byte[] out = new byte[total];
        int v = 0;
        long o = 0;
        int mask = (1 << bits) - 1;
        for (int count : perRowBlock) {
            long rowBytes = FlmLayout.rowValueBytes(count, bits);
            byte[] row = new byte[(int) rowBytes + 1];
            for (int r = 0; r < 16; r++) {
                MemorySegment.copy(packed, ValueLayout.JAVA_BYTE, o, row, 0, (int) rowBytes);
                row[(int) rowBytes] = 0;
                long bit = 0;
                for (int i = 0; i < count; i++, bit += bits) {
                    int at = (int) (bit >>> 3);
                    int shift = (int) (bit & 7);
                    int two = (row[at] & 0xFF) | (row[at + 1] & 0xFF) << 8;
                    int x = (two >>> shift) & mask;
                    out[v++] = (byte) (x << (32 - bits) >> (32 - bits));
                }
                o += rowBytes;
            }
        }
        return out;
    }

    public static byte[] packNibbles(byte[] positions) {
        byte[] out = new byte[positions.length / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) ((positions[2 * i] & 0xF) | (positions[2 * i + 1] & 0xF) << 4);
        }
        return out;
    }

    public static byte[] unpackNibbles(MemorySegment packed, int total) {
        byte[] out = new byte[total];
        for (int i = 0; i < total / 2; i++) {
            int b = packed.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            out[2 * i] = (byte) (b & 0xF);
            out[2 * i + 1] = (byte) (b >>> 4);
        }
        return out;
    }

    /**
     * The masks of every sparse segment (0 &lt; N &lt; 16), row by row and block by block, from the logical positions
     * (stored in the same order, N per segment).
     */
    public static byte[] packMasks(byte[] positions, byte[] densities, int rowBlocks, int colBlocks) {
        long segments = FlmLayout.indexBytes(IndexEncoding.MASK16, densities, rowBlocks, colBlocks) / 2;
        byte[] out = new byte[Math.toIntExact(2 * segments)];
        int p = 0;
        int o = 0;
        for (int rb = 0; rb < rowBlocks; rb++) {
            for (int r = 0; r < 16; r++) {
                for (int cb = 0; cb < colBlocks; cb++) {
                    int n = densities[rb * colBlocks + cb];
                    if (n > 0 && n < 16) {
                        int m = IndexEncoding.mask(positions, p, n);
                        out[o++] = (byte) m;
                        out[o++] = (byte) (m >>> 8);
                        p += n;
                    }
                }
            }
        }
        return out;
    }

    /**
     * The inverse of {@link #packMasks}: the MMU's expansion of each mask into ascending positions. A mask whose bit
     * count is not its block's N is refused, naming the row and block.
     */
    public static byte[] unpackMasks(MemorySegment packed, byte[] densities, int rowBlocks, int colBlocks, int total) {
        byte[] out = new byte[total];
        int p = 0;
        long o = 0;
        for (int rb = 0; rb < rowBlocks; rb++) {
            for (int r = 0; r < 16; r++) {
                for (int cb = 0; cb < colBlocks; cb++) {
                    int n = densities[rb * colBlocks + cb];
                    if (n > 0 && n < 16) {
                        int m = packed.get(I16, o) & 0xFFFF;
                        o += 2;
                        if (Integer.bitCount(m) != n) {
                            throw new IllegalArgumentException("row " + (rb * 16 + r) + " block " + cb + ": mask 0x"
                                    + Integer.toHexString(m) + " has " + Integer.bitCount(m) + " bits set; expected "
                                    + n + " (the block's N)");
                        }
                        p += IndexEncoding.expand(m, out, p);
                    }
                }
            }
        }
        return out;
    }

    public static byte[] packShorts(short[] a) {
        byte[] out = new byte[Math.multiplyExact(a.length, 2)];
        MemorySegment.copy(a, 0, MemorySegment.ofArray(out), I16, 0, a.length);
        return out;
    }

    public static short[] unpackShorts(MemorySegment packed, int count) {
        short[] out = new short[count];
        MemorySegment.copy(packed, I16, 0, out, 0, count);
        return out;
    }

    public static byte[] packFloats(float[] a) {
        byte[] out = new byte[Math.multiplyExact(a.length, 4)];
        MemorySegment.copy(a, 0, MemorySegment.ofArray(out), F32, 0, a.length);
        return out;
    }

    public static float[] unpackFloats(MemorySegment packed, int count) {
        float[] out = new float[count];
        MemorySegment.copy(packed, F32, 0, out, 0, count);
        return out;
    }
}
