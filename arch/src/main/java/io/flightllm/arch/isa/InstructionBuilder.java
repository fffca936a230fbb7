package io.flightllm.arch.isa;

/**
 * The common part of the instruction builders: values start at the decoding of all-zero fields (counts 1, flags
 * off, first enum constant, no tokens), setters override them, {@link #build()} checks every value against its
 * field's domain.
 *
 * @param <T> the instruction record
 * @param <B> the concrete builder
 */
public abstract class InstructionBuilder<T extends Instruction, B extends InstructionBuilder<T, B>> {
    private final Format format;
    private final Object[] values;

    protected InstructionBuilder(Queue queue) {
        this.format = Isa.format(queue);
        this.values = new Object[format.valuedFields().size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = format.valuedFields().get(i).domain().value(0);
        }
    }

    protected InstructionBuilder(T from) {
        this.format = Isa.format(from.queue());
        this.values = format.values(from);
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** Sets a component by its record name; the typed setters of the subclasses call this. */
    protected B set(String component, Object value) {
        int i = format.componentIndex(component);
        if (i < 0) {
            throw new IllegalArgumentException(format.mnemonic() + " has no component " + component);
        }
        values[i] = value;
        return self();
    }

    /** Queues whose token the instruction takes before it starts. */
    public B waitOn(Queue... queues) {
        return set("waits", QueueSet.of(queues));
    }

    /** Queues the instruction gives a token when it completes. */
    public B releaseTo(Queue... queues) {
        return set("releases", QueueSet.of(queues));
    }

    public B waits(QueueSet s) {
        return set("waits", s);
    }

    public B releases(QueueSet s) {
        return set("releases", s);
    }

    /** The instruction; throws {@link InstructionException} naming the first value its field does not allow. */
    @SuppressWarnings("unchecked")
    public T build() {
        Isa.checkValues(format, values);
        return (T) format.create(values.clone());
    }
}
