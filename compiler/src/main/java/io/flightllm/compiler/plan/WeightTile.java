package io.flightllm.compiler.plan;

import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.compress.LinearKind;

/**
 * One tile of a matrix in the weight image: rows [rowBlock0, rowBlock0 + rowBlocks) x columns
 * [colBlock0, colBlock0 + colBlocks) in 16-blocks, stored on one HBM channel as three 64-byte aligned parts: the kept
 * values as one little-endian b-bit stream, the indices of the sparse segments (4-bit positions, two per byte, first in
 * the low nibble; or one little-endian 16-bit mask per segment), and one byte of N per block. The order everywhere is row by row, and in a row block by block.
 *
 * @param layer decoder layer, or -1 for the classifier
 */
public record WeightTile(int layer, LinearKind kind, int core, int rowBlock0, int rowBlocks, int colBlock0,
                         int colBlocks, int bits, long keptValues, long positions, long sparseSegments,
                         IndexEncoding indexEncoding, int channel, long valuesAddress, long positionsAddress,
                         long densitiesAddress) {

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
