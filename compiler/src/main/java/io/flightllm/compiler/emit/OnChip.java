package io.flightllm.compiler.emit;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.compiler.CompileException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bump allocation of named areas in one on-chip buffer, in the buffer's address units, with the capacity check that
 * names the buffer, the areas and the limit. GLOBAL is split: the upper half is the shared window that every core's
 * writes reach (the on-chip link between cores' SFUs, DESIGN.md "always-on-chip decode"); the lower half is private.
 */
final class OnChip {
    private final Buffer buffer;
    private final long capacityUnits;
    private final long base;
    private long next;
    private final Map<String, long[]> areas = new LinkedHashMap<>();
    private final String hw;
    private boolean strict = true;

    private OnChip(Buffer buffer, long base, long capacityUnits, String hw) {
        this.buffer = buffer;
        this.base = base;
        this.next = base;
        this.capacityUnits = capacityUnits;
        this.hw = hw;
    }

    static OnChip of(Buffer b, HardwareConfig hw) {
        return new OnChip(b, 0, bytes(b, hw) / b.unitBytes(), hw.name());
    }

    /** The private lower half of GLOBAL. */
    static OnChip globalPrivate(HardwareConfig hw) {
        long units = bytes(Buffer.GLOBAL, hw) / Buffer.GLOBAL.unitBytes();
        return new OnChip(Buffer.GLOBAL, 0, units / 2, hw.name());
    }

    /** The shared upper half of GLOBAL. */
    static OnChip globalShared(HardwareConfig hw) {
        long units = bytes(Buffer.GLOBAL, hw) / Buffer.GLOBAL.unitBytes();
        return new OnChip(Buffer.GLOBAL, units / 2, units, hw.name());
    }

    /** First address of the shared window of GLOBAL, in lines. */
    static long sharedBase(HardwareConfig hw) {
        return bytes(Buffer.GLOBAL, hw) / Buffer.GLOBAL.unitBytes() / 2;
    }

    private static long bytes(Buffer b, HardwareConfig hw) {
        return switch (b) {
            case A -> hw.buffers().aBytes();
            case B -> hw.buffers().bBytes();
            case GLOBAL -> hw.buffers().globalBytes();
            case META -> hw.buffers().metaBytes();
            case FSB -> hw.buffers().fsbBytes();
            case BIAS -> hw.buffers().biasBytes();
            case SCALE -> hw.buffers().scaleBytes();
        };
    }

    /** With {@code false}, allocations never fail (only for counting instructions of oversized launches). */
    OnChip strict(boolean s) {
        strict = s;
        return this;
    }

    /** Reserves {@code units} for {@code name}; returns its address. */
    int alloc(String name, long units) {
        long at = next;
        next += Math.max(units, 0);
        areas.put(name, new long[]{at, units});
        if (strict && next > capacityUnits) {
            StringBuilder s = new StringBuilder();
            areas.forEach((n, a) -> s.append(n).append('=').append(a[1]).append(' '));
            throw new CompileException("buffer " + buffer + " of " + hw + " is too small: " + (next - base) + " "
                    + unitName() + " needed (" + s.toString().trim() + "), " + (capacityUnits - base)
                    + " available; use a larger buffer or a smaller prefill chunk");
        }
        return (int) at;
    }

    long used() {
        return next - base;
    }

    private String unitName() {
        return buffer.unitBytes() + "-byte units";
    }
}
