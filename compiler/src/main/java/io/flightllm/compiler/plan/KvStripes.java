package io.flightllm.compiler.plan;

/**
 * How one KV head's K or V cache spreads over HBM channels: positions in sub-tiles of {@code subTile}, sub-tile s on
 * part s mod {@code parts} (each part on its own channel), so the loads of one K/V tile run on several channels at
 * once. A part holds its sub-tiles back to back per layer ({@code partPositions} positions per layer). Every program
 * stores the rows of its launch into one sub-tile (the sub-tile is a multiple of both bucket sizes, so a bucket's
 * positions never straddle two), which keeps the store's channel a constant of the program; its address is
 * {@code addr + pos x head_dim}, so each part keeps {@link #reserveBytes} in front for the offsets of later sub-tiles.
 *
 * @param subTile       positions per sub-tile
 * @param parts         channels per head (1: the whole cache on one channel)
 * @param partPositions positions one part holds per layer
 */
public record KvStripes(int subTile, int parts, int partPositions, int headDim) {

    public static KvStripes of(int kvPositions, int subTile, int maxParts, int headDim) {
        int sub = Math.max(1, Math.min(subTile, kvPositions));
        int subTiles = (kvPositions + sub - 1) / sub;
        int parts = Math.max(1, Math.min(maxParts, subTiles));
        int perPart = (subTiles + parts - 1) / parts * sub;
        return new KvStripes(sub, parts, perPart, headDim);
    }

    public int part(int subTileIndex) {
        return subTileIndex % parts;
    }

    /** Bytes before a part's data that the negative offsets of {@link #storeOffset} reach into. */
    public long reserveBytes(int kvPositions) {
        int maxSub = (kvPositions - 1) / subTile;
        return (long) (maxSub - maxSub / parts) * subTile * headDim;
    }

    /** Bytes of one part's data: layers x part positions x head dim. */
    public long partBytes(int layers) {
        return (long) layers * partPositions * headDim;
    }

    /** Byte offset in its part of position {@code pos} of {@code layer}. */
    public long offset(int layer, int pos) {
        int s = pos / subTile;
        long local = (long) (s / parts) * subTile + pos - (long) s * subTile;
        return ((long) layer * partPositions + local) * headDim;
    }

    /**
     * The constant a store of sub-tile {@code s} adds to {@code pos x head_dim} to address its row in its part (may
     * be negative down to minus {@link #reserveBytes}).
     */
    public long storeOffset(int layer, int s) {
        return (long) layer * partPositions * headDim + ((long) (s / parts) - s) * subTile * headDim;
    }
}
