package io.flightllm.twin;

import io.flightllm.compress.CompressedLinear;

/**
 * How the FastTwin walks one {@link CompressedLinear}, built once at load: the block metadata in flat int arrays (so
 * the inner loop makes no method calls or divisions), a kind per (row block, scale group), and for dense groups of
 * 2..4-bit layers a nibble-packed copy of the weights, so decode streams half a byte per weight instead of the one
 * byte of the logical int8 view. Sparse groups and 8-bit layers are read in place from {@code w.values()}.
 *
 * @param kind           per (row block, group): {@link #SPARSE}, {@link #DENSE8} or {@link #DENSE4}
 * @param nibbles        the nibble copy: per row, per DENSE4 group, blocks paired; byte j of a pair holds column j of
 *                       the first block in its low nibble and column j of the second in its high nibble (an odd last
 *                       block has a zero high nibble)
 * @param nibbleRow      per padded row, the offset of its first nibble byte
 * @param nibbleGroup    per (row block, group), the offset of the group's nibble bytes inside one row
 */
record LinearPlan(CompressedLinear w, int colBlocks, int groups, int blocksPerGroup, int[] density, int[] valueOffset,
                  int[] positionOffset, byte[] kind, byte[] nibbles, int[] nibbleRow, int[] nibbleGroup) {

    /** A group with at least one sparse block: walked block by block. */
    static final byte SPARSE = 0;
    /** Every block dense, values read in place as one contiguous int8 run. */
    static final byte DENSE8 = 1;
    /** Every block dense and the layer at most 4 bits: read from the nibble copy. */
    static final byte DENSE4 = 2;
    /**
     * Every block N = 8, an even block count, at most {@link VectorKernels#EXACT_CHUNK} columns: values and positions
     * read in place, two blocks per step ({@link VectorKernels#gather8Dot}).
     */
    static final byte GATHER = 3;

    static LinearPlan of(CompressedLinear w) {
        int rbs = w.rowBlocks();
        int cbs = w.colBlocks();
        int groups = w.groups();
        int bpg = w.groupSize() / CompressedLinear.BLOCK;
        int[] n = new int[rbs * cbs];
        int[] vo = new int[rbs * cbs];
        int[] po = new int[rbs * cbs];
        for (int rb = 0; rb < rbs; rb++) {
            for (int cb = 0; cb < cbs; cb++) {
                n[rb * cbs + cb] = w.density(rb, cb);
                vo[rb * cbs + cb] = w.blockValueOffset(rb, cb);
                po[rb * cbs + cb] = w.blockPositionOffset(rb, cb);
            }
        }
        // values are validated to [-qmax, qmax]; qmax(4) = 7 fits a signed nibble
        boolean nibble = w.bits() <= 4;
        byte[] kind = new byte[rbs * groups];
        int[] nibbleGroup = new int[rbs * groups];
        int[] rowBytes = new int[rbs];

        for (int rb = 0; rb < rbs; rb++) {
            for (int g = 0; g < groups; g++) {
                int cb0 = g * bpg;
                int cb1 = Math.min(cbs, cb0 + bpg);
                boolean dense = true;
                for (int cb = cb0; cb < cb1; cb++) {
                    dense &= n[rb * cbs + cb] == CompressedLinear.BLOCK;
                }
                int n0 = n[rb * cbs + cb0];
                boolean uniform = n0 == 8 && (cb1 - cb0) % 2 == 0
                        && (cb1 - cb0) * CompressedLinear.BLOCK <= VectorKernels.EXACT_CHUNK;
                for (int cb = cb0; cb < cb1; cb++) {
                    uniform &= n[rb * cbs + cb] == n0;
                }
                byte k = dense ? (nibble ? DENSE4 : DENSE8) : uniform ? GATHER : SPARSE;
                kind[rb * groups + g] = k;
                if (k == DENSE4) {
                    nibbleGroup[rb * groups + g] = rowBytes[rb];
                    rowBytes[rb] += (cb1 - cb0 + 1) / 2 * CompressedLinear.BLOCK;
                }
            }
        }
        int rows = w.paddedRows();
        int[] nibbleRow = new int[rows];
        long total = 0;
        for (int r = 0; r < rows; r++) {
            nibbleRow[r] = Math.toIntExact(total);
            total += rowBytes[r / CompressedLinear.BLOCK];
        }
        byte[] nibbles = new byte[Math.toIntExact(total)];
        byte[] values = w.values();
        for (int r = 0; r < rows; r++) {
            int rb = r / CompressedLinear.BLOCK;
            int rowV = (int) w.valueOffset(r);
            for (int g = 0; g < groups; g++) {
                if (kind[rb * groups + g] != DENSE4) {
                    continue;
                }
                int cb0 = g * bpg;
                int cb1 = Math.min(cbs, cb0 + bpg);
                int at = nibbleRow[r] + nibbleGroup[rb * groups + g];
                for (int cb = cb0; cb < cb1; cb += 2) {
                    int lo = rowV + vo[rb * cbs + cb];
                    boolean pair = cb + 1 < cb1;
                    for (int j = 0; j < CompressedLinear.BLOCK; j++) {
                        int hi = pair ? values[lo + CompressedLinear.BLOCK + j] : 0;
                        nibbles[at++] = (byte) ((values[lo + j] & 0xF) | (hi << 4));
                    }
                }
            }
        }
        return new LinearPlan(w, cbs, groups, bpg, n, vo, po, kind, nibbles, nibbleRow, nibbleGroup);
    }

    /** Bytes of weight values a decode pass streams (the nibble copy for DENSE4 groups, int8 otherwise). */
    long streamedValueBytes() {
        long bytes = nibbles.length;
        int rbs = w.rowBlocks();
        for (int rb = 0; rb < rbs; rb++) {
            for (int g = 0; g < groups; g++) {
                if (kind[rb * groups + g] == DENSE4) {
                    continue;
                }
                int cb0 = g * blocksPerGroup;
                int cb1 = Math.min(colBlocks, cb0 + blocksPerGroup);
                for (int cb = cb0; cb < cb1; cb++) {
                    bytes += (long) CompressedLinear.BLOCK * density[rb * colBlocks + cb];
                }
            }
        }
        return bytes;
    }
}
