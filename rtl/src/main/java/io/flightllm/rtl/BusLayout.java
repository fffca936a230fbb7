package io.flightllm.rtl;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named fields packed into one wide bus, LSB first: how the co-simulation wrapper flattens a unit's ports into the
 * single input and output vectors the testbench reads and writes as hex lines. Both the wrapper's Verilog and the
 * Java encoder/decoder come from the same layout.
 */
final class BusLayout {
    /** Verilator keeps buses wider than 64 bits as word arrays; every bus is padded to at least this width. */
    static final int MIN_WIDTH = 65;

    record Field(String name, int offset, int width) {
    }

    private final Map<String, Field> fields = new LinkedHashMap<>();
    private int width;

    BusLayout add(String name, int bits) {
        fields.put(name, new Field(name, width, bits));
        width += bits;
        return this;
    }

    /** Pads to {@link #MIN_WIDTH}; call after the last field. */
    BusLayout seal() {
        if (width < MIN_WIDTH) {
            add("pad", MIN_WIDTH - width);
        }
        return this;
    }

    int width() {
        return width;
    }

    List<Field> fields() {
        return new ArrayList<>(fields.values());
    }

    Field field(String name) {
        Field f = fields.get(name);
        if (f == null) {
            throw new IllegalArgumentException("no bus field '" + name + "'; fields are " + fields.keySet());
        }
        return f;
    }

    /** Verilog slice of the bus signal for a field. */
    String slice(String bus, String name) {
        Field f = field(name);
        return f.width() == 1 ? bus + "[" + f.offset() + "]"
                : bus + "[" + (f.offset() + f.width() - 1) + ":" + f.offset() + "]";
    }

    /** A bus value being assembled. */
    final class Value {
        private BigInteger bits = BigInteger.ZERO;

        /** Sets a field to the low bits of {@code v} (two's complement for negatives). */
        Value set(String name, long v) {
            Field f = field(name);
            BigInteger x = BigInteger.valueOf(v).and(BigInteger.ONE.shiftLeft(f.width()).subtract(BigInteger.ONE));
            bits = bits.or(x.shiftLeft(f.offset()));
            return this;
        }

        /** Sets element {@code i} of an array field of {@code elementBits}-wide elements. */
        Value set(String name, int i, int elementBits, long v) {
            Field f = field(name);
            if ((i + 1) * elementBits > f.width()) {
                throw new IndexOutOfBoundsException(name + "[" + i + "] of " + f.width() / elementBits);
            }
            BigInteger x = BigInteger.valueOf(v).and(BigInteger.ONE.shiftLeft(elementBits).subtract(BigInteger.ONE));
            bits = bits.or(x.shiftLeft(f.offset() + i * elementBits));
            return this;
        }

        BigInteger bits() {
            return bits;
        }
    }

    Value value() {
        return new Value();
    }

    /** Element {@code i} of an array field, sign-extended when {@code signed}. */
    static long get(BigInteger bus, Field f, int i, int elementBits, boolean signed) {
        long raw = bus.shiftRight(f.offset() + i * elementBits).longValue() & ((1L << elementBits) - 1);
        return signed ? raw << (64 - elementBits) >> (64 - elementBits) : raw;
    }

    /** Fixed-width hex, most significant digit first (what the testbench reads and writes). */
    String hex(BigInteger v) {
        String h = v.toString(16);
        int digits = (width + 3) / 4;
        return "0".repeat(Math.max(0, digits - h.length())) + h;
    }
}
