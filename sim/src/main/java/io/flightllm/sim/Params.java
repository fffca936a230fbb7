package io.flightllm.sim;

import io.flightllm.arch.isa.Param;

/**
 * The parameter block of one launch (DESIGN.md "Programs"): the first row's position, the context length (positions
 * t &lt; ctx_len are valid keys) and the number of real token rows.
 */
public record Params(int pos, int ctxLen, int nValidRows) {
    public Params {
        if (pos < 0 || ctxLen < 0 || nValidRows < 0) {
            throw new IllegalArgumentException("parameters pos " + pos + ", ctx_len " + ctxLen + ", n_valid_rows "
                    + nValidRows + ": expected non-negative values");
        }
    }

    /** The value an LD or ST with {@code p} adds (times its pstride); 0 for {@link Param#NONE}. */
    public long value(Param p) {
        return switch (p) {
            case NONE -> 0;
            case POS -> pos;
            case CTX_LEN -> ctxLen;
            case N_VALID_ROWS -> nValidRows;
        };
    }
}
