package io.flightllm.arch.isa;

import io.flightllm.arch.numerics.IndexEncoding;

/**
 * A matrix-matrix tile (prefill): m token rows of A times rows weight rows of B over k blocks, with the output stage of docs/isa.md (scales, sum16 partials across tiles, bias, relu). Field meanings and bit positions: docs/isa.md (generated from {@link IsaTable}).
 */
public record Mm(
        QueueSet waits,
        QueueSet releases,
        int m,
        int k,
        int k0,
        int rows,
        int a,
        int aStride,
        int b,
        int out,
        int outStride,
        boolean first,
        boolean last,
        int psum,
        boolean ws,
        int wscale,
        int wstride,
        int group,
        int ascale,
        int astride,
        boolean bias,
        int biasAddr,
        boolean relu,
        BLayout bLayout,
        boolean sparse,
        IndexEncoding idxEnc,
        int bLines,
        int idx,
        int idxLines,
        int fsb) implements Instruction {

    @Override
    public Queue queue() {
        return Queue.MM;
    }

    /** A builder starting from the all-zero encoding (counts 1, flags off, no tokens). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this instruction. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds a {@link Mm}; see {@link InstructionBuilder}. */
    public static final class Builder extends MatrixBuilder<Mm, Builder> {
        Builder() {
            super(Queue.MM);
        }

        Builder(Mm from) {
            super(from);
        }

        public Builder m(int v) {
            return set("m", v);
        }

        public Builder aStride(int v) {
            return set("aStride", v);
        }

        public Builder outStride(int v) {
            return set("outStride", v);
        }

        public Builder astride(int v) {
            return set("astride", v);
        }
    }
}
