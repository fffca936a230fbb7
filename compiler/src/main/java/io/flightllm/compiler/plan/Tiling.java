package io.flightllm.compiler.plan;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.numerics.Sparsity;
import io.flightllm.compiler.CompileException;

/**
 * Weight tiles shared by the prefill (MM) and decode (MV) programs, so one weight image serves both: a tile is
 * {@link #rows} output rows (the larger of the MM and MV row parallelism) by {@link #cols} input columns, and the B
 * buffer holds {@link #slots} of them, loading while the MPE computes another. Tiles are at most
 * {@link #MAX_COLS} columns; a B buffer larger than two such tiles holds more slots (up to {@link #MAX_SLOTS}), so
 * the loads of several tiles can be in flight at once.
 */
public record Tiling(int rows, int cols, int slots) {
    public static final int MAX_COLS = 512;
    public static final int MAX_SLOTS = 8;

    public static Tiling of(HardwareConfig hw) {
        int rows = Math.max(hw.mpe().mmRows(), hw.mpe().mvRows());
        rows = (rows + Sparsity.BLOCK - 1) / Sparsity.BLOCK * Sparsity.BLOCK;
        long b = hw.buffers().bBytes();
        int slots = (int) Math.max(2, Math.min(MAX_SLOTS, b / ((long) rows * MAX_COLS)));
        long cols = Math.min(MAX_COLS, b / slots / rows / Sparsity.BLOCK * Sparsity.BLOCK);
        if (cols < Sparsity.BLOCK) {
            throw new CompileException("buffers.bBytes = " + b + " of " + hw.name()
                    + " cannot double-buffer one weight tile of " + rows + " rows x 16 columns; expected at least "
                    + 2L * rows * Sparsity.BLOCK);
        }
        return new Tiling(rows, (int) cols, slots);
    }

    public int rowBlocks() {
        return rows / Sparsity.BLOCK;
    }

    public int colBlocks() {
        return cols / Sparsity.BLOCK;
    }
}
