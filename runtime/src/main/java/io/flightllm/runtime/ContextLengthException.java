package io.flightllm.runtime;

/** The prompt plus the requested tokens do not fit the executor's context. */
public final class ContextLengthException extends InputException {
    public ContextLengthException(String message) {
        super(message);
    }
}
