package io.flightllm.sim;

/**
 * The order in which the simulator advances the queues. Any order that honours the tokens and barriers gives the same
 * result for a race-free program, so running one launch under both and comparing is a check for missing tokens.
 */
public enum Schedule {
    /** Cores and queues in order, each queue running as far as its tokens allow (producers run far ahead). */
    GREEDY,
    /** Cores and queues in reverse order, one start or completion per queue per round. */
    ROUND_ROBIN_REVERSE
}
