package io.flightllm.arch.program;

import java.util.Arrays;

/**
 * A named piece of device memory in a program's ABI (DESIGN.md "Programs").
 *
 * @param core    owning core, or -1 when every core reads it
 * @param mem     "HBM" or "DDR"
 * @param channel HBM channel (0 for DDR)
 * @param dtype   "f32", "f16", "i8", "i32"
 * @param shape   logical shape, outermost first
 */
public record Region(String name, int core, String mem, int channel, long address, long bytes, String dtype,
                     long[] shape) {
    public Region {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Region r && name.equals(r.name) && core == r.core && mem.equals(r.mem)
                && channel == r.channel && address == r.address && bytes == r.bytes && dtype.equals(r.dtype)
                && Arrays.equals(shape, r.shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Long.hashCode(address);
    }

    @Override
    public String toString() {
        return name + "[core " + core + ", " + mem + " ch " + channel + " @" + address + ", " + bytes + " B, " + dtype
                + Arrays.toString(shape) + "]";
    }
}
