package io.flightllm.compiler.plan;

import io.flightllm.compress.LinearKind;

/**
 * One tile of a matrix in the weight image: rows [rowBlock0, rowBlock0 + rowBlocks) x columns
 * [colBlock0, colBlock0 + colBlocks) in 16-blocks, stored on one HBM channel as three 64-byte aligned parts: the kept
 * values as one little-endian b-bit stream, the 4-bit positions of the sparse segments (two per byte, first in the low
 * nibble), and one byte of N per block. The order everywhere is row by row, and in a row block by block.
 *
 * @param layer decoder layer, or -1 for the classifier
 */
public record WeightTile(int layer, LinearKind kind, int core, int rowBlock0, int rowBlocks, int colBlock0,
                         int colBlocks, int bits, long keptValues, long positions, int channel, long valuesAddress,
                         long positionsAddress, long densitiesAddress) {

    public long valueBytes() {
        return (keptValues * bits + 7) / 8;
    }

    public long positionBytes() {
        return positions / 2;
    }

    public long densityBytes() {
        return (long) rowBlocks * colBlocks;
    }

    public boolean sparse() {
        return positions > 0 || keptValues < 256L * rowBlocks * colBlocks;
    }
}
