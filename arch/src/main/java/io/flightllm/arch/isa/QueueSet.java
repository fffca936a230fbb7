package io.flightllm.arch.isa;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An immutable set of queues: the queues an instruction waits on or releases a token to. The encoded form is the
 * 5-bit mask relative to the instruction's own queue ({@link #mask(Queue)}); the text form is {@code LD,MM} or
 * {@code -} for the empty set.
 *
 * @param bits bit {@code q.ordinal()} set for each queue q in the set
 */
public record QueueSet(int bits) {
    public static final QueueSet NONE = new QueueSet(0);

    public QueueSet {
        if ((bits & ~0x3f) != 0) {
            throw new IllegalArgumentException("queue set bits 0x" + Integer.toHexString(bits) + ": expected 6 bits");
        }
    }

    public static QueueSet of(Queue... queues) {
        int b = 0;
        for (Queue q : queues) {
            b |= 1 << q.ordinal();
        }
        return new QueueSet(b);
    }

    public boolean contains(Queue q) {
        return (bits >> q.ordinal() & 1) != 0;
    }

    public boolean isEmpty() {
        return bits == 0;
    }

    public Set<Queue> toSet() {
        EnumSet<Queue> s = EnumSet.noneOf(Queue.class);
        for (Queue q : Queue.values()) {
            if (contains(q)) {
                s.add(q);
            }
        }
        return s;
    }

    /** The 5-bit mask for an instruction of queue {@code self}, MSB first in queue order with self omitted. */
    public int mask(Queue self) {
        if (contains(self)) {
            throw new IllegalArgumentException("a " + self + " instruction cannot name its own queue " + self);
        }
        int m = 0;
        for (Queue q : self.others()) {
            if (contains(q)) {
                m |= self.maskBit(q);
            }
        }
        return m;
    }

    /** The set encoded by a 5-bit mask of an instruction of queue {@code self}. */
    public static QueueSet fromMask(Queue self, int mask) {
        int b = 0;
        for (Queue q : self.others()) {
            if ((mask & self.maskBit(q)) != 0) {
                b |= 1 << q.ordinal();
            }
        }
        return new QueueSet(b);
    }

    /** Parses {@code -} or a comma-separated list of queue names (case-insensitive). */
    public static QueueSet parse(String text) {
        if (text.equals("-")) {
            return NONE;
        }
        int b = 0;
        for (String part : text.split(",", -1)) {
            try {
                b |= 1 << Queue.valueOf(part.strip().toUpperCase(Locale.ROOT)).ordinal();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + part + "' is not a queue (expected LD, ST, MM, MV, MISC, SYS)");
            }
        }
        return new QueueSet(b);
    }

    @Override
    public String toString() {
        if (bits == 0) {
            return "-";
        }
        List<String> names = new ArrayList<>();
        for (Queue q : Queue.values()) {
            if (contains(q)) {
                names.add(q.name());
            }
        }
        return String.join(",", names);
    }
}
