package io.flightllm.compiler.plan;

import io.flightllm.compress.LinearKind;

import java.util.List;

/**
 * One row tile of a matrix on one core: its FP16 scales ([rows][groups], split by row blocks over several channels
 * like the weight tiles' stripes, so they load in parallel), its optional FP32 bias (on {@link #channel}), and its
 * weight tiles along K in ascending column order (the order the output stage's 16 partial sums need).
 */
public record RowTile(int layer, LinearKind kind, int core, int rowBlock0, int rowBlocks, int groups, int channel,
                      long biasAddress, List<WeightTile> kTiles, List<ScalePart> scaleParts) {
    public RowTile {
        kTiles = List.copyOf(kTiles);
        scaleParts = List.copyOf(scaleParts);
    }

    /** The scales of rows [rowBlock0, rowBlock0 + rowBlocks) x every group, [rows][groups] FP16, on one channel. */
    public record ScalePart(int rowBlock0, int rowBlocks, int channel, long address) {
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
