package io.flightllm.compiler.plan;

import io.flightllm.compress.LinearKind;

import java.util.List;

/**
 * One row tile of a matrix on one core: its FP16 scales ([rows][groups], loaded once per row tile), its optional FP32
 * bias, and its weight tiles along K in ascending column order (the order the output stage's 16 partial sums need).
 */
public record RowTile(int layer, LinearKind kind, int core, int rowBlock0, int rowBlocks, int groups, int channel,
                      long scalesAddress, long biasAddress, List<WeightTile> kTiles) {
    public RowTile {
        kTiles = List.copyOf(kTiles);
    }

    public int rows() {
        return rowBlocks * 16;
    }

    public long scaleBytes() {
        return 2L * rows() * groups;
    }

    public boolean hasBias() {
        return biasAddress >= 0;
    }
}
