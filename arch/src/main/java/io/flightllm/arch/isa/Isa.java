package io.flightllm.arch.isa;

import java.util.ArrayList;
import java.util.List;

/**
 * ISA v1: the formats of {@link IsaTable} and the generic encoder and decoder over them. An instruction is
 * {@code format.words()} 32-bit words (word 0 first); a stream is instructions back to back.
 */
public final class Isa {
    /** Bytes of one partial-sum record in GLOBAL: 16 FP32 partials, the INT32 open group sum, 12 zero bytes. */
    public static final int PSUM_BYTES = 80;
    /** {@link #PSUM_BYTES} in GLOBAL lines. */
    public static final int PSUM_LINES = PSUM_BYTES / 16;
    /**
     * Capacity of every token counter (DESIGN.md "The timing model": a release blocks while its counter holds this
     * many tokens). Part of the ISA's token semantics, shared by the checker, the simulator and the timing model.
     */
    public static final int TOKEN_DEPTH = 8;
    /** sum16's lanes (docs/numerics.md): the output stage keeps this many FP32 partials per row. */
    public static final int LANES = 16;

    private static final Format[] BY_OPCODE = new Format[16];

    static {
        for (Format f : IsaTable.ALL) {
            if (BY_OPCODE[f.opcode()] != null) {
                throw new IllegalStateException("opcode " + f.opcode() + " used twice");
            }
            BY_OPCODE[f.opcode()] = f;
        }
    }

    private Isa() {
    }

    /** All formats, in queue order. */
    public static List<Format> formats() {
        return IsaTable.ALL;
    }

    public static Format format(Queue q) {
        return IsaTable.ALL.get(q.ordinal());
    }

    /** The format of an opcode, or null. */
    public static Format formatOfOpcode(int opcode) {
        return opcode >= 0 && opcode < 16 ? BY_OPCODE[opcode] : null;
    }

    static void checkValues(Format f, Object[] values) {
        List<Field> fs = f.valuedFields();
        for (int i = 0; i < values.length; i++) {
            rawOf(f, fs.get(i), values[i]);
        }
    }

    /** The raw bits of a valued field's value; throws {@link InstructionException} naming the field. */
    private static long rawOf(Format f, Field field, Object value) {
        if (value == null) {
            throw new InstructionException(f.mnemonic() + " field " + field.name() + " is not set");
        }
        try {
            return field.domain().raw(value);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new InstructionException(f.mnemonic() + " field " + field.name() + " = " + value + ": "
                    + e.getMessage());
        }
    }

    /** The words of one instruction. */
    public static int[] encode(Instruction inst) {
        int[] w = new int[format(inst.queue()).words()];
        encodeInto(inst, w, 0);
        return w;
    }

    /** The words of a stream, back to back. */
    public static int[] encode(List<? extends Instruction> stream) {
        int n = 0;
        for (Instruction i : stream) {
            n += format(i.queue()).words();
        }
        int[] w = new int[n];
        int at = 0;
        for (Instruction i : stream) {
            at += encodeInto(i, w, at);
        }
        return w;
    }

    /** Writes one instruction at {@code words[at]}; returns its word count. */
    public static int encodeInto(Instruction inst, int[] words, int at) {
        Format f = format(inst.queue());
        Object[] values = f.values(inst);
        int[] w = new int[f.words()];
        List<Field> fs = f.fields();
        for (int j = 0; j < fs.size(); j++) {
            Field field = fs.get(j);
            int i = f.valueIndexOfField(j);
            field.deposit(w, 0, i < 0 ? field.domain().raw(null) : rawOf(f, field, values[i]));
        }
        System.arraycopy(w, 0, words, at, w.length);
        return f.words();
    }

    /** A decoded instruction and the word it started at. */
    public record Decoded(Instruction instruction, int word) {
    }

    /**
     * Decodes a whole stream. Throws {@link InstructionException} naming the instruction index, its first word,
     * the field, its bits and the allowed values at the first word that is not a valid instruction.
     */
    public static List<Instruction> decode(int[] words) {
        List<Instruction> out = new ArrayList<>();
        for (Decoded d : decodeWithOffsets(words)) {
            out.add(d.instruction());
        }
        return out;
    }

    /** As {@link #decode(int[])}, with each instruction's first word. */
    public static List<Decoded> decodeWithOffsets(int[] words) {
        List<Decoded> out = new ArrayList<>();
        int at = 0;
        while (at < words.length) {
            Instruction inst = decodeOne(words, at, out.size());
            out.add(new Decoded(inst, at));
            at += format(inst.queue()).words();
        }
        return out;
    }

    /** Decodes the instruction starting at {@code words[at]}; {@code index} is only for messages. */
    public static Instruction decodeOne(int[] words, int at, int index) {
        int opcode = words[at] >>> 28;
        Format f = formatOfOpcode(opcode);
        String where = "instruction " + index + " (word " + at + ")";
        if (f == null) {
            throw new InstructionException(where + ": field opcode w0[31:28] = "
                    + new Domain.Const(4, opcode).allowed() + " is not an instruction class (allowed: "
                    + opcodeList() + ")");
        }
        where = "instruction " + index + " (" + f.mnemonic() + " at word " + at + ")";
        if (at + f.words() > words.length) {
            throw new InstructionException(where + ": " + f.mnemonic() + " has " + f.words()
                    + " words, the stream ends after " + (words.length - at));
        }
        Object[] values = new Object[f.valuedFields().size()];
        List<Field> fs = f.fields();
        for (int j = 0; j < fs.size(); j++) {
            Field field = fs.get(j);
            long raw = field.extract(words, at);
            if (!field.domain().accepts(raw)) {
                throw new InstructionException(where + ": field " + field.name() + " " + field.bitsText() + " = "
                        + raw + " is not allowed (allowed: " + field.domain().allowed() + ")");
            }
            int i = f.valueIndexOfField(j);
            if (i >= 0) {
                values[i] = field.domain().value(raw);
            }
        }
        return f.create(values);
    }

    static String opcodeList() {
        List<String> s = new ArrayList<>();
        for (Format f : IsaTable.ALL) {
            s.add(new Domain.Const(4, f.opcode()).allowed() + "=" + f.mnemonic());
        }
        return String.join(", ", s);
    }
}
