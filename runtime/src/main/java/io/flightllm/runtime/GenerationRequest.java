package io.flightllm.runtime;

import java.util.List;

/**
 * One generation for the {@link Engine}.
 *
 * @param promptTokens  the prompt, BOS first
 * @param promptStops   true: a stop token inside the prompt ends the run there, as in {@code flightllm run}; false:
 *                      the whole prompt is forced (chat histories)
 * @param maxTokens     at most this many tokens are sampled (a sampled stop token included)
 * @param temperature   0 = greedy
 * @param topP          nucleus threshold; 0 or 1 = off
 * @param seed          the sampler's xorshift state (not 0)
 * @param stops         stop strings: generation ends before the first one and it is not part of the text
 * @param deadlineNanos a {@link System#nanoTime} value after which the generation ends as timed out
 */
public record GenerationRequest(int[] promptTokens, boolean promptStops, int maxTokens, float temperature, float topP,
                                long seed, List<String> stops, long deadlineNanos) {
    public GenerationRequest {
        if (promptTokens.length < 1) {
            throw new IllegalArgumentException("the prompt needs at least the BOS token");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens = " + maxTokens + "; expected >= 1");
        }
        if (seed == 0) {
            throw new IllegalArgumentException("seed 0 would keep the xorshift generator at 0");
        }
        stops = List.copyOf(stops);
    }

    /** run.c's seed rule, shared by {@code run} and the server: 0 means "from the clock" (seconds). */
    public static long seedOrClock(long seed) {
        return seed == 0 ? System.currentTimeMillis() / 1000 : seed;
    }
}
