package io.flightllm.compress.flm;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.arch.mpe.Dequantizer;
import io.flightllm.arch.numerics.WeightQuantizer;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FlmPackingTest {
    /** 16 rows (one row block); row 0 holds {@code row0}, the others zeros. */
    private static byte[] pack(int bits, byte... row0) {
        byte[] v = new byte[16 * row0.length];
        System.arraycopy(row0, 0, v, 0, row0.length);
        return FlmPacking.packValues(v, new int[] {row0.length}, bits);
    }

    private static byte[] firstRow(byte[] packed, int bytes) {
        return Arrays.copyOf(packed, bytes);
    }

    @Test
    void valuesFollowTheDocumentedBitLayout() {
        // 3-bit 1, -1, 3, -3 = 001, 111, 011, 101; stream bits LSB first:
        // byte 0 = 1 0 0 | 1 1 1 | 1 1 -> 0b11111001; byte 1 = 0 | 1 0 1 | 0000 -> 0b00001010
        byte[] p3 = pack(3, (byte) 1, (byte) -1, (byte) 3, (byte) -3);
        assertThat(p3).hasSize(16 * 2);
        assertThat(firstRow(p3, 2)).containsExactly(0xF9, 0x0A);
        assertThat(Arrays.copyOfRange(p3, 2, 32)).containsOnly(0);
        // 2-bit (ternary) 1, -1, 0, 1 = 01 11 00 01 -> 0b01001101
        assertThat(firstRow(pack(2, (byte) 1, (byte) -1, (byte) 0, (byte) 1), 1)).containsExactly(0x4D);
        // 4-bit 7, -7 = 0111, 1001 -> low nibble first
        assertThat(firstRow(pack(4, (byte) 7, (byte) -7), 1)).containsExactly(0x97);
        // 8-bit: plain bytes
        assertThat(firstRow(pack(8, (byte) -1, (byte) 5), 2)).containsExactly(0xFF, 0x05);
        // 3-bit rows of 2 values (6 bits) still start on a byte boundary: 16 rows x 1 byte
        assertThat(pack(3, (byte) 3, (byte) 3)).hasSize(16).startsWith(0x1B);
        // positions: first of a pair in the low nibble
        assertThat(FlmPacking.packNibbles(new byte[] {3, 12, 0, 15})).containsExactly(0xC3, 0xF0);
    }

    @Test
    void theRtlDequantizerReadsFlmRows() {
        // The MMU's dequantizer model (arch.mpe, checked against the generated RTL) takes a .flm row as it is stored.
        SplittableRandom r = new SplittableRandom(5);
        for (int bits : WeightQuantizer.BITS) {
            int qmax = WeightQuantizer.qmax(bits);
            byte[] v = new byte[16 * 16];
            for (int i = 0; i < v.length; i++) {
                v[i] = (byte) (r.nextInt(2 * qmax + 1) - qmax);
            }
            byte[] packed = FlmPacking.packValues(v, new int[] {16}, bits);
            int rowBytes = (int) FlmLayout.rowValueBytes(16, bits);
            for (int row = 0; row < 16; row++) {
                byte[] line = Arrays.copyOf(Arrays.copyOfRange(packed, row * rowBytes, (row + 1) * rowBytes), 16);
                assertThat(Dequantizer.unpack(line, bits, 16)).as("b=%d row %d", bits, row)
                        .containsExactly(Arrays.copyOfRange(v, row * 16, row * 16 + 16));
            }
        }
    }

    @Test
    void randomValuesAndPositionsRoundTripExactly() {
        SplittableRandom r = new SplittableRandom(11);
        for (int bits : WeightQuantizer.BITS) {
            int qmax = WeightQuantizer.qmax(bits);
            for (int trial = 0; trial < 20; trial++) {
                int[] perRow = new int[1 + r.nextInt(4)];
                int total = 0;
                for (int i = 0; i < perRow.length; i++) {
                    perRow[i] = 2 * r.nextInt(40); // kept values per row are sums of even N
                    total += 16 * perRow[i];
                }
                byte[] v = new byte[total];
                for (int i = 0; i < total; i++) {
                    v[i] = (byte) (r.nextInt(2 * qmax + 1) - qmax);
                }
                byte[] packed = FlmPacking.packValues(v, perRow, bits);
                assertThat((long) packed.length).isEqualTo(FlmLayout.valuesBytes(perRow, bits));
                assertThat(FlmPacking.unpackValues(MemorySegment.ofArray(packed), perRow, bits, total))
                        .isEqualTo(v);
                byte[] pos = new byte[2 * r.nextInt(100)];
                for (int i = 0; i < pos.length; i++) {
                    pos[i] = (byte) r.nextInt(16);
                }
                byte[] nib = FlmPacking.packNibbles(pos);
                assertThat(nib).hasSize(pos.length / 2);
                assertThat(FlmPacking.unpackNibbles(MemorySegment.ofArray(nib), pos.length)).isEqualTo(pos);
            }
        }
    }

    @Test
    void scalesAndFloatsAreLittleEndian() {
        assertThat(FlmPacking.packShorts(new short[] {(short) 0x3C00, (short) 0xABCD}))
                .containsExactly(0x00, 0x3C, 0xCD, 0xAB);
        assertThat(FlmPacking.packFloats(new float[] {1.0f})).containsExactly(0x00, 0x00, 0x80, 0x3F);
        short[] s = {1, -2, 0x7BFF};
        assertThat(FlmPacking.unpackShorts(MemorySegment.ofArray(FlmPacking.packShorts(s)), 3)).isEqualTo(s);
    }
}
