package io.flightllm.arch.isa;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * The allowed values of a field and the conversions between its raw bits, its Java value (the record component) and
 * its assembler text. Every raw value a domain accepts maps to exactly one Java value and back, which is what makes
 * decode(encode(i)) == i hold field by field.
 */
public sealed interface Domain {
    /** Width of the raw value in bits. */
    int bits();

    /** Whether the raw bits are an allowed value. */
    boolean accepts(long raw);

    /** The allowed values, for error messages and the documentation. */
    String allowed();

    /** Type of the record component holding the value; null for fields that are no component (opcode, reserved). */
    Class<?> javaType();

    /** The Java value of accepted raw bits. */
    Object value(long raw);

    /** The raw bits of a Java value; throws IllegalArgumentException naming the allowed values. */
    long raw(Object value);

    /** Assembler text of a value. */
    String format(Object value);

    /** Parses assembler text; throws IllegalArgumentException naming the allowed values. */
    Object parse(String text);

    /** A uniformly random accepted raw value. */
    long randomRaw(RandomGenerator r);

    private static IllegalArgumentException bad(Object value, Domain d) {
        return new IllegalArgumentException(value + " is not allowed (allowed: " + d.allowed() + ")");
    }

    private static long mask(int bits) {
        return bits == 64 ? -1L : (1L << bits) - 1;
    }

    /**
     * An unsigned number: value = (raw + offset) x scale. Offset 1 makes a count field start at 1 (so the all-zero
     * word is a valid default); scale 16 counts rows in 16-row blocks.
     */
    record UInt(int bits, long offset, long scale, boolean hex) implements Domain {
        public UInt {
            if (bits < 1 || bits > 32 || offset < 0 || scale < 1) {
                throw new IllegalArgumentException("bad UInt domain");
            }
        }

        public long min() {
            return offset * scale;
        }

        public long max() {
            return (mask(bits) + offset) * scale;
        }

        @Override
        public boolean accepts(long raw) {
            return (raw & ~mask(bits)) == 0;
        }

        @Override
        public String allowed() {
            return min() + ".." + max() + (scale > 1 ? ", multiples of " + scale : "");
        }

        @Override
        public Class<?> javaType() {
            return max() > Integer.MAX_VALUE ? long.class : int.class;
        }

        @Override
        public Object value(long raw) {
            long v = (raw + offset) * scale;
            return javaType() == int.class ? (Object) (int) v : (Object) v;
        }

        @Override
        public long raw(Object value) {
            long v = ((Number) value).longValue();
            if (v < min() || v > max() || v % scale != 0) {
                throw bad(value, this);
            }
            return v / scale - offset;
        }

        @Override
        public String format(Object value) {
            long v = ((Number) value).longValue();
            return hex ? "0x" + Long.toHexString(v) : Long.toString(v);
        }

        @Override
        public Object parse(String text) {
            long v;
            try {
                v = text.startsWith("0x") || text.startsWith("0X") ? Long.parseLong(text.substring(2), 16)
                        : Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is not a number (allowed: " + allowed() + ")");
            }
            raw(v);
            return value(v / scale - offset);
        }

        @Override
        public long randomRaw(RandomGenerator r) {
            return r.nextLong(mask(bits) + 1);
        }
    }

    /** One constant of an enum, coded by its ordinal; text is the lower-case constant name. */
    record Choice(Class<? extends Enum<?>> type, int bits) implements Domain {
        public Choice {
            if (type.getEnumConstants().length > 1L << bits) {
                throw new IllegalArgumentException(type.getSimpleName() + " does not fit in " + bits + " bits");
            }
        }

        private Enum<?>[] constants() {
            return type.getEnumConstants();
        }

        @Override
        public boolean accepts(long raw) {
            return raw >= 0 && raw < constants().length;
        }

        @Override
        public String allowed() {
            List<String> names = new ArrayList<>();
            for (Enum<?> e : constants()) {
                names.add(e.ordinal() + "=" + e.name().toLowerCase(Locale.ROOT));
            }
            return String.join(", ", names);
        }

        @Override
        public Class<?> javaType() {
            return type;
        }

        @Override
        public Object value(long raw) {
            return constants()[(int) raw];
        }

        @Override
        public long raw(Object value) {
            if (!type.isInstance(value)) {
                throw bad(value, this);
            }
            return ((Enum<?>) value).ordinal();
        }

        @Override
        public String format(Object value) {
            return ((Enum<?>) value).name().toLowerCase(Locale.ROOT);
        }

        @Override
        public Object parse(String text) {
            for (Enum<?> e : constants()) {
                if (e.name().equalsIgnoreCase(text)) {
                    return e;
                }
            }
            throw bad("'" + text + "'", this);
        }

        @Override
        public long randomRaw(RandomGenerator r) {
            return r.nextInt(constants().length);
        }
    }

    /** One of a list of numbers, coded by its index in the list. */
    record Values(int bits, List<Integer> values) implements Domain {
        public Values {
            values = List.copyOf(values);
            if (values.size() > 1L << bits) {
                throw new IllegalArgumentException(values + " does not fit in " + bits + " bits");
            }
        }

        @Override
        public boolean accepts(long raw) {
            return raw >= 0 && raw < values.size();
        }

        @Override
        public String allowed() {
            List<String> s = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                s.add(i + "=" + values.get(i));
            }
            return String.join(", ", s);
        }

        @Override
        public Class<?> javaType() {
            return int.class;
        }

        @Override
        public Object value(long raw) {
            return values.get((int) raw);
        }

        @Override
        public long raw(Object value) {
            int i = value instanceof Integer v ? values.indexOf(v) : -1;
            if (i < 0) {
                throw bad(value, this);
            }
            return i;
        }

