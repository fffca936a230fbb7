package io.flightllm.sim.report;

import io.flightllm.arch.hw.PowerSpec;
import io.flightllm.sim.timing.LaunchTiming;

/**
 * The energy model of DESIGN.md: static power over the elapsed time plus energy per MAC, per on-chip byte and per HBM
 * byte (DDR bytes are priced as HBM bytes; they are a few hundred per launch). Parameters: {@link PowerSpec}.
 */
public final class Energy {
    private Energy() {
    }

    /** Joules of work that took {@code seconds} and did the counted operations. */
    public static double joules(PowerSpec p, double seconds, long macs, long onChipBytes, long offChipBytes) {
        return p.staticWatts() * seconds + 1e-12 * (p.macPicojoules() * macs
                + p.onChipBytePicojoules() * onChipBytes + p.hbmBytePicojoules() * offChipBytes);
    }

    public static double joules(PowerSpec p, LaunchTiming t) {
        return joules(p, t.seconds(), t.macs(), t.onChipBytes(), t.hbmBytes() + t.ddrBytes());
    }
}
