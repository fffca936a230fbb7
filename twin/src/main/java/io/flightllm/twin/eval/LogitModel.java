package io.flightllm.twin.eval;

import io.flightllm.model.forward.Forward;
import io.flightllm.twin.FastTwin;

/**
 * Anything that turns (token, position) into next-token logits, one position at a time, with its own KV cache:
 * the FP32 reference, the CPU twin of a compressed model, a broken model in a test.
 *
 * <p>Sequences are fed from position 0 upwards; attention reads only positions 0..pos, which the caller has just
 * written, so a new sequence needs no clearing. {@link #reset} marks the start of one (adapters may ignore it).
 */
public interface LogitModel extends AutoCloseable {
    /** Logits after {@code token} at {@code pos}; may be a reused array (callers copy what they keep). */
    float[] forward(int token, int pos);

    /** A new sequence starts at position 0. */
    default void reset() {
    }

    /** The positions this model can hold (its KV-cache length). */
    int contextLength();

    /** A short label for reports. */
    String label();

    @Override
    default void close() {
    }

    /** The FP32 reference forward pass, any family (the caller owns the model and closes nothing here). */
    static LogitModel of(Forward forward, String label) {
        return new LogitModel() {
            @Override
            public float[] forward(int token, int pos) {
                return forward.forward(token, pos);
            }

            @Override
            public int contextLength() {
                return forward.contextLength();
            }

            @Override
            public String label() {
                return label;
            }
        };
    }

    /**
     * The CPU twin; closing the adapter closes the twin (its thread pool). Every position runs as a one-row prompt, so
     * a model with a block-sparse prefill mask is scored as it processes prompts (without a mask a one-row prompt and
     * a decode step give the same bits).
     */
    static LogitModel of(FastTwin twin, String label) {
        return new LogitModel() {
            private final int[] one = new int[1];

            @Override
            public float[] forward(int token, int pos) {
                one[0] = token;
                return twin.prefill(one, pos);
            }

            @Override
            public int contextLength() {
                return twin.contextLength();
            }

            @Override
            public String label() {
                return label;
            }

            @Override
            public void close() {
                twin.close();
            }
        };
    }
}
