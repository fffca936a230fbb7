package io.flightllm.compiler;

/** The model does not fit the hardware or the options are invalid; the message names the limit and the value. */
public class CompileException extends RuntimeException {
    public CompileException(String message) {
        super(message);
    }
}
