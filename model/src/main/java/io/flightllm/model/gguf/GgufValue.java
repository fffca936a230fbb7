package io.flightllm.model.gguf;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** One GGUF metadata value. Integers of every width are {@link Int}; arrays are {@link GgufArray}. */
public sealed interface GgufValue permits GgufValue.Int, GgufValue.F32, GgufValue.F64, GgufValue.Bool,
        GgufValue.Str, GgufArray {

    GgufType type();

    /**
     * An integer of any GGUF integer type. {@code value} is the mathematical value for every type except UINT64
     * above 2^63 - 1, which is stored as its two's-complement bits (use {@link Long#compareUnsigned}).
     */
    record Int(GgufType type, long value) implements GgufValue {
        public Int {
            if (!type.isInteger()) {
                throw new IllegalArgumentException(type + " is not an integer type");
            }
        }

        /** True when the value is an exact non-negative or negative long (always, except a UINT64 >= 2^63). */
        public boolean fitsLong() {
            return type != GgufType.UINT64 || value >= 0;
        }

        @Override
        public String toString() {
            return type == GgufType.UINT64 ? Long.toUnsignedString(value) : Long.toString(value);
        }
    }

    record F32(float value) implements GgufValue {
        @Override
        public GgufType type() {
            return GgufType.FLOAT32;
        }

        @Override
        public String toString() {
            return Float.toString(value);
        }
    }

    record F64(double value) implements GgufValue {
        @Override
        public GgufType type() {
            return GgufType.FLOAT64;
        }

        @Override
        public String toString() {
            return Double.toString(value);
        }
    }

    record Bool(boolean value) implements GgufValue {
        @Override
        public GgufType type() {
            return GgufType.BOOL;
        }

        @Override
        public String toString() {
            return Boolean.toString(value);
        }
    }

    /** A string as its raw bytes (GGUF strings are UTF-8, but vocabularies may hold any bytes). */
    record Str(byte[] bytes) implements GgufValue {
        public Str {
            bytes = bytes.clone();
        }

        public static Str of(String text) {
            return new Str(text.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        public int length() {
            return bytes.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Str s && java.util.Arrays.equals(bytes, s.bytes);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(bytes);
        }

        public String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        @Override
        public GgufType type() {
            return GgufType.STRING;
        }

        @Override
        public String toString() {
            return '"' + text() + '"';
        }
    }

    static Int u32(long v) {
        if (v < 0 || v > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(v + " does not fit UINT32");
        }
        return new Int(GgufType.UINT32, v);
    }

    static Int i32(int v) {
        return new Int(GgufType.INT32, v);
    }

    static F32 f32(float v) {
        return new F32(v);
    }

    static Bool bool(boolean v) {
        return new Bool(v);
    }

    static Str str(String s) {
        return Str.of(s);
    }

    static GgufArray array(GgufType elementType, List<? extends GgufValue> items) {
        return GgufArray.of(elementType, items);
    }
}
