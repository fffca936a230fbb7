package io.flightllm.arch.isa;

import io.flightllm.arch.numerics.IndexEncoding;

/**
 * A matrix-vector tile (decode): one activation row times rows weight rows of B over k blocks, with the output stage of docs/isa.md (scales, sum16 partials across tiles, bias, relu). Field meanings and bit positions: docs/isa.md (generated from {@link IsaTable}).
 */
public record Mv(
        QueueSet waits,
        QueueSet releases,
        int k,
        int k0,
        int rows,
        int a,
        int b,
        int out,
        boolean first,
        boolean last,
        int psum,
        boolean ws,
        int wscale,
        int wstride,
        int group,
        int ascale,
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
        return Queue.MV;
    }

    /** A builder starting from the all-zero encoding (counts 1, flags off, no tokens). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this instruction. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds a {@link Mv}; see {@link InstructionBuilder}. */
    public static final class Builder extends MatrixBuilder<Mv, Builder> {
        Builder() {
            super(Queue.MV);
        }

        Builder(Mv from) {
            super(from);
        }
    }
}
