package io.flightllm.runtime;

/**
 * The outcome of one generation.
 *
 * @param text             the generated text (without the prompt, cut before a stop string)
 * @param promptTokens     prompt tokens, BOS included
 * @param completionTokens sampled tokens, a sampled stop token included
 * @param queueNanos       time waiting for a worker
 * @param runNanos         time on the worker (prefill and decode)
 */
public record Completion(String text, int promptTokens, int completionTokens, FinishReason finishReason,
                         long queueNanos, long runNanos) {
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
