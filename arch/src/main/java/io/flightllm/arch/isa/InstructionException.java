package io.flightllm.arch.isa;

/**
 * An instruction that cannot be encoded, decoded or assembled. The message names where (instruction index and word,
 * or text line), the field and the allowed values.
 */
public final class InstructionException extends RuntimeException {
    public InstructionException(String message) {
        super(message);
    }
}
