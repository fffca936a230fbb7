package io.flightllm.sim;

/**
 * Simulator settings that are not hardware parameters of {@link io.flightllm.arch.hw.HardwareConfig}.
 *
 * @param tokenDepth capacity of each token counter (DESIGN.md "The timing model": 8)
 * @param ddrBytes   size of the modelled DDR window (tables and the parameter block)
 * @param schedule   queue order (results of race-free programs do not depend on it)
 */
public record SimOptions(int tokenDepth, long ddrBytes, Schedule schedule) {
    public static final int DEFAULT_TOKEN_DEPTH = 8;
    public static final long DEFAULT_DDR_BYTES = 1L << 30;

    public SimOptions {
        if (tokenDepth < 1 || ddrBytes < 1 || schedule == null) {
            throw new IllegalArgumentException("sim options: token depth " + tokenDepth + ", DDR bytes " + ddrBytes
                    + ", schedule " + schedule + ": expected positive sizes and a schedule");
        }
    }

    public static SimOptions defaults() {
        return new SimOptions(DEFAULT_TOKEN_DEPTH, DEFAULT_DDR_BYTES, Schedule.GREEDY);
    }

    public SimOptions withSchedule(Schedule s) {
        return new SimOptions(tokenDepth, ddrBytes, s);
    }
}
