package io.flightllm.arch.isa.check;

/**
 * One thing wrong with a program.
 *
 * @param kind    what class of problem
 * @param core    the core, or -1 for the whole program
 * @param index   the instruction's index in its core's stream, or -1
 * @param message a self-contained sentence naming the instruction, the field and what was expected
 */
public record Violation(Kind kind, int core, int index, String message) {
    public enum Kind {
        /** More streams than cores. */
        CORES,
        /** Fields that are individually valid but inconsistent (e.g. wbits=4 into the GLOBAL buffer). */
        RULE,
        /** An access that leaves its buffer, channel or memory for some parameter value. */
        BOUNDS,
        /** A wait whose producer has finished: the token never comes. */
        UNDERFLOW,
        /** A release blocked forever: the counter is full and its consumer has finished. */
        OVERFLOW,
        /** Cores whose streams disagree on the number of barriers. */
        BARRIER,
        /** A cycle of queues each waiting for the next. */
        DEADLOCK,
        /** Tokens left in a counter when every stream has completed. */
        UNBALANCED
    }

    @Override
    public String toString() {
        return kind + ": " + message;
    }
}
