package io.flightllm.compiler.plan;

import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.compress.LinearKind;

import java.util.List;

/**
 * One tile of a matrix in the weight image: rows [rowBlock0, rowBlock0 + rowBlocks) x columns
 * [colBlock0, colBlock0 + colBlocks) in 16-blocks. Its rows are split into {@link Stripe}s on different HBM channels of
 * the core, so the loads of one tile run on several channels at once; each stripe holds two 64-byte aligned parts:
 * the kept values as one little-endian b-bit stream and the indices of the sparse segments (4-bit positions, two per
 * byte, first in the low nibble; or one little-endian 16-bit mask per segment). One byte of N per block, for the whole
 * tile, lives on {@link #channel}. The order everywhere is row by row, and in a row block by block, so the stripes'
 * streams concatenated are the tile's.
 *
 * @param layer          decoder layer, or -1 for the classifier
 * @param sparseSegments 16-column row segments with 0 &lt; N &lt; 16 (one mask each under MASK16)
 * @param channel        channel of the density bytes
 * @param stripes        the tile's rows in order, each on its own channel
 */
public record WeightTile(int layer, LinearKind kind, int core, int rowBlock0, int rowBlocks, int colBlock0,
                         int colBlocks, int bits, long keptValues, long positions, long sparseSegments,
                         IndexEncoding indexEncoding, int channel, long densitiesAddress, List<Stripe> stripes) {

    public WeightTile {
        stripes = List.copyOf(stripes);
    }

    /**
     * Rows [rowBlock0, rowBlock0 + rowBlocks) of a tile on one channel. Every row of a 16-row block keeps the same
     * count (N is per block, and even), so a stripe's values and indices are whole bytes and whole 16-byte lines
     * once dequantized: the stripes load back to back into the tile's B and META areas.
     */
    public record Stripe(int rowBlock0, int rowBlocks, int channel, long keptValues, long positions,
                         long sparseSegments, long valuesAddress, long positionsAddress) {
        public long valueBytes(int bits) {
            return (keptValues * bits + 7) / 8;
        }

        /** Bytes of the stripe's indices in {@code e}. */
        public long indexBytes(IndexEncoding e) {
            return e == IndexEncoding.MASK16 ? 2 * sparseSegments : positions / 2;
        }
    }

    public long valueBytes() {
        return (keptValues * bits + 7) / 8;
    }

    /** Bytes of the tile's indices: two 4-bit positions per byte, or one 16-bit mask per sparse segment. */
    public long positionBytes() {
        return indexEncoding == IndexEncoding.MASK16 ? 2 * sparseSegments : positions / 2;
    }

    public long densityBytes() {
        return (long) rowBlocks * colBlocks;
    }

    public boolean sparse() {
        return positions > 0 || keptValues < 256L * rowBlocks * colBlocks;
    }
}
