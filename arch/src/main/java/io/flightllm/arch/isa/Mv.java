package io.flightllm.arch.isa;

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
    public static final class Builder extends InstructionBuilder<Mv, Builder> {
        Builder() {
            super(Queue.MV);
        }

        Builder(Mv from) {
            super(from);
        }

        public Builder k(int v) {
            return set("k", v);
        }

        public Builder k0(int v) {
            return set("k0", v);
        }

        public Builder rows(int v) {
            return set("rows", v);
        }

        public Builder a(int v) {
            return set("a", v);
        }

        public Builder b(int v) {
            return set("b", v);
        }

        public Builder out(int v) {
            return set("out", v);
        }

        public Builder first(boolean v) {
            return set("first", v);
        }

        public Builder last(boolean v) {
            return set("last", v);
        }

        public Builder psum(int v) {
            return set("psum", v);
        }

        public Builder ws(boolean v) {
            return set("ws", v);
        }

        public Builder wscale(int v) {
            return set("wscale", v);
        }

        public Builder wstride(int v) {
            return set("wstride", v);
        }

        public Builder group(int v) {
            return set("group", v);
        }

        public Builder ascale(int v) {
            return set("ascale", v);
        }

        public Builder bias(boolean v) {
            return set("bias", v);
        }

        public Builder biasAddr(int v) {
            return set("biasAddr", v);
        }

        public Builder relu(boolean v) {
            return set("relu", v);
        }

        public Builder bLayout(BLayout v) {
            return set("bLayout", v);
        }

        public Builder sparse(boolean v) {
            return set("sparse", v);
        }

        public Builder idxEnc(IndexEncoding v) {
            return set("idxEnc", v);
        }

        public Builder bLines(int v) {
            return set("bLines", v);
        }

        public Builder idx(int v) {
            return set("idx", v);
        }

        public Builder idxLines(int v) {
            return set("idxLines", v);
        }

        public Builder fsb(int v) {
            return set("fsb", v);
        }
    }
}
