package io.flightllm.sim.timing;

/** Receives every instruction's interval as the timing model decides it (for timelines). */
public interface TraceSink {
    /**
     * @param core     core
     * @param queue    queue ordinal
     * @param index    the instruction's index in its core's stream
     * @param start    cycle it started (its tokens taken)
     * @param end      cycle its work ended (its transfer, its computation, or the barrier release)
     * @param complete cycle it completed (its tokens released; later than {@code end} while a counter was full)
     */
    void instruction(int core, int queue, int index, double start, double end, double complete);
}
