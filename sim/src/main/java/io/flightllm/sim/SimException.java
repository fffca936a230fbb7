package io.flightllm.sim;

/**
 * A launch that cannot complete or an instruction that cannot execute. The message names the core, the queue, the
 * instruction's index in its core's stream and its assembler text, and what was expected.
 *
 * @see Kind
 */
public final class SimException extends RuntimeException {
    /** What went wrong. */
    public enum Kind {
        /** An access outside a buffer, a channel or the DDR. */
        BOUNDS,
        /** Operand contents the instruction cannot execute (a bad N byte, an index mask that disagrees with N). */
        OPERAND,
        /** A wait whose producer queue has completed: the token never comes. */
        UNDERFLOW,
        /** A release blocked forever: the counter is full and its consumer queue has completed. */
        OVERFLOW,
        /** A barrier some core never reaches. */
        BARRIER,
        /** Queues each waiting for another. */
        DEADLOCK,
        /** Tokens left in a counter after every queue completed. */
        UNBALANCED,
        /** The launch itself is malformed (stream count, parameters, regions). */
        LAUNCH
    }

    private final Kind kind;
    private final int core;
    private final int index;
    private final String detail;

    public SimException(Kind kind, int core, int index, String message) {
        super(kind + ": " + message);
        this.detail = message;
        this.kind = kind;
        this.core = core;
        this.index = index;
    }

    /** The message without the kind. */
    public String detail() {
        return detail;
    }

    public Kind kind() {
        return kind;
    }

    /** The core, or -1 when the problem is not one core's. */
    public int core() {
        return core;
    }

    /** The instruction's index in its core's stream, or -1. */
    public int index() {
        return index;
    }
}
