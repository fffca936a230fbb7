package io.flightllm.model;

/**
 * A model, tokenizer or prompt file that cannot be used. The message always names the file (or source) and the field,
 * and says what was expected, so the CLI can print it as the one error line the user sees.
 */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "{@code source}: {@code field} is {@code actual}; expected {@code expected}". */
    public static ModelFormatException field(Object source, String field, Object actual, String expected) {
        return new ModelFormatException(source + ": " + field + " is " + actual + "; expected " + expected);
    }
}
