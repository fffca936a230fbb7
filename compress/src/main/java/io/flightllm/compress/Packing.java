package io.flightllm.compress;

/** Conversions between a full [paddedRows][paddedCols] integer matrix with a keep-mask and {@link CompressedLinear}. */
public final class Packing {
    private Packing() {
    }

    /**
     * Gathers the kept entries of {@code q} (row-major over the padded shape) into a {@link CompressedLinear}. Each
     * segment of a block with density N must have exactly N kept entries (all 16 when N = 16).
     */
    public static CompressedLinear fromMasked(String name, int rows, int cols, int bits, int groupSize, byte[] blockN,
                                              byte[] q, boolean[] kept, short[] scales, float[] bias) {
        int pr = CompressedLinear.ceil16(rows);
        int pc = CompressedLinear.ceil16(cols);
        int cb = pc / 16;
        long nValues = 0;
        long nPositions = 0;
        for (int rb = 0; rb < pr / 16; rb++) {
            for (int j = 0; j < cb; j++) {
                int n = blockN[rb * cb + j];
                nValues += 16L * n;
                nPositions += n < 16 ? 16L * n : 0;
            }
        }
        byte[] values = new byte[Math.toIntExact(nValues)];
        byte[] positions = new byte[Math.toIntExact(nPositions)];
        int v = 0;
        int p = 0;
        for (int r = 0; r < pr; r++) {
            for (int j = 0; j < cb; j++) {
                int n = blockN[(r / 16) * cb + j];
                int count = 0;
                for (int k = 0; k < 16; k++) {
                    int i = r * pc + j * 16 + k;
                    if (n == 16 || kept[i]) {
                        values[v++] = q[i];
                        if (n < 16) {
                            positions[p++] = (byte) k;
                        }
                        count++;
                    }
                }
                if (count != n) {
                    throw new IllegalArgumentException(name + ": row " + r + " block " + j + " keeps " + count
                            + " entries; its density is " + n);
                }
            }
        }
        return new CompressedLinear(name, rows, cols, bits, groupSize, blockN, values, positions, scales, bias);
    }

    /** The full padded integer matrix (0 where pruned), for tests and the golden twin. */
    public static byte[] toDense(CompressedLinear l) {
        int pr = l.paddedRows();
        int pc = l.paddedCols();
        byte[] q = new byte[pr * pc];
        for (int r = 0; r < pr; r++) {
            for (int c = 0; c < pc; c++) {
                q[r * pc + c] = (byte) l.weight(r, c);
            }
        }
        return q;
    }
}
