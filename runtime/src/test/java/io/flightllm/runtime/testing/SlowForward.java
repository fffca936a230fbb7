package io.flightllm.runtime.testing;

import io.flightllm.model.forward.Forward;
import io.flightllm.runtime.DelegatingForward;

/**
 * An executor that sleeps before every position, so tests can hold a worker busy long enough to queue, cancel or time
 * out generations; the logits are the wrapped executor's, unchanged.
 */
public final class SlowForward extends DelegatingForward {
    private final long millisPerPosition;

    public SlowForward(Forward f, long millisPerPosition) {
        super(f);
        this.millisPerPosition = millisPerPosition;
    }

    private void pause() {
        try {
            Thread.sleep(millisPerPosition);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public float[] forward(int token, int pos) {
        pause();
        return super.forward(token, pos);
    }

    @Override
    public float[] prefill(int[] tokens, int startPos, int count, boolean wantLogits) {
        pause();
        return super.prefill(tokens, startPos, count, wantLogits);
    }

    @Override
    public String name() {
        return "slow " + super.name();
    }
}
