package io.flightllm.compiler.plan;

import io.flightllm.arch.container.ContainerLayout;
import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.compiler.CompileException;

/** Bump allocation of 64-byte aligned ranges on each HBM channel, with the capacity check that names the limit. */
public final class ChannelAllocator {
    private final HardwareConfig hw;
    private final long[] next;

    public ChannelAllocator(HardwareConfig hw) {
        this.hw = hw;
        this.next = new long[hw.hbm().channels()];
    }

    /** Reserves {@code bytes} on {@code channel} for {@code what}; returns the address. */
    public long allocate(int channel, long bytes, String what) {
        long at = ContainerLayout.align(next[channel]);
        long end = at + bytes;
        if (end > hw.hbm().channelBytes()) {
            throw new CompileException("the model does not fit HBM of " + hw.name() + ": " + what + " needs "
                    + bytes + " bytes on channel " + channel + " at " + at + ", beyond the channel's "
                    + hw.hbm().channelBytes() + " bytes (hbm.capacityBytes " + hw.hbm().capacityBytes() + " / "
                    + hw.hbm().channels() + " channels)");
        }
        next[channel] = end;
        return at;
    }

    /** Bytes used on {@code channel} so far. */
    public long used(int channel) {
        return next[channel];
    }

    public long totalUsed() {
        long s = 0;
        for (long n : next) {
            s += n;
        }
        return s;
    }
}
