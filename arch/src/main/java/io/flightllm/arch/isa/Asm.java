package io.flightllm.arch.isa;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The text form of instructions, derived from the field table. One instruction per line: the mnemonic, then
 * {@code name=value} for the fields that differ from zero, in record order (e.g.
 * {@code MV wait=LD release=MISC k=256 rows=64 a=0x100 first=1 last=1}); omitted fields are zero (counts 1).
 * {@code #} starts a comment; {@code .core N} starts core N's stream (cores in order from 0; text before any
 * {@code .core} belongs to core 0). Numbers are decimal or 0x hex; enums their lower-case names; token sets
 * {@code LD,MM} or {@code -}; floats Java's shortest decimal or 0x and the raw bits.
 */
public final class Asm {
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private Asm() {
    }

    /** One instruction as a line of text (no newline). */
    public static String format(Instruction inst) {
        Format f = Isa.format(inst.queue());
        Object[] values = f.values(inst);
        StringBuilder b = new StringBuilder(f.mnemonic());
        List<Field> fs = f.valuedFields();
        for (int i = 0; i < values.length; i++) {
            Field field = fs.get(i);
            if (field.domain().raw(values[i]) != 0) {
                b.append(' ').append(field.name()).append('=').append(field.domain().format(values[i]));
            }
        }
        return b.toString();
    }

    /** Every core's stream, each after its {@code .core N} line. */
    public static String format(CoreStreams streams) {
        return format(streams, false);
    }

    /** As {@link #format(CoreStreams)}; with {@code offsets}, each line ends with a comment giving its first word. */
    public static String format(CoreStreams streams, boolean offsets) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < streams.coreCount(); c++) {
            b.append(".core ").append(c).append('\n');
            int word = 0;
            for (Instruction inst : streams.core(c)) {
                b.append(format(inst));
                if (offsets) {
                    b.append("  # @").append(word);
                }
                b.append('\n');
                word += Isa.format(inst.queue()).words();
            }
        }
        return b.toString();
    }

    /** Parses a whole text; errors name {@code source}, the line and the field. */
    public static CoreStreams parse(String text, String source) {
        List<List<Instruction>> cores = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int ln = 0; ln < lines.length; ln++) {
            String where = source + ":" + (ln + 1);
            String line = stripComment(lines[ln]).strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith(".")) {
                String[] t = SPACES.split(line);
                if (!t[0].equals(".core") || t.length != 2) {
                    throw new InstructionException(where + ": unknown directive '" + line
                            + "' (expected .core N)");
                }
                int n;
                try {
                    n = Integer.parseInt(t[1]);
                } catch (NumberFormatException e) {
                    n = -1;
                }
                if (n != cores.size()) {
                    throw new InstructionException(where + ": .core " + t[1] + ": expected .core " + cores.size()
                            + " (cores are numbered in order from 0)");
                }
                cores.add(new ArrayList<>());
                continue;
            }
            if (cores.isEmpty()) {
                cores.add(new ArrayList<>());
            }
            cores.getLast().add(parseLine(line, where));
        }
        return new CoreStreams(cores);
    }

    private static String stripComment(String line) {
        int h = line.indexOf('#');
        return h < 0 ? line : line.substring(0, h);
    }

    /** Parses one instruction (no comment); errors start with {@code where}. */
    public static Instruction parseLine(String line, String where) {
        String[] t = SPACES.split(line.strip());
        Format f = null;
        for (Format c : Isa.formats()) {
            if (c.mnemonic().equalsIgnoreCase(t[0])) {
                f = c;
            }
        }
        if (f == null) {
            throw new InstructionException(where + ": unknown instruction '" + t[0] + "' (expected one of "
                    + String.join(", ", Isa.formats().stream().map(Format::mnemonic).toList()) + ")");
        }
        Object[] values = new Object[f.valuedFields().size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = f.valuedFields().get(i).domain().value(0);
        }
        Set<String> seen = new HashSet<>();
        for (int i = 1; i < t.length; i++) {
            int eq = t[i].indexOf('=');
            if (eq <= 0) {
                throw new InstructionException(where + ": " + f.mnemonic() + ": '" + t[i]
                        + "' is not name=value");
            }
            String name = t[i].substring(0, eq);
            String text = t[i].substring(eq + 1);
            Field field = f.field(name);
            if (field == null || field.component() == null) {
                throw new InstructionException(where + ": " + f.mnemonic() + " has no field '" + name
                        + "' (fields: " + String.join(", ", f.valuedFields().stream().map(Field::name).toList())
                        + ")");
            }
            if (!seen.add(name)) {
                throw new InstructionException(where + ": " + f.mnemonic() + ": field " + name + " given twice");
            }
            try {
                values[f.componentIndex(field.component())] = field.domain().parse(text);
            } catch (IllegalArgumentException e) {
                throw new InstructionException(where + ": " + f.mnemonic() + ": field " + name + " = " + text
                        + ": " + e.getMessage());
            }
        }
        return f.create(values);
    }
}
