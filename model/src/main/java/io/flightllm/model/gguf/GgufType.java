package io.flightllm.model.gguf;

/** The GGUF metadata value types, with their on-disk ids. */
public enum GgufType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
    STRING(8, 8), ARRAY(9, 12), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    private final int id;
    private final int minBytes;

    GgufType(int id, int minBytes) {
        this.id = id;
        this.minBytes = minBytes;
    }

    public int id() {
        return id;
    }

    /**
     * The fewest bytes one value of this type occupies (a string: its 8-byte length; an array: type + length). Array
     * lengths are bounded by {@code remaining bytes / minBytes} before anything is allocated.
     */
    public int minBytes() {
        return minBytes;
    }

    /** Bytes of one value for fixed-size types, or -1 (string, array). */
    public int fixedBytes() {
        return this == STRING || this == ARRAY ? -1 : minBytes;
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** The type with on-disk id {@code id}, or null. */
    public static GgufType byId(int id) {
        for (GgufType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }
}
