package io.flightllm.sim;

import io.flightllm.arch.hw.Buffers;
import io.flightllm.arch.isa.Buffer;

/**
 * The on-chip buffers of one core. Every buffer is private to the core except GLOBAL's upper half: addresses at or
 * above half of GLOBAL's lines form one window shared by all cores (the link between the cores' special function
 * units; docs/sim.md, convention 1), so a write by any core lands in the same bytes every core reads.
 */
final class CoreState {
    private final int core;
    private final byte[][] buffers = new byte[Buffer.values().length][];
    private final long[] sizes = new long[Buffer.values().length];
    private final byte[] sharedGlobal;
    private final long globalHalf;

    CoreState(int core, Buffers b, byte[] sharedGlobal) {
        this.core = core;
        for (Buffer buf : Buffer.values()) {
            sizes[buf.ordinal()] = bytes(b, buf);
        }
        this.globalHalf = sharedGlobal.length;
        this.sharedGlobal = sharedGlobal;
        for (Buffer buf : Buffer.values()) {
            long n = buf == Buffer.GLOBAL ? globalHalf : sizes[buf.ordinal()];
            buffers[buf.ordinal()] = new byte[Math.toIntExact(n)];
        }
    }

    /** The byte size of a buffer in a hardware configuration (GLOBAL counts both halves). */
    static long bytes(Buffers b, Buffer buf) {
        return switch (buf) {
            case A -> b.aBytes();
            case B -> b.bBytes();
            case GLOBAL -> b.globalBytes();
            case META -> b.metaBytes();
            case FSB -> b.fsbBytes();
            case BIAS -> b.biasBytes();
            case SCALE -> b.scaleBytes();
        };
    }

    int core() {
        return core;
    }

    long size(Buffer b) {
        return sizes[b.ordinal()];
    }

    /**
     * The array and offset holding bytes [at, at + len) of buffer {@code b}. The instruction's footprint was checked
     * against the buffer's size before; a GLOBAL range must lie in one half.
     */
    Span span(Buffer b, long at, long len) {
        if (at < 0 || len < 0 || at + len > sizes[b.ordinal()]) {
            throw new SimException(SimException.Kind.BOUNDS, core, -1, "bytes [" + at + ", " + (at + len) + ") of "
                    + b + " leave its " + sizes[b.ordinal()] + " bytes");
        }
        if (b != Buffer.GLOBAL) {
            return new Span(buffers[b.ordinal()], (int) at);
        }
        if (at >= globalHalf) {
            return new Span(sharedGlobal, (int) (at - globalHalf));
        }
        if (at + len > globalHalf) {
            throw new SimException(SimException.Kind.BOUNDS, core, -1, "GLOBAL bytes [" + at + ", " + (at + len)
                    + ") cross the boundary at byte " + globalHalf + " between the private and the shared half");
        }
        return new Span(buffers[b.ordinal()], (int) at);
    }

    /** Zeroes every private buffer (a fresh device). */
    void clear() {
        for (byte[] a : buffers) {
            java.util.Arrays.fill(a, (byte) 0);
        }
    }
}
