package io.flightllm.arch.isa;

/**
 * A store: n chunks of len bytes from a buffer (read contiguously) to HBM or DDR, optionally narrowed to FP16. Field meanings and bit positions: docs/isa.md (generated from {@link IsaTable}).
 */
public record St(
        QueueSet waits,
        QueueSet releases,
        Buffer src,
        int buf,
        Mem mem,
        int channel,
        long addr,
        Param param,
        int pstride,
        int len,
        int n,
        long stride,
        boolean fp16) implements Instruction {

    @Override
    public Queue queue() {
        return Queue.ST;
    }

    /** A builder starting from the all-zero encoding (counts 1, flags off, no tokens). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this instruction. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds a {@link St}; see {@link InstructionBuilder}. */
    public static final class Builder extends TransferBuilder<St, Builder> {
        Builder() {
            super(Queue.ST);
        }

        Builder(St from) {
            super(from);
        }

        public Builder src(Buffer v) {
            return set("src", v);
        }

        public Builder n(int v) {
            return set("n", v);
        }

        public Builder stride(long v) {
            return set("stride", v);
        }
    }
}
