package io.flightllm.arch.isa;

/**
 * The on-chip buffers of a core as the ISA names them (BRIEF.md section 3 plus the scale buffer). On-chip addresses
 * count units of {@link #unitBytes()}: 16-byte lines everywhere except the scale buffer, which counts 4-byte entries.
 * The sizes belong to the hardware configuration; the static checker receives them in
 * {@link io.flightllm.arch.isa.check.Limits}.
 */
public enum Buffer {
    A(16, "activations and KV tiles (INT8): the A operand of MM/MV, the output of MISC quant"),
    B(16, "weights (INT8 after the dequantizer; kept values only when sparse): the B operand of MM/MV"),
    GLOBAL(16, "FP32 rows: MM/MV outputs and partial sums, MISC operands and results"),
    META(16, "sparse indices: 4-bit positions or 16-bit masks per kept row segment"),
    FSB(16, "per-block N: one byte per 16x16 weight block"),
    BIAS(16, "FP32 bias, one value per output row"),
    SCALE(4, "FP32 scales: weight scales (FP16 widened on load), activation and KV scales");

    private final int unitBytes;
    private final String content;

    Buffer(int unitBytes, String content) {
        this.unitBytes = unitBytes;
        this.content = content;
    }

    /** Bytes per address unit. */
    public int unitBytes() {
        return unitBytes;
    }

    /** What the buffer holds (for the documentation). */
    public String content() {
        return content;
    }
}
