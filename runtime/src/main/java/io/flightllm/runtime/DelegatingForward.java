package io.flightllm.runtime;

import io.flightllm.model.ModelConfig;
import io.flightllm.model.forward.Forward;

/** A {@link Forward} that passes every call to another one; subclasses change what they need. */
public abstract class DelegatingForward implements Forward {
    protected final Forward inner;

    protected DelegatingForward(Forward inner) {
        this.inner = inner;
    }

    @Override
    public ModelConfig config() {
        return inner.config();
    }

    @Override
    public int contextLength() {
        return inner.contextLength();
    }

    @Override
    public float[] forward(int token, int pos) {
        return inner.forward(token, pos);
    }

    @Override
    public float[] prefill(int[] tokens, int startPos, int count, boolean wantLogits) {
        return inner.prefill(tokens, startPos, count, wantLogits);
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void close() {
        inner.close();
    }
}
