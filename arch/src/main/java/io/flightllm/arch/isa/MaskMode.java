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
    CAUSAL("t < min(ctx_len, pos + r + 1)"),
    /**
     * CAUSAL, and outside the row's block-sparse hole (prefill of a model with an attention mask; docs/numerics.md):
     * with q = pos + r, B = mask_block, the keys [mask_sinks x B, (q / B - mask_band + 1) x B) are masked.
     */
    BLOCK("t < min(ctx_len, pos + r + 1) and not mask_sinks x B <= t < (q / B - mask_band + 1) x B, "
            + "q = pos + r, B = mask_block");

    /** First masked key of row {@code q} (absolute position) under a BLOCK mask. */
    public static int holeStart(int q, int block, int sinks, int band) {
        return sinks * block;
    }

    /** End (exclusive) of the masked keys of row {@code q}; equal to {@link #holeStart} when none is masked. */
    public static int holeEnd(int q, int block, int sinks, int band) {
        long bandStart = ((long) q / block - band + 1) * block;
        return (int) Math.max((long) sinks * block, Math.min(bandStart, (long) q + 1));
    }

    private final String rule;

    MaskMode(String rule) {
        this.rule = rule;
    }

    /** The validity rule, for the documentation. */
    public String rule() {
        return rule;
    }
}
