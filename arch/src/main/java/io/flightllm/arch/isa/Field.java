package io.flightllm.arch.isa;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One field of an instruction format: its name (as the assembler writes it), the record component holding its
 * value (null for the opcode and reserved bits), where its bits live and what values it allows. A field may be split
 * over several slices; the first slice holds the least significant bits.
 */
public record Field(String name, String component, List<Slice> slices, Domain domain, String doc) {
    public Field {
        slices = List.copyOf(slices);
        int width = slices.stream().mapToInt(Slice::width).sum();
        if (width != domain.bits()) {
            throw new IllegalArgumentException("field " + name + ": slices hold " + width + " bits, its domain "
                    + domain.bits());
        }
        if ((component == null) != (domain.javaType() == null)) {
            throw new IllegalArgumentException("field " + name + ": component " + component + " for domain "
                    + domain);
        }
    }

    /** A field in one slice whose component is the camelCase form of its snake_case name. */
    public static Field of(String name, int word, int hi, int lo, Domain domain, String doc) {
        String component = domain.javaType() == null ? null : camel(name);
        return new Field(name, component, List.of(new Slice(word, hi, lo)), domain, doc);
    }

    static String camel(String snake) {
        StringBuilder b = new StringBuilder();
        boolean up = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                b.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return b.toString();
    }

    /** Reads the raw value from the instruction starting at {@code words[base]}. */
    public long extract(int[] words, int base) {
        long v = 0;
        int shift = 0;
        for (Slice s : slices) {
            long part = (words[base + s.word()] & 0xffffffffL) >>> s.lo() & ((1L << s.width()) - 1);
            v |= part << shift;
            shift += s.width();
        }
        return v;
    }

    /** Writes the raw value (already checked to fit) into the instruction starting at {@code words[base]}. */
    public void deposit(int[] words, int base, long raw) {
        if (slices.size() == 1) {
            Slice s = slices.getFirst();
            words[base + s.word()] |= (int) (raw << s.lo());
            return;
        }
        int shift = 0;
        for (Slice s : slices) {
            long part = raw >>> shift & ((1L << s.width()) - 1);
            words[base + s.word()] |= (int) (part << s.lo());
            shift += s.width();
        }
    }

    /** Where the bits are, e.g. {@code w2[31:14]}. */
    public String bitsText() {
        return slices.stream().map(Slice::toString).collect(Collectors.joining(" + "));
    }
}
