package io.flightllm.compiler.plan;

/** A half-open range [start, end) of indices (heads, row blocks, tokens). */
public record Range(int start, int end) {
    public Range {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("bad range [" + start + ", " + end + ")");
        }
    }

    public int size() {
        return end - start;
    }

    public boolean isEmpty() {
        return end == start;
    }

    /**
     * Part {@code part} of {@code count} items split into {@code parts} contiguous ranges whose sizes differ by at most
     * one, the larger ones first (the same rule as the HBM channel split).
     */
    public static Range split(int count, int parts, int part) {
        int base = count / parts;
        int extra = count % parts;
        int start = part * base + Math.min(part, extra);
        return new Range(start, start + base + (part < extra ? 1 : 0));
    }
}
