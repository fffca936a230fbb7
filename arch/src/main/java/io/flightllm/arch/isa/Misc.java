package io.flightllm.arch.isa;

/**
 * A special-function operation over rows of FP32 elements (MiscOp lists them and the fields each reads). Field meanings and bit positions: docs/isa.md (generated from {@link IsaTable}).
 */
public record Misc(
        QueueSet waits,
        QueueSet releases,
        MiscOp op,
        int rows,
        int n,
        int a,
        int aStride,
        int b,
        int bStride,
        int c,
        int dst,
        int dStride,
        int sdst,
        int seg,
        MaskMode mask,
        boolean fp16,
        float imm,
        int maskBlock,
        int maskSinks,
        int maskBand) implements Instruction {

    @Override
    public Queue queue() {
        return Queue.MISC;
    }

    /** A builder starting from the all-zero encoding (counts 1, flags off, no tokens). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this instruction. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds a {@link Misc}; see {@link InstructionBuilder}. */
    public static final class Builder extends InstructionBuilder<Misc, Builder> {
        Builder() {
            super(Queue.MISC);
        }

        Builder(Misc from) {
            super(from);
        }

        public Builder op(MiscOp v) {
            return set("op", v);
        }

        public Builder rows(int v) {
            return set("rows", v);
        }

        public Builder n(int v) {
            return set("n", v);
        }

        public Builder a(int v) {
            return set("a", v);
        }

        public Builder aStride(int v) {
            return set("aStride", v);
        }

        public Builder b(int v) {
            return set("b", v);
        }

        public Builder bStride(int v) {
            return set("bStride", v);
        }

        public Builder c(int v) {
            return set("c", v);
        }

        public Builder dst(int v) {
            return set("dst", v);
        }

        public Builder dStride(int v) {
            return set("dStride", v);
        }

        public Builder sdst(int v) {
            return set("sdst", v);
        }

        public Builder seg(int v) {
            return set("seg", v);
        }

        public Builder mask(MaskMode v) {
            return set("mask", v);
        }

        public Builder fp16(boolean v) {
            return set("fp16", v);
        }

        public Builder imm(float v) {
            return set("imm", v);
        }

        /** The block-sparse geometry of a mask=block softmax or mask: block size, sink blocks, band blocks. */
        public Builder maskGeometry(int block, int sinks, int band) {
            return set("maskBlock", block).set("maskSinks", sinks).set("maskBand", band);
        }
    }
}
