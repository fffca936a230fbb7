package io.flightllm.arch.isa.check;

import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Mem;
import java.util.Locale;

/**
 * A byte range [lo, hi) an instruction reads or writes. For parameterized addresses the range covers every
 * parameter value in the given ranges.
 *
 * @param operand the field that addresses it (e.g. {@code addr}, {@code out}), for messages
 */
public record Access(Region region, long lo, long hi, boolean write, String operand) {

    /** Where an access lands. */
    public sealed interface Region {
        /** An on-chip buffer of the instruction's core. */
        record OnChip(Buffer buffer) implements Region {
            @Override
            public String toString() {
                return buffer.name();
            }
        }

        /** An off-chip memory channel. */
        record OffChip(Mem mem, int channel) implements Region {
            @Override
            public String toString() {
                return mem == Mem.DDR ? "DDR" : "HBM channel " + channel;
            }
        }
    }

    public long bytes() {
        return hi - lo;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s %s bytes [0x%x, 0x%x) (%s)", write ? "writes" : "reads", region, lo,
                hi, operand);
    }
}
