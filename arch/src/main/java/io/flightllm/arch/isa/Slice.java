package io.flightllm.arch.isa;

/** Bits [hi:lo] (inclusive) of word {@code word} of an instruction. */
public record Slice(int word, int hi, int lo) {
    public Slice {
        if (word < 0 || lo < 0 || hi > 31 || lo > hi) {
            throw new IllegalArgumentException("bad bit slice w" + word + "[" + hi + ":" + lo + "]");
        }
    }

    public int width() {
        return hi - lo + 1;
    }

    /** The slice's bits as a 32-bit mask of its word. */
    public int mask() {
        return (int) (((1L << width()) - 1) << lo);
    }

    @Override
    public String toString() {
        return "w" + word + (hi == lo ? "[" + hi + "]" : "[" + hi + ":" + lo + "]");
    }
}
