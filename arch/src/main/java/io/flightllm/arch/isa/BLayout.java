package io.flightllm.arch.isa;

/** Layout of a dense B operand in the B buffer. */
public enum BLayout {
    /** [rows][K*16]: each output row's weights contiguous (linear layers, K cache tiles). */
    ROW,
    /** [K*16][rows]: transposed (V cache tiles, whose rows are tokens). Dense only. */
    COL
}
