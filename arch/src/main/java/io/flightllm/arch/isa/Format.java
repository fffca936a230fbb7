package io.flightllm.arch.isa;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The layout of one instruction class: opcode, word count and field table, bound to the record that holds decoded
 * values. The constructor is the class-initialisation check of {@link Isa}: it fails unless every bit of every word
 * is covered by exactly one field, each field's width matches its domain, names are unique, and the record's
 * components are exactly the valued fields (matched by name, in any order) with the domains' Java types.
 */
public final class Format {
    private final Queue queue;
    private final int opcode;
    private final int words;
    private final List<Field> fields;
    private final Class<? extends Instruction> type;
    private final List<Field> valued;
    private final Map<String, Field> byName;
    private final MethodHandle constructor;
    private final List<MethodHandle> accessors;
    private final Map<String, Integer> componentIndex;
    private final int[] fieldComponent;

    public Format(Queue queue, int opcode, int words, List<Field> fields, Class<? extends Instruction> type) {
        this.queue = queue;
        this.opcode = opcode;
        this.words = words;
        this.fields = List.copyOf(fields);
        this.type = type;
        List<String> problems = coverageProblems(queue + " (" + words + " words)", words, this.fields);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("ISA table of " + queue + ": " + String.join("; ", problems));
        }
        Map<String, Field> m = new LinkedHashMap<>();
        List<Field> v = new ArrayList<>();
        for (Field f : this.fields) {
            m.put(f.name(), f);
            if (f.component() != null) {
                v.add(f);
            }
        }
        this.byName = Collections.unmodifiableMap(m);
        this.valued = v;
        this.accessors = new ArrayList<>();
        this.componentIndex = new HashMap<>();
        this.constructor = type == null ? null : bind(type);
        this.fieldComponent = new int[this.fields.size()];
        for (int i = 0; i < fieldComponent.length; i++) {
            String c = this.fields.get(i).component();
            fieldComponent[i] = c == null ? -1 : componentIndex.getOrDefault(c, -1);
        }
    }

    /**
     * Every problem of a table: slices outside the words, bits covered twice or not at all, duplicate names.
     * Empty when the table is exact.
     */
    public static List<String> coverageProblems(String what, int words, List<Field> fields) {
        List<String> problems = new ArrayList<>();
        if (words < 1) {
            problems.add(what + ": no words");
            return problems;
        }
        Map<String, Field> names = new HashMap<>();
        String[][] owner = new String[words][32];
        for (Field f : fields) {
            if (names.put(f.name(), f) != null) {
                problems.add("field name " + f.name() + " used twice");
            }
            for (Slice s : f.slices()) {
                if (s.word() >= words) {
                    problems.add("field " + f.name() + " at " + s + " lies outside the " + words + " words");
                    continue;
                }
                for (int b = s.lo(); b <= s.hi(); b++) {
                    String prev = owner[s.word()][b];
                    if (prev != null) {
                        problems.add("w" + s.word() + " bit " + b + " covered by both " + prev + " and "
                                + f.name());
                    }
                    owner[s.word()][b] = f.name();
                }
            }
        }
        for (int w = 0; w < words; w++) {
            for (int b = 31; b >= 0; b--) {
                if (owner[w][b] == null) {
                    int hi = b;
                    while (b > 0 && owner[w][b - 1] == null) {
                        b--;
                    }
                    problems.add("w" + w + (hi == b ? "[" + hi + "]" : "[" + hi + ":" + b + "]")
                            + " covered by no field");
                }
            }
        }
        return problems;
    }

    /** Binds the record by component name; its components may come in any (logical) order. */
    private MethodHandle bind(Class<? extends Instruction> t) {
        RecordComponent[] rcs = t.getRecordComponents();
        if (rcs == null) {
            throw new IllegalStateException(t.getSimpleName() + " is not a record");
        }
        Map<String, Field> byComponent = new HashMap<>();
        for (Field f : valued) {
            byComponent.put(f.component(), f);
        }
        List<Field> ordered = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (RecordComponent rc : rcs) {
            Field f = byComponent.remove(rc.getName());
            if (f == null) {
                problems.add("component " + rc.getName() + " has no field");
            } else if (f.domain().javaType() != rc.getType()) {
                problems.add("component " + rc.getName() + " is " + rc.getType().getSimpleName() + ", field "
                        + f.name() + " holds " + f.domain().javaType().getSimpleName());
            }
            ordered.add(f);
        }
        for (Field f : byComponent.values()) {
            problems.add("field " + f.name() + " has no component " + f.component());
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("ISA table of " + queue + ": record " + t.getSimpleName() + ": "
                    + String.join("; ", problems));
        }
        valued.clear();
        valued.addAll(ordered);
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Class<?>[] types = new Class<?>[rcs.length];
            for (int i = 0; i < rcs.length; i++) {
                types[i] = rcs[i].getType();
                accessors.add(lookup.unreflect(rcs[i].getAccessor())
                        .asType(MethodType.methodType(Object.class, Instruction.class)));
                componentIndex.put(rcs[i].getName(), i);
            }
            return lookup.findConstructor(t, MethodType.methodType(void.class, types))
                    .asSpreader(Object[].class, rcs.length)
                    .asType(MethodType.methodType(Instruction.class, Object[].class));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot bind " + t.getSimpleName(), e);
        }
    }

    public Queue queue() {
        return queue;
    }

    /** The mnemonic, e.g. {@code MV}. */
    public String mnemonic() {
        return queue.name();
    }

    public int opcode() {
        return opcode;
    }

    public int words() {
        return words;
    }

    /** All fields, in table order (opcode, wait, release, then by word and descending bit). */
    public List<Field> fields() {
        return fields;
    }

    /** The fields with a value (record components), in component order. */
    public List<Field> valuedFields() {
        return Collections.unmodifiableList(valued);
    }

    /** Position in {@link #valuedFields()} of the value of {@code fields().get(fieldIndex)}, or -1 if it has none. */
    int valueIndexOfField(int fieldIndex) {
        return fieldComponent[fieldIndex];
    }

    /** Position of a record component in {@link #valuedFields()}, or -1. */
    int componentIndex(String component) {
        return componentIndex.getOrDefault(component, -1);
    }

    /** The field of that name, or null. */
    public Field field(String name) {
        return byName.get(name);
    }

    public Class<? extends Instruction> type() {
        return type;
    }

    /** The component values of an instruction of this format, in {@link #valuedFields()} order. */
    Object[] values(Instruction inst) {
        Object[] v = new Object[accessors.size()];
        try {
            for (int i = 0; i < v.length; i++) {
                v[i] = (Object) accessors.get(i).invokeExact(inst);
            }
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        return v;
    }

    /** A new instruction from component values (already valid for their domains). */
    Instruction create(Object[] values) {
        try {
            return (Instruction) constructor.invokeExact(values);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
