package io.flightllm.compress.flm;

import io.flightllm.arch.container.ContainerLayout;
import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.compress.CompressedLinear;

/**
 * The fixed parts of the {@code .flm} format (docs/flm.md is the normative description): header constants, alignment,
 * and the byte size of each packed payload of a {@link CompressedLinear}.
 */
public final class FlmLayout {
    /** "FLM1" in file order. */
    public static final byte[] MAGIC = {'F', 'L', 'M', '1'};
    /**
     * The version this build writes: 2 added the per-linear {@code index_encoding}, 3 the optional block-sparse prefill
     * {@code attention_mask}, 4 OPT (LayerNorm biases, the final norm's bias, the learned position table, and the
     * config fields {@code embed_dim}, {@code norm_before}, {@code final_norm}).
     */
    public static final int VERSION = 4;
    /** Versions this build reads (1: every index payload is 4-bit positions). */
    public static final java.util.List<Integer> READABLE_VERSIONS = java.util.List.of(1, 2, 3, 4);
    public static final int HEADER_BYTES = ContainerLayout.HEADER_BYTES;
    public static final int ALIGN = ContainerLayout.ALIGN;
    /** Largest manifest accepted (a LLaMA2-70B manifest is well under 1 MiB). */
    public static final long MAX_MANIFEST_BYTES = 64L << 20;
    /** The shared container framing (docs/containers.md) with this format's magic and version. */
    public static final ContainerLayout CONTAINER = new ContainerLayout(MAGIC, VERSION, MAX_MANIFEST_BYTES,
            READABLE_VERSIONS);

    private FlmLayout() {
    }

    public static long align(long offset) {
        return ContainerLayout.align(offset);
    }

    /** Bytes of one padded row holding {@code count} b-bit values (rows start on a byte boundary). */
    public static long rowValueBytes(int count, int bits) {
        return ((long) count * bits + 7) / 8;
    }

    /** Kept values per row of each row block, from the densities ([rowBlocks][colBlocks] row-major). */
    public static int[] valuesPerRow(byte[] densities, int rowBlocks, int colBlocks) {
        int[] out = new int[rowBlocks];
        for (int i = 0; i < rowBlocks; i++) {
            for (int j = 0; j < colBlocks; j++) {
                out[i] += densities[i * colBlocks + j];
            }
        }
        return out;
    }

    /** Positions per row of each row block (blocks with 0 &lt; N &lt; 16 store N positions per row). */
    public static int[] positionsPerRow(byte[] densities, int rowBlocks, int colBlocks) {
        int[] out = new int[rowBlocks];
        for (int i = 0; i < rowBlocks; i++) {
            for (int j = 0; j < colBlocks; j++) {
                int n = densities[i * colBlocks + j];
                out[i] += n < 16 ? n : 0;
            }
        }
        return out;
    }

    public static long valuesBytes(int[] valuesPerRow, int bits) {
        long s = 0;
        for (int v : valuesPerRow) {
            s += 16 * rowValueBytes(v, bits);
        }
        return s;
    }

    /** Two positions per byte; every row holds an even number (N is even), so rows are byte aligned. */
    public static long positionsBytes(int[] positionsPerRow) {
        long s = 0;
        for (int p : positionsPerRow) {
            s += 16L * p / 2;
        }
        return s;
    }

    /**
     * Bytes of the index payload in {@code encoding}: {@link IndexEncoding#segmentBits} per row segment of every block
     * (N is even, so every row is byte aligned in both encodings).
     */
    public static long indexBytes(IndexEncoding encoding, byte[] densities, int rowBlocks, int colBlocks) {
        long bits = 0;
        for (byte n : densities) {
            bits += 16L * encoding.segmentBits(n);
        }
        return bits / 8;
    }

    /** Bytes of {@code l}'s index payload in its own encoding. */
    public static long indexBytes(CompressedLinear l) {
        return indexBytes(l.indexEncoding(), l.blockDensities(), l.rowBlocks(), l.colBlocks());
    }

    public static long valuesBytes(CompressedLinear l) {
        byte[] d = l.blockDensities();
        return valuesBytes(valuesPerRow(d, l.rowBlocks(), l.colBlocks()), l.bits());
    }

    public static long densitiesBytes(CompressedLinear l) {
        return (long) l.rowBlocks() * l.colBlocks();
    }

    public static long scalesBytes(CompressedLinear l) {
        return 2L * l.paddedRows() * l.groups();
    }
}
