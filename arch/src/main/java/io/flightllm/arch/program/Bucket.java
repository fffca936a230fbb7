package io.flightllm.arch.program;

import java.util.List;

/**
 * The programs of one length bucket: one instruction stream per core. A prefill bucket of length L runs prompts of
 * 1..L tokens from position 0; a decode bucket of length C runs one step at contexts (pos + 1) up to C.
 */
public record Bucket(Kind kind, int length, List<Stream> streams) {
    public enum Kind { PREFILL, DECODE }

    public Bucket {
        streams = List.copyOf(streams);
    }

    /** One core's instruction stream, stored as the payload {@code payload} of 32-bit words. */
    public record Stream(int core, String payload, long instructions, long words) {
    }

    public long words() {
        return streams.stream().mapToLong(Stream::words).sum();
    }

    public long instructions() {
        return streams.stream().mapToLong(Stream::instructions).sum();
    }
}
