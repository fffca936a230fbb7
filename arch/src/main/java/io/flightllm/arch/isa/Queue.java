package io.flightllm.arch.isa;

/**
 * The six in-order queues of a core, in the order of the token masks (MSB first, the queue itself omitted). Every
 * instruction class issues to the queue of the same name; {@link Isa#format(Queue)} gives its layout.
 */
public enum Queue {
    LD, ST, MM, MV, MISC, SYS;

    private static final Queue[] ALL = values();

    /** The queues other than this one, in mask order (MSB first). */
    public Queue[] others() {
        Queue[] o = new Queue[ALL.length - 1];
        int j = 0;
        for (Queue q : ALL) {
            if (q != this) {
                o[j++] = q;
            }
        }
        return o;
    }

    /** The bit of {@code other} in this queue's 5-bit wait/release mask. */
    public int maskBit(Queue other) {
        if (other == this) {
            throw new IllegalArgumentException(this + " has no token bit for itself");
        }
        int pos = other.ordinal() < ordinal() ? other.ordinal() : other.ordinal() - 1;
        return 1 << (ALL.length - 2 - pos);
    }
}
