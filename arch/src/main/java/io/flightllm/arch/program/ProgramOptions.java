package io.flightllm.arch.program;

/**
 * How a program was compiled.
 *
 * @param prefillBucket  tokens per prefill bucket (prefill programs for 1..L tokens, L a multiple of this)
 * @param decodeBucket   context positions per decode bucket
 * @param prefillLogits  "last": prefill writes the logits of the last valid row only; "all": of every valid row
 * @param shapesOnly     no weight image (timing and checking only)
 */
public record ProgramOptions(int prefillBucket, int decodeBucket, String prefillLogits, boolean shapesOnly) {
}
