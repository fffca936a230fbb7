package io.flightllm.runtime.testing;

import io.flightllm.model.ModelConfig;
import io.flightllm.model.forward.Forward;

/**
 * An executor that sleeps before every position, so tests can hold a worker busy long enough to queue, cancel or time
 * out generations; the logits are the wrapped executor's, unchanged.
 */
public final class SlowForward implements Forward {
    private final Forward f;
    private final long millisPerPosition;

    public SlowForward(Forward f, long millisPerPosition) {
        this.f = f;
        this.millisPerPosition = millisPerPosition;
    }

    private void pause(int positions) {
        try {
            Thread.sleep(millisPerPosition * positions);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public ModelConfig config() {
        return f.config();
    }

    @Override
    public int contextLength() {
        return f.contextLength();
    }

    @Override
    public float[] forward(int token, int pos) {
        pause(1);
        return f.forward(token, pos);
    }

    @Override
    public float[] prefill(int[] tokens, int startPos, int count, boolean wantLogits) {
        pause(1);
        return f.prefill(tokens, startPos, count, wantLogits);
    }

    @Override
    public String name() {
        return "slow " + f.name();
    }

    @Override
    public void close() {
        f.close();
    }
}
