package io.flightllm.model.forward;

import io.flightllm.model.ModelConfig;

/**
 * A stateful decoder executor with a KV cache: the fp32 reference ({@link DecoderForward}) or the CPU twin. The host
 * loop ({@code Generator}) and the benchmarks drive any of them the same way.
 */
public interface Forward extends AutoCloseable {
    ModelConfig config();

    /** Positions the KV cache holds. */
    int contextLength();

    /** Runs {@code token} at {@code pos} and returns its logits (a reused array of exactly vocab values). */
    float[] forward(int token, int pos);

    /**
     * Runs {@code tokens[0 .. count)} at positions {@code startPos ..} and returns the logits of the last one when
     * {@code wantLogits} (else null may be returned). Bit-identical to calling {@link #forward} position by position.
     */
    float[] prefill(int[] tokens, int startPos, int count, boolean wantLogits);

    /** A short name for reports. */
    String name();

    @Override
    default void close() {
    }
}
