package io.flightllm.arch.isa;

/**
 * The parameter block the host writes before each launch (DESIGN.md "Programs"). An LD or ST with a parameter
 * addresses {@code addr + value(param) * pstride}; MISC masks read {@code pos} and {@code ctx_len}.
 */
public enum Param {
    NONE, POS, CTX_LEN, N_VALID_ROWS
}
