package io.flightllm.compress;

import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.compress.flm.FlmLayout;
import java.util.Arrays;

/**
 * Which {@link IndexEncoding} a compressed linear is stored with: one fixed encoding, or {@link #AUTO}, the one with
 * fewer index bytes for that linear's densities (ties keep 4-bit positions). Only bytes change, never the arithmetic.
 */
public enum IndexChoice {
    AUTO("auto"),
    POSITIONS4("positions4"),
    MASK16("mask16");

    private final String id;

    IndexChoice(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static IndexChoice fromId(String id) {
        for (IndexChoice c : values()) {
            if (c.id.equals(id)) {
                return c;
            }
        }
        throw new IllegalArgumentException("index encoding '" + id + "' is unknown; expected one of "
                + Arrays.stream(values()).map(IndexChoice::id).toList());
    }

    /** The encoding for a linear with these densities. */
    public IndexEncoding pick(byte[] densities, int rowBlocks, int colBlocks) {
        return switch (this) {
            case POSITIONS4 -> IndexEncoding.POSITIONS4;
            case MASK16 -> IndexEncoding.MASK16;
            case AUTO -> FlmLayout.indexBytes(IndexEncoding.MASK16, densities, rowBlocks, colBlocks)
                    < FlmLayout.indexBytes(IndexEncoding.POSITIONS4, densities, rowBlocks, colBlocks)
                    ? IndexEncoding.MASK16 : IndexEncoding.POSITIONS4;
        };
    }

    /** {@code l} stored with the chosen encoding. */
    public CompressedLinear apply(CompressedLinear l) {
        return l.withIndexEncoding(pick(l.blockDensities(), l.rowBlocks(), l.colBlocks()));
    }
}
