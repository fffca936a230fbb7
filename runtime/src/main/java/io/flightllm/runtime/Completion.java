package io.flightllm.runtime;

/**
 * The outcome of one generation.
 *
 * @param text             the generated text (without the prompt, cut before a stop string)
 * @param promptTokens     prompt tokens, BOS included
 * @param completionTokens sampled tokens, a sampled stop token included
 * @param queueNanos       time waiting for a worker
 * @param runNanos         time on the worker (prefill and decode)
 * @param promptLogprobs   the prompt's tokens after BOS, scored (empty unless the request asked)
 * @param logprobs         each sampled token, scored (empty unless the request asked); a sampled stop token is the
 *                         last entry, with no text
 */
public record Completion(String text, int promptTokens, int completionTokens, FinishReason finishReason,
                         long queueNanos, long runNanos, java.util.List<TokenLogprob> promptLogprobs,
                         java.util.List<TokenLogprob> logprobs) {
    public Completion {
        promptLogprobs = java.util.List.copyOf(promptLogprobs);
        logprobs = java.util.List.copyOf(logprobs);
    }

    /** A completion without log-probabilities. */
    public Completion(String text, int promptTokens, int completionTokens, FinishReason finishReason, long queueNanos,
                      long runNanos) {
        this(text, promptTokens, completionTokens, finishReason, queueNanos, runNanos, java.util.List.of(),
                java.util.List.of());
    }

    /** Why a generation ended. */
    public enum FinishReason {
        /** a stop token or a stop string */
        STOP,
        /** max_tokens or the end of the context */
        LENGTH,
        /** the client went away or cancelled */
        CANCELLED,
        /** the request's deadline passed */
        TIMEOUT
    }
}