        @Override
        public String format(Object value) {
            return value.toString();
        }

        @Override
        public Object parse(String text) {
            try {
                Integer v = Integer.valueOf(text);
                raw(v);
                return v;
            } catch (NumberFormatException e) {
                throw bad("'" + text + "'", this);
            }
        }

        @Override
        public long randomRaw(RandomGenerator r) {
            return r.nextInt(values.size());
        }
    }

    /** A one-bit boolean; text 0 or 1. */
    record Flag() implements Domain {
        @Override
        public int bits() {
            return 1;
        }

        @Override
        public boolean accepts(long raw) {
            return raw == 0 || raw == 1;
        }

        @Override
        public String allowed() {
            return "0, 1";
        }

        @Override
        public Class<?> javaType() {
            return boolean.class;
        }

        @Override
        public Object value(long raw) {
            return raw != 0;
        }

        @Override
        public long raw(Object value) {
            if (!(value instanceof Boolean b)) {
                throw bad(value, this);
            }
            return b ? 1 : 0;
        }

        @Override
        public String format(Object value) {
            return (Boolean) value ? "1" : "0";
        }

        @Override
        public Object parse(String text) {
            return switch (text) {
                case "1" -> true;
                case "0" -> false;
                default -> throw bad("'" + text + "'", this);
            };
        }

        @Override
        public long randomRaw(RandomGenerator r) {
            return r.nextInt(2);
        }
    }

    /** A wait or release mask of an instruction of queue {@code self}: 5 bits, MSB first, self omitted. */
    record Tokens(Queue self) implements Domain {
        @Override
        public int bits() {
            return Queue.values().length - 1;
        }

        @Override
        public boolean accepts(long raw) {
            return (raw & ~mask(bits())) == 0;
        }

        @Override
        public String allowed() {
            List<String> s = new ArrayList<>();
            for (Queue q : self.others()) {
                s.add(q.name());
            }
            return "any subset of " + String.join(", ", s) + " (MSB first); text: names joined by commas, or -";
        }

        @Override
        public Class<?> javaType() {
            return QueueSet.class;
        }

        @Override
        public Object value(long raw) {
            return QueueSet.fromMask(self, (int) raw);
        }

        @Override
        public long raw(Object value) {
            if (!(value instanceof QueueSet s)) {
                throw bad(value, this);
            }
            return s.mask(self);
        }

        @Override
        public String format(Object value) {
            return value.toString();
        }

        @Override
        public Object parse(String text) {
            QueueSet s = QueueSet.parse(text);
            raw(s);
            return s;
        }

        @Override
        public long randomRaw(RandomGenerator r) {
            return r.nextInt(1 << bits());
        }
    }

    /** An FP32 constant; text is Java's shortest decimal (exact round trip) or 0x and the raw bits (NaNs). */
    record Fp32() implements Domain {
        @Override
        public int bits() {
            return 32;
        }

        @Override
        public boolean accepts(long raw) {
            return (raw & ~mask(32)) == 0;
        }

        @Override
        public String allowed() {
            return "any FP32 bit pattern";
        }

        @Override
        public Class<?> javaType() {
            return float.class;
        }

        @Override
        public Object value(long raw) {
            return Float.intBitsToFloat((int) raw);
        }

        @Override
        public long raw(Object value) {
            if (!(value instanceof Float f)) {
                throw bad(value, this);
            }
            return Float.floatToRawIntBits(f) & mask(32);
        }

        @Override
        public String format(Object value) {
            float f = (Float) value;
            return Float.isNaN(f) ? "0x" + Integer.toHexString(Float.floatToRawIntBits(f)) : Float.toString(f);
        }

        @Override
        public Object parse(String text) {
            try {
                if (text.startsWith("0x") || text.startsWith("0X")) {
                    return Float.intBitsToFloat(Integer.parseUnsignedInt(text.substring(2), 16));
                }
                return Float.parseFloat(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is not a float (allowed: " + allowed()
                        + ", as a decimal or 0x and 8 hex digits)");
            }
        }

        @Override
        public long randomRaw(RandomGenerator r) {
            return r.nextLong(1L << 32);
        }
    }

    /** Reserved bits: must be zero. */
    record Zero(int bits) implements Domain {
        @Override
        public boolean accepts(long raw) {
            return raw == 0;
        }

        @Override
        public String allowed() {
            return "0";
        }

        @Override
        public Class<?> javaType() {
            return null;
        }

        @Override
        public Object value(long raw) {
            return null;
        }

        @Override
        public long raw(Object value) {
            return 0;
        }

        @Override
        public String format(Object value) {
            return "0";
        }

        @Override
        public Object parse(String text) {
            throw new IllegalArgumentException("reserved bits cannot be set");
        }

        @Override
        public long randomRaw(RandomGenerator r) {
            return 0;
        }
    }

    /** A fixed value (the opcode). */
    record Const(int bits, long constant) implements Domain {
        @Override
        public boolean accepts(long raw) {
            return raw == constant;
        }

        @Override
        public String allowed() {
            String b = Long.toBinaryString(constant);
            return "0".repeat(Math.max(0, bits - b.length())) + b;
        }

        @Override
        public Class<?> javaType() {
            return null;
        }

        @Override
        public Object value(long raw) {
            return null;
        }

        @Override
        public long raw(Object value) {
            return constant;
        }

        @Override
        public String format(Object value) {
            return allowed();
        }

        @Override
        public Object parse(String text) {
            throw new IllegalArgumentException("the opcode is fixed");
        }

        @Override
        public long randomRaw(RandomGenerator r) {
            return constant;
        }
    }
}
