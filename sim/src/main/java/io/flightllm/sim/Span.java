package io.flightllm.sim;

/** Where an on-chip byte range lives: an array and the byte offset of the range's first byte in it. */
record Span(byte[] array, int offset) {
}
