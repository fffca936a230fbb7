package io.flightllm.twin;

import io.flightllm.compress.CompressedLinear;

/**
 * How the FastTwin walks one {@link CompressedLinear}, built once at load: the block metadata in flat int arrays (so
 * the inner loop makes no method calls or divisions), a kind per (row block, scale group), and for 2..4-bit layers
 * nibble-packed copies of the weights, so decode streams half a byte per weight instead of the one byte of the logical
 * int8 view: sets of 8 or 16 groups in the group-interleaved layout ({@link Ilv}, sparse blocks expanded with zeros),
 * the remaining dense groups as nibble pairs. Other groups and 8-bit layers are read in place from {@code w.values()}.
 *
 * @param kind           per (row block, group): {@link #SPARSE}, {@link #DENSE8}, {@link #DENSE4}, {@link #GATHER}
 *                       or {@link #ILV4}
 * @param nibbles        the nibble copy: per row, per DENSE4 group, blocks paired; byte j of a pair holds column j of
 *                       the first block in its low nibble and column j of the second in its high nibble (an odd last
 *                       block has a zero high nibble)
 * @param nibbleRow      per padded row, the offset of its first nibble byte
 * @param nibbleGroup    per (row block, group), the offset of the group's nibble bytes inside one row
 */
record LinearPlan(CompressedLinear w, int colBlocks, int groups, int blocksPerGroup, int[] density, int[] valueOffset,
                  int[] positionOffset, byte[] kind, byte[] nibbles, int[] nibbleRow, int[] nibbleGroup, Ilv ilv) {

    /**
     * The group-interleaved copy of the sets of {@link VectorKernels#ILV_GROUPS} groups of a 2..4-bit layer (pruned
     * slots hold 0; {@link VectorKernels#ilvSet} describes the byte layout), or null when the layer has none.
     *
     * @param bytes    per row, per interleaved set, {@code steps} x {@code ILV_S.length()} bytes
     * @param row      per padded row, the offset of its first interleaved byte
     * @param set      per (row block, group that starts a set), the offset of the set's bytes inside one row
     * @param steps    steps per set: group size / {@link VectorKernels#ILV_STEP}
     * @param actIndex per activation slot (set, step, low/high, lane), the input column it holds, or -1 for a zero
     * @param scales   the FP16 scales widened to FP32, [paddedRows][groups] (read lanewise by the kernel)
     */
    record Ilv(byte[] bytes, int[] row, int[] set, int steps, int[] actIndex, float[] scales) {
        /** Offset in the activation array of the set that starts at group g. */
        int actOffset(int g) {
            return g / VectorKernels.ILV_GROUPS * 2 * VectorKernels.ILV_S.length() * steps;
        }

        /** The interleaved activations of one quantized input row (zero where a slot holds no column). */
        void activations(byte[] a8, short[] out) {
            for (int i = 0; i < actIndex.length; i++) {
                int c = actIndex[i];
                out[i] = c < 0 ? 0 : a8[c];
            }
        }
    }

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
    /**
     * Part of a set of {@link VectorKernels#ILV_GROUPS} consecutive groups (starting at a multiple of it) of a 2..4-bit
     * layer, any densities, read together from the interleaved copy ({@link Ilv}).
     */
    static final byte ILV4 = 4;

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
                kind[rb * groups + g] = dense ? (nibble ? DENSE4 : DENSE8) : uniform ? GATHER : SPARSE;
            }
        }
        boolean ilvSets = nibble && VectorKernels.VECTOR_ILV && markInterleaved(kind, rbs, groups);
        for (int rb = 0; rb < rbs; rb++) {
            for (int g = 0; g < groups; g++) {
                if (kind[rb * groups + g] == DENSE4) {
                    int blocks = Math.min(cbs, (g + 1) * bpg) - g * bpg;
                    nibbleGroup[rb * groups + g] = rowBytes[rb];
                    rowBytes[rb] += (blocks + 1) / 2 * CompressedLinear.BLOCK;
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
        Ilv ilv = ilvSets ? interleave(w, kind, groups, bpg, n, vo, po) : null;
        return new LinearPlan(w, cbs, groups, bpg, n, vo, po, kind, nibbles, nibbleRow, nibbleGroup, ilv);
    }

    /**
     * Turns each set of {@code ILV_GROUPS} consecutive groups of a 2..4-bit layer starting at a multiple of
     * ILV_GROUPS (the last set may be shorter, but must hold at least half as many, or most lanes would idle) into
     * ILV4, whatever their densities: sparse blocks are expanded to 16 columns with zeros where pruned, as the
     * device's memory unit expands masks for the MUX, so they cost what dense blocks cost. True if any set qualifies.
     */
    private static boolean markInterleaved(byte[] kind, int rbs, int groups) {
        int h = VectorKernels.ILV_GROUPS;
        boolean any = false;
        for (int rb = 0; rb < rbs; rb++) {
            for (int g0 = 0; g0 < groups; g0 += h) {
                int g1 = Math.min(groups, g0 + h);
                boolean ok = 2 * (g1 - g0) >= h;
                for (int g = g0; g < g1; g++) {
                    ok &= kind[rb * groups + g] != DENSE8; // 2..4-bit: every kind, sparse blocks expanded
                }
                if (ok) {
                    java.util.Arrays.fill(kind, rb * groups + g0, rb * groups + g1, ILV4);
                    any = true;
                }
            }
        }
        return any;
    }

    /** The interleaved copy of the ILV4 sets (see {@link Ilv}). */
    private static Ilv interleave(CompressedLinear w, byte[] kind, int groups, int bpg, int[] n, int[] vo,
                                  int[] po) {
        int h = VectorKernels.ILV_GROUPS;
        int lanes = VectorKernels.ILV_S.length();
        int gs = bpg * CompressedLinear.BLOCK;
        int steps = gs / VectorKernels.ILV_STEP;
        int rbs = w.rowBlocks();
        int cbs = w.colBlocks();
        int k16 = w.paddedCols();
        int[] set = new int[rbs * groups];
        int[] rowBytes = new int[rbs];
        for (int rb = 0; rb < rbs; rb++) {
            for (int g0 = 0; g0 < groups; g0 += h) {
                if (kind[rb * groups + g0] == ILV4) {
                    set[rb * groups + g0] = rowBytes[rb];
                    rowBytes[rb] += steps * lanes;
                }
            }
        }
        int rows = w.paddedRows();
        int[] row = new int[rows];
        long total = 0;
        for (int r = 0; r < rows; r++) {
            row[r] = Math.toIntExact(total);
            total += rowBytes[r / CompressedLinear.BLOCK];
        }
        byte[] bytes = new byte[Math.toIntExact(total)];
        byte[] values = w.values();
        byte[] positions = w.positions();
        byte[] dense = new byte[k16]; // one row, expanded: 0 where pruned
        for (int r = 0; r < rows; r++) {
            int rb = r / CompressedLinear.BLOCK;
            int rowV = (int) w.valueOffset(r);
            int rowP = (int) w.positionOffset(r);
            java.util.Arrays.fill(dense, (byte) 0);
            for (int cb = 0; cb < cbs; cb++) {
                int nb = n[rb * cbs + cb];
                int v = rowV + vo[rb * cbs + cb];
                if (nb == CompressedLinear.BLOCK) {
                    System.arraycopy(values, v, dense, cb * CompressedLinear.BLOCK, CompressedLinear.BLOCK);
                } else {
                    int p = rowP + po[rb * cbs + cb];
                    for (int j = 0; j < nb; j++) {
                        dense[cb * CompressedLinear.BLOCK + positions[p + j]] = values[v + j];
                    }
                }
            }
            for (int g0 = 0; g0 < groups; g0 += h) {
                if (kind[rb * groups + g0] != ILV4) {
                    continue;
                }
                int at = row[r] + set[rb * groups + g0];
                for (int t = 0; t < steps; t++) {
                    for (int lane = 0; lane < lanes; lane++) {
                        int c = column(g0, t, lane, 0, gs, groups, k16);
                        int lo = c < 0 ? 0 : dense[c];
                        int c1 = column(g0, t, lane, 1, gs, groups, k16);
                        int hi = c1 < 0 ? 0 : dense[c1];
                        bytes[at + t * lanes + lane] = (byte) ((lo & 0xF) | (hi << 4));
                    }
                }
            }
        }
        int sets = (groups + h - 1) / h;
        int[] actIndex = new int[sets * 2 * lanes * steps];
        for (int s = 0; s < sets; s++) {
            for (int t = 0; t < steps; t++) {
                for (int v = 0; v < 2; v++) {
                    for (int lane = 0; lane < lanes; lane++) {
                        actIndex[((s * steps + t) * 2 + v) * lanes + lane] = column(s * h, t, lane, v, gs, groups,
                                k16);
                    }
                }
            }
        }
        float[] scales = new float[rows * groups];
        short[] bits = w.scaleBits();
        for (int i = 0; i < scales.length; i++) {
            scales[i] = Float.float16ToFloat(bits[i]);
        }
        return new Ilv(bytes, row, set, steps, actIndex, scales);
    }

    /**
     * The input column of lane {@code lane} at step t (v = 0: low nibble, 1: high nibble) of the set starting at
     * group g0, or -1 where the lane's group is absent or shorter.
     */
    private static int column(int g0, int t, int lane, int v, int gs, int groups, int k16) {
        int h = VectorKernels.ILV_GROUPS;
        int g = g0 + lane % h;
        int k = VectorKernels.ILV_STEP * t + 2 * (lane / h) + v;
        int c = g * gs + k;
        return g < groups && k < gs && c < k16 ? c : -1;
    }

    /** True if every group of row block rb is {@link #DENSE8} (decode then takes its rows two at a time). */
    boolean allDense8(int rb) {
        for (int g = 0; g < groups; g++) {
            if (kind[rb * groups + g] != DENSE8) {
                return false;
            }
        }
        return true;
    }

    /** Bytes of weight values a decode pass streams (the nibble copy for DENSE4 groups, int8 otherwise). */
    long streamedValueBytes() {
        long bytes = nibbles.length + (ilv == null ? 0 : ilv.bytes().length);
        int rbs = w.rowBlocks();
        for (int rb = 0; rb < rbs; rb++) {
            for (int g = 0; g < groups; g++) {
                if (kind[rb * groups + g] == DENSE4 || kind[rb * groups + g] == ILV4) {
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
