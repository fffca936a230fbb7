package io.flightllm.arch.isa;

import java.util.Set;

/**
 * MISC (special function unit) operations. Each works on {@code rows} rows of {@code n} FP32 elements; the exact
 * arithmetic is docs/numerics.md's ({@link io.flightllm.arch.numerics.Sfu}). {@link #uses()} names the optional MISC
 * fields the operation reads: every other optional field must be zero, so each operation has one canonical encoding.
 */
public enum MiscOp {
    ADD("dst = a + b", "b", "b_stride"),
    MUL("dst = a x b", "b", "b_stride"),
    SILU("dst = silu(a) x b", "b", "b_stride"),
    SOFTMAX("dst = softmax(a) over the valid columns of `mask`; invalid columns and rows without a valid column"
            + " give +0.0", "mask", "mask_block", "mask_sinks", "mask_band"),
    RMSNORM("dst = rmsnorm(a, w = b, n, eps = imm)", "b", "b_stride", "imm"),
    LAYERNORM("dst = layernorm(a, w = b, bias = c, n, eps = imm)", "b", "b_stride", "c", "imm"),
    QUANT("INT8 rows of a into buffer A at dst (ceil16(n) bytes per row, zero beyond n), one FP32 scale per"
            + " segment of `seg` blocks into SCALE at sdst + r x segments + s; fp16: the scale is rounded to FP16"
            + " first (KV cache)", "seg", "fp16", "sdst"),
    ROPE("dst = RoPE of each head (seg blocks) of a, with row r's table at b + r x b_stride: cos[0..h/2) then"
            + " sin[0..h/2), h = 16 x seg", "b", "b_stride", "seg"),
    SCALE("dst = a x imm", "imm"),
    MASK("dst = a on the valid columns of `mask`, -infinity elsewhere", "mask", "mask_block", "mask_sinks",
            "mask_band");

    /** The MISC fields used only by some operations; each operation {@link #uses()} a subset. */
    public static final Set<String> OPTIONAL = Set.of("b", "b_stride", "c", "imm", "mask", "seg", "fp16", "sdst",
            "mask_block", "mask_sinks", "mask_band");

    private final String semantics;
    private final Set<String> uses;

    MiscOp(String semantics, String... uses) {
        this.semantics = semantics;
        this.uses = Set.of(uses);
    }

    static {
        for (MiscOp op : values()) {
            if (!OPTIONAL.containsAll(op.uses)) {
                throw new IllegalStateException(op + " uses a field outside " + OPTIONAL);
            }
        }
    }

    public String semantics() {
        return semantics;
    }

    /** The optional fields this operation reads. */
    public Set<String> uses() {
        return uses;
    }
}
