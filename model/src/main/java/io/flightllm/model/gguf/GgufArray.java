package io.flightllm.model.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A GGUF array. Arrays read from a file stay views of the mapping (fixed-size elements) or keep one offset per string,
 * so a hostile array costs at most about as much heap as it occupies in the file; elements are decoded on access.
 */
public final class GgufArray implements GgufValue {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final GgufType elementType;
    private final int size;
    private final List<GgufValue> items;   // in-memory and nested arrays
    private final MemorySegment fixed;     // fixed-size elements, packed
    private final MemorySegment file;      // string arrays: the mapped file ...
    private final long[] stringOffsets;    // ... and where each string's length field is

    private GgufArray(GgufType elementType, int size, List<GgufValue> items, MemorySegment fixed, MemorySegment file,
                      long[] stringOffsets) {
        this.elementType = elementType;
        this.size = size;
        this.items = items;
        this.fixed = fixed;
        this.file = file;
        this.stringOffsets = stringOffsets;
    }

    /** An in-memory array; every item must have {@code elementType}. */
    public static GgufArray of(GgufType elementType, List<? extends GgufValue> items) {
        List<GgufValue> copy = new ArrayList<>(items.size());
        for (GgufValue v : items) {
            if (v.type() != elementType) {
                throw new IllegalArgumentException("array of " + elementType + " holds a " + v.type());
            }
            copy.add(v);
        }
        return new GgufArray(elementType, copy.size(), List.copyOf(copy), null, null, null);
    }

    static GgufArray ofFixed(GgufType elementType, MemorySegment packed) {
        long n = packed.byteSize() / elementType.fixedBytes();
        return new GgufArray(elementType, Math.toIntExact(n), null, packed, null, null);
    }

    static GgufArray ofStrings(MemorySegment file, long[] offsets) {
        return new GgufArray(GgufType.STRING, offsets.length, null, null, file, offsets);
    }

    static GgufArray ofNested(List<GgufValue> arrays) {
        return new GgufArray(GgufType.ARRAY, arrays.size(), List.copyOf(arrays), null, null, null);
    }

    @Override
    public GgufType type() {
        return GgufType.ARRAY;
    }

    public GgufType elementType() {
        return elementType;
    }

    public int size() {
        return size;
    }

    public GgufValue get(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i + " of " + size);
        }
        if (items != null) {
            return items.get(i);
        }
        if (stringOffsets != null) {
            return new Str(stringBytes(i));
        }
        long at = (long) i * elementType.fixedBytes();
        return switch (elementType) {
            case UINT8 -> new Int(elementType, fixed.get(ValueLayout.JAVA_BYTE, at) & 0xFFL);
            case INT8 -> new Int(elementType, fixed.get(ValueLayout.JAVA_BYTE, at));
            case UINT16 -> new Int(elementType, fixed.get(I16, at) & 0xFFFFL);
            case INT16 -> new Int(elementType, fixed.get(I16, at));
            case UINT32 -> new Int(elementType, fixed.get(I32, at) & 0xFFFF_FFFFL);
            case INT32 -> new Int(elementType, fixed.get(I32, at));
            case UINT64, INT64 -> new Int(elementType, fixed.get(I64, at));
            case FLOAT32 -> new F32(Float.intBitsToFloat(fixed.get(I32, at)));
            case FLOAT64 -> new F64(Double.longBitsToDouble(fixed.get(I64, at)));
            case BOOL -> new Bool(fixed.get(ValueLayout.JAVA_BYTE, at) != 0);
            case STRING, ARRAY -> throw new IllegalStateException();
        };
    }

    /** The bytes of string element {@code i} (STRING arrays only). */
    public byte[] stringBytes(int i) {
        if (stringOffsets == null) {
            return ((Str) get(i)).bytes();
        }
        long at = stringOffsets[i];
        int len = (int) file.get(I64, at); // bounds were checked when the array was read
        return file.asSlice(at + 8, len).toArray(ValueLayout.JAVA_BYTE);
    }

    @Override
    public String toString() {
        return "[" + size + " x " + elementType + "]";
    }
}
