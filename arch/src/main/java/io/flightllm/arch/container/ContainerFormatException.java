package io.flightllm.arch.container;

import java.nio.file.Path;

/** A container file that cannot be used; the message names the file, the field, what was found and what was expected.
 */
public class ContainerFormatException extends RuntimeException {
    public ContainerFormatException(String message) {
        super(message);
    }

    public ContainerFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    public static ContainerFormatException field(Path file, String field, Object found, String expected) {
        return new ContainerFormatException(file + ": " + field + " is " + found + "; expected " + expected);
    }
}
