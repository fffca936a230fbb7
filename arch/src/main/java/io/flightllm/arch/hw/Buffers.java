package io.flightllm.arch.hw;

/**
 * On-chip buffers of one core, in bytes (names as in the public artifact, plus the scale buffer our numerics need).
 *
 * @param aBytes      A buffer: activations and, in decode, the KV tiles (BRAM/URAM)
 * @param bBytes      B buffer: weight tiles after dequantization
 * @param globalBytes global (output) buffer: FP32 results and the vectors shared between operators
 * @param metaBytes   sparse-index ("meta") buffer
 * @param fsbBytes    per-block N ("FSB") buffer
 * @param biasBytes   FP32 bias buffer
 * @param scaleBytes  FP16 weight scales and FP32 activation scales (extension)
 * @param banks       banks per buffer, for parallel access by the MPE lanes
 */
public record Buffers(long aBytes, long bBytes, long globalBytes, long metaBytes, long fsbBytes, long biasBytes,
                      long scaleBytes, int banks) {

    void check(Checks c, Mpe mpe) {
        c.atLeast("buffers.banks", banks, 1);
        // Each buffer must hold at least one tile of the MPE in both modes, so a program can always be tiled.
        long mvTile = (long) mpe.mvK() * mpe.mvRows();
        long mmWeightTile = (long) mpe.mmK() * mpe.mmRows();
        long mmActTile = (long) mpe.mmK() * mpe.mmTokens();
        c.atLeast("buffers.bBytes", bBytes, Math.max(mvTile, mmWeightTile), "one INT8 weight tile of the MPE");
        c.atLeast("buffers.aBytes", aBytes, Math.max(mpe.mvK(), mmActTile), "one INT8 activation tile");
        c.atLeast("buffers.globalBytes", globalBytes, 4L * Math.max(mpe.mvRows(), (long) mpe.mmRows() * mpe.mmTokens()),
                "one FP32 output tile");
        c.atLeast("buffers.metaBytes", metaBytes, Math.max(mvTile, mmWeightTile) / 2, "the 4-bit indices of one tile");
        c.atLeast("buffers.fsbBytes", fsbBytes, Math.max(mpe.mvRows(), mpe.mmRows()) / 16, "one N per block of a tile");
        c.atLeast("buffers.biasBytes", biasBytes, 4L * Math.max(mpe.mvRows(), mpe.mmRows()), "one FP32 bias tile");
        c.atLeast("buffers.scaleBytes", scaleBytes, 2L * Math.max(mpe.mvRows(), mpe.mmRows()), "one FP16 scale tile");
    }

    /** Total on-chip buffer bytes of one core. */
    public long totalBytes() {
        return aBytes + bBytes + globalBytes + metaBytes + fsbBytes + biasBytes + scaleBytes;
    }
}
