package io.flightllm.arch.isa;

/**
 * Which columns t of row r a MISC softmax or mask treats as valid. Column t is the token position (column 0 is
 * position 0); {@code pos} and {@code ctx_len} come from the parameter block.
 */
public enum MaskMode {
    /** Every column is valid. */
    OFF("every column valid"),
    /** t &lt; ctx_len (decode). */
    CTX("t < ctx_len"),
    /** t &lt; min(ctx_len, pos + r + 1) (prefill: causal, and no padded key). */
    CAUSAL("t < min(ctx_len, pos + r + 1)");

    private final String rule;

    MaskMode(String rule) {
        this.rule = rule;
    }

    /** The validity rule, for the documentation. */
    public String rule() {
        return rule;
    }
}
