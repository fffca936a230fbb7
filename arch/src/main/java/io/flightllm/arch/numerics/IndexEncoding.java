package io.flightllm.arch.numerics;

import java.util.Arrays;

/**
 * How the kept positions of a sparse 16-column row segment (a block with 0 &lt; N &lt; 16) are stored in HBM. Both
 * encodings describe the same ascending positions, so the MPE's arithmetic does not depend on the choice: the memory
 * management unit expands a mask into the positions the sparse MUX uses ({@link #expand}), and the DSP chain is the
 * same. Dense (N = 16) and empty (N = 0) segments store no index in either encoding.
 *
 * <ul>
 *   <li>{@link #POSITIONS4}: N 4-bit column positions, ascending (N x 4 bits per segment).</li>
 *   <li>{@link #MASK16}: one 16-bit mask, bit k set iff column k is kept (16 bits per segment, whatever N).</li>
 * </ul>
 * At N = 8 a mask costs half the bytes of positions, at N = 4 the same, at N = 2 twice as much.
 *
 * <p>The ISA's MM/MV {@code idx_enc} field takes this enum (its ordinal is the field value) to select the encoding of
 * the META buffer.
 */
public enum IndexEncoding {
    POSITIONS4("positions4"),
    MASK16("mask16");

    /** Columns per segment (the N:16 block width). */
    public static final int SEGMENT = Sparsity.BLOCK;

    private final String id;

    IndexEncoding(String id) {
        this.id = id;
    }

    /** The name used in files and on the command line. */
    public String id() {
        return id;
    }

    public static IndexEncoding fromId(String id) {
        for (IndexEncoding e : values()) {
            if (e.id.equals(id)) {
                return e;
            }
        }
        throw new IllegalArgumentException("index encoding '" + id + "' is unknown; expected one of "
                + Arrays.stream(values()).map(IndexEncoding::id).toList());
    }

    /** Index bits of one row segment holding {@code n} kept slots (0 for n = 0 and n = 16). */
    public int segmentBits(int n) {
        if (n <= 0 || n >= SEGMENT) {
            return 0;
        }
        return this == POSITIONS4 ? 4 * n : SEGMENT;
    }

    /** The mask of {@code n} ascending positions {@code positions[off .. off + n)}. */
    public static int mask(byte[] positions, int off, int n) {
        int m = 0;
        for (int k = 0; k < n; k++) {
            m |= 1 << positions[off + k];
        }
        return m;
    }

    /**
     * The MMU's expansion: writes the positions of the set bits of {@code mask} (16 bits), ascending, to
     * {@code out[off ..]} and returns how many there are.
     */
    public static int expand(int mask, byte[] out, int off) {
        int n = 0;
        for (int k = 0; k < SEGMENT; k++) {
            if ((mask >>> k & 1) != 0) {
                out[off + n++] = (byte) k;
            }
        }
        return n;
    }
}
