package io.flightllm.arch.isa;

/**
 * A load: n2 x n1 x n0 chunks of len bytes from HBM or DDR (or zeros) into a buffer, through the dequantizer (wbits) or the FP16 widener. Field meanings and bit positions: docs/isa.md (generated from {@link IsaTable}).
 */
public record Ld(
        QueueSet waits,
        QueueSet releases,
        Buffer target,
        int buf,
        Mem mem,
        int channel,
        long addr,
        Param param,
        int pstride,
        int len,
        int n0,
        long s0,
        int n1,
        long s1,
        int n2,
        long s2,
        int wbits,
        boolean fp16,
        boolean zero) implements Instruction {

    @Override
    public Queue queue() {
        return Queue.LD;
    }

    /** A builder starting from the all-zero encoding (counts 1, flags off, no tokens). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this instruction. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds a {@link Ld}; see {@link InstructionBuilder}. */
    public static final class Builder extends TransferBuilder<Ld, Builder> {
        Builder() {
            super(Queue.LD);
        }

        Builder(Ld from) {
            super(from);
        }

        public Builder target(Buffer v) {
            return set("target", v);
        }

        public Builder n0(int v) {
            return set("n0", v);
        }

        public Builder s0(long v) {
            return set("s0", v);
        }

        public Builder n1(int v) {
            return set("n1", v);
        }

        public Builder s1(long v) {
            return set("s1", v);
        }

        public Builder n2(int v) {
            return set("n2", v);
        }

        public Builder s2(long v) {
            return set("s2", v);
        }

        public Builder wbits(int v) {
            return set("wbits", v);
        }

        public Builder zero(boolean v) {
            return set("zero", v);
        }
    }
}
