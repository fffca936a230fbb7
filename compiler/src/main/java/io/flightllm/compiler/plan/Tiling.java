package io.flightllm.compiler.plan;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.numerics.Sparsity;
import io.flightllm.compiler.CompileException;

/**
 * Weight tiles shared by the prefill (MM) and decode (MV) programs, so one weight image serves both: a tile is
 * {@link #rows} output rows (the larger of the MM and MV row parallelism) by {@link #cols} input columns, sized so two
 * tiles fit the B buffer at once (one loads while the other computes).
 */
public record Tiling(int rows, int cols) {

    public static Tiling of(HardwareConfig hw) {
        int rows = Math.max(hw.mpe().mmRows(), hw.mpe().mvRows());
        rows = (rows + Sparsity.BLOCK - 1) / Sparsity.BLOCK * Sparsity.BLOCK;
        long perTile = hw.buffers().bBytes() / 2;
        long cols = perTile / rows / Sparsity.BLOCK * Sparsity.BLOCK;
        if (cols < Sparsity.BLOCK) {
            throw new CompileException("buffers.bBytes = " + hw.buffers().bBytes() + " of " + hw.name()
                    + " cannot double-buffer one weight tile of " + rows + " rows x 16 columns; expected at least "
                    + 2L * rows * Sparsity.BLOCK);
        }
        return new Tiling(rows, (int) Math.min(cols, Integer.MAX_VALUE / 2));
    }

    public int rowBlocks() {
        return rows / Sparsity.BLOCK;
    }

    public int colBlocks() {
        return cols / Sparsity.BLOCK;
    }
}
