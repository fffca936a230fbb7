package io.flightllm.arch.isa;

import io.flightllm.arch.numerics.IndexEncoding;

/**
 * The setters MM and MV share (see {@link MatrixOp}).
 *
 * @param <T> the instruction record
 * @param <B> the concrete builder
 */
public abstract class MatrixBuilder<T extends Instruction, B extends MatrixBuilder<T, B>> extends InstructionBuilder<T, B> {
    protected MatrixBuilder(Queue queue) {
        super(queue);
    }

    protected MatrixBuilder(T from) {
        super(from);
    }

    public B k(int v) {
        return set("k", v);
    }

    public B k0(int v) {
        return set("k0", v);
    }

    public B rows(int v) {
        return set("rows", v);
    }

    public B a(int v) {
        return set("a", v);
    }

    public B b(int v) {
        return set("b", v);
    }

    public B out(int v) {
        return set("out", v);
    }

    public B first(boolean v) {
        return set("first", v);
    }

    public B last(boolean v) {
        return set("last", v);
    }

    public B psum(int v) {
        return set("psum", v);
    }

    public B ws(boolean v) {
        return set("ws", v);
    }

    public B wscale(int v) {
        return set("wscale", v);
    }

    public B wstride(int v) {
        return set("wstride", v);
    }

    public B group(int v) {
        return set("group", v);
    }

    public B ascale(int v) {
        return set("ascale", v);
    }

    public B bias(boolean v) {
        return set("bias", v);
    }

    public B biasAddr(int v) {
        return set("biasAddr", v);
    }

    public B relu(boolean v) {
        return set("relu", v);
    }

    public B bLayout(BLayout v) {
        return set("bLayout", v);
    }

    public B sparse(boolean v) {
        return set("sparse", v);
    }

    public B idxEnc(IndexEncoding v) {
        return set("idxEnc", v);
    }

    public B bLines(int v) {
        return set("bLines", v);
    }

    public B idx(int v) {
        return set("idx", v);
    }

    public B idxLines(int v) {
        return set("idxLines", v);
    }

    public B fsb(int v) {
        return set("fsb", v);
    }
}
