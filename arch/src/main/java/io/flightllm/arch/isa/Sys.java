package io.flightllm.arch.isa;

/**
 * A system instruction: the barrier across cores. Field meanings and bit positions: docs/isa.md (generated from {@link IsaTable}).
 */
public record Sys(
        QueueSet waits,
        QueueSet releases,
        SysOp op) implements Instruction {

    @Override
    public Queue queue() {
        return Queue.SYS;
    }

    /** A builder starting from the all-zero encoding (counts 1, flags off, no tokens). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this instruction. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds a {@link Sys}; see {@link InstructionBuilder}. */
    public static final class Builder extends InstructionBuilder<Sys, Builder> {
        Builder() {
            super(Queue.SYS);
        }

        Builder(Sys from) {
            super(from);
        }

        public Builder op(SysOp v) {
            return set("op", v);
        }
    }
}
