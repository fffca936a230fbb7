package io.flightllm.sim.timing;

/**
 * The timing-relevant facts of one instruction, independent of its tokens (so the encoded instructions that every
 * length bucket shares are decoded once).
 *
 * @param queue        queue ordinal
 * @param kind         the resource its time comes from
 * @param channel      HBM channel of a load or store (-1 otherwise)
 * @param offChipBytes bytes moved between the fabric and HBM or DDR
 * @param onChipBytes  bytes read from and written to on-chip buffers (docs/isa.md footprints)
 * @param cycles       duration in cycles of an SFU operation, a barrier's own work, or a dense matrix tile (fill
 *                     included); loads and stores take theirs from the memory model
 * @param macs         INT8 multiply-accumulates of a matrix tile: kept weights x token rows
 * @param rows         output rows of a matrix tile
 * @param k            16-column blocks of a matrix tile
 * @param m            token rows of a matrix tile (1 for MV)
 * @param sparse       whether a matrix tile is sparse (its cycles then follow the block densities)
 * @param keptPerBlock mean kept weights per 16x16 block of a sparse tile, in 16ths (its N), from its value lines
 * @param words        the instruction's words with the token masks cleared (the cache key)
 */
record Cost(int queue, Kind kind, int channel, long offChipBytes, long onChipBytes, double cycles, long macs,
            int rows, int k, int m, boolean sparse, double keptPerBlock, int[] words) {
}
