package io.flightllm.twin;

import io.flightllm.compress.CompressedLinear;

/**
 * The block metadata of one {@link CompressedLinear} in flat int arrays (densities and in-row offsets of every block),
 * so the FastTwin's inner loop walks a row without method calls or divisions. The weights themselves are read in place.
 */
record LinearPlan(CompressedLinear w, int colBlocks, int groups, int blocksPerGroup, int[] density, int[] valueOffset,
                  int[] positionOffset) {

    static LinearPlan of(CompressedLinear w) {
        int rbs = w.rowBlocks();
        int cbs = w.colBlocks();
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
        return new LinearPlan(w, cbs, w.groups(), w.groupSize() / CompressedLinear.BLOCK, n, vo, po);
    }
}
