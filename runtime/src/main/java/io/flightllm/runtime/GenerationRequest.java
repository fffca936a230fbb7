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
 * @param logprobs      -1: none; k >= 0: each sampled token's log-probability with the k most likely alternatives
 * @param scorePrompt   also score the prompt (every token after BOS, with {@code logprobs} alternatives); the prompt
 *                      then runs position by position. {@code maxTokens} may be 0 (score only)
 */
public record GenerationRequest(int[] promptTokens, boolean promptStops, int maxTokens, float temperature, float topP,
                                long seed, List<String> stops, long deadlineNanos, int logprobs, boolean scorePrompt) {
    /** Most alternatives per position (OpenAI allows 5 on completions, vLLM 20). */
    public static final int MAX_LOGPROBS = 20;

    public GenerationRequest {
        if (promptTokens.length < 1) {
            throw new IllegalArgumentException("the prompt needs at least the BOS token");
        }
        if (maxTokens < (scorePrompt ? 0 : 1)) {
            throw new IllegalArgumentException("maxTokens = " + maxTokens + "; expected >= " + (scorePrompt ? 0 : 1));
        }
        if (logprobs < -1 || logprobs > MAX_LOGPROBS || (scorePrompt && logprobs < 0)) {
            throw new IllegalArgumentException("logprobs = " + logprobs + "; expected -1 (none) or 0 to "
                    + MAX_LOGPROBS + ", and at least 0 to score the prompt");
        }
        if (seed == 0) {
            throw new IllegalArgumentException("seed 0 would keep the xorshift generator at 0");
        }
        stops = List.copyOf(stops);
    }

    /** A generation without log-probabilities. */
    public GenerationRequest(int[] promptTokens, boolean promptStops, int maxTokens, float temperature, float topP,
                             long seed, List<String> stops, long deadlineNanos) {
        this(promptTokens, promptStops, maxTokens, temperature, topP, seed, stops, deadlineNanos, -1, false);
    }

    /** run.c's seed rule, shared by {@code run} and the server: 0 means "from the clock" (seconds). */
    public static long seedOrClock(long seed) {
        return seed == 0 ? System.currentTimeMillis() / 1000 : seed;
    }
}
