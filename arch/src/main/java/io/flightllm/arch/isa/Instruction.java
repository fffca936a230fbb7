package io.flightllm.arch.isa;

/**
 * One instruction: an immutable record per class, holding decoded values (enums, booleans, counts in their real
 * units). Build them with the records' builders, e.g. {@code Mv.builder().k(256).rows(64).build()}; encode with
 * {@link Isa#encode(Instruction)}.
 */
public sealed interface Instruction permits Ld, St, Mm, Mv, Misc, Sys {
    /** The queue this instruction issues to (also its class). */
    Queue queue();

    /** Queues whose token this instruction takes before it starts. */
    QueueSet waits();

    /** Queues this instruction gives a token when it completes. */
    QueueSet releases();
}
