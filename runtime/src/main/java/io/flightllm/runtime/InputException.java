package io.flightllm.runtime;

/**
 * An input the user can fix (an option value, a file that does not fit the backend, a request over the context): the
 * message names the option, file or field and what is expected. The CLI prints it as one line; the server answers 400.
 */
public class InputException extends RuntimeException {
    public InputException(String message) {
        super(message);
    }
}
