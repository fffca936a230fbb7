package io.flightllm.arch.isa;

/**
 * The setters LD and ST share: the memory side and the buffer address.
 *
 * @param <T> the instruction record
 * @param <B> the concrete builder
 */
public abstract class TransferBuilder<T extends Instruction, B extends TransferBuilder<T, B>> extends InstructionBuilder<T, B> {
    protected TransferBuilder(Queue queue) {
        super(queue);
    }

    protected TransferBuilder(T from) {
        super(from);
    }

    public B buf(int v) {
        return set("buf", v);
    }

    public B mem(Mem v) {
        return set("mem", v);
    }

    public B channel(int v) {
        return set("channel", v);
    }

    public B addr(long v) {
        return set("addr", v);
    }

    public B param(Param v) {
        return set("param", v);
    }

    public B pstride(int v) {
        return set("pstride", v);
    }

    public B len(int v) {
        return set("len", v);
    }

    public B fp16(boolean v) {
        return set("fp16", v);
    }
}
