package io.flightllm.arch.hw;

/** An invalid or unreadable hardware configuration; the message names the file or field and the expected value. */
public class HardwareConfigException extends RuntimeException {
    public HardwareConfigException(String message) {
        super(message);
    }

    public HardwareConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
