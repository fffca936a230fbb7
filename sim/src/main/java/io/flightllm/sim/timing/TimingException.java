package io.flightllm.sim.timing;

/** A launch the timing model cannot time: malformed input, or a program that cannot complete; the message says why. */
public class TimingException extends RuntimeException {
    public TimingException(String message) {
        super(message);
    }

    public TimingException(String message, Throwable cause) {
        super(message, cause);
    }
}
