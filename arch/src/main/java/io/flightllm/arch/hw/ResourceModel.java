package io.flightllm.arch.hw;

import java.util.ArrayList;
import java.util.List;

/**
 * An analytical estimate of the programmable-logic resources a configuration needs, for design-space exploration
 * (docs/hardware.md "Resource model"): DSP slices from the MPE's parallelism plus the SFU lanes, BRAM36 and URAM from
 * each buffer's capacity and the port width its banking must deliver per cycle. The per-unit constants below are
 * calibrated once so the u280 preset reproduces the FlightLLM U280 board's published use (BRIEF.md section 3: 6,345
 * DSP, 1,252 BRAM36, 792 URAM) and are then frozen; the RTL issue's Yosys counts are to re-check them.
 */
public final class ResourceModel {
    /** DSP slices per SFU lane (FP32 multiply, the exp and divide pipelines), calibrated: 3 x (2048 + 16 x 4 + 3). */
    public static final int SFU_DSPS_PER_LANE = 4;
    /** DSP slices per core outside the MPE and SFU (the dequantizer's scale multipliers), calibrated. */
    public static final int CORE_DSPS = 3;
    /** Bytes one URAM holds (288 Kb) and delivers per port per cycle (72 bits). */
    public static final long URAM_BYTES = 36L * 1024;
    public static final int URAM_PORT_BYTES = 9;
    /** Bytes one BRAM36 holds (36 Kb) and delivers per cycle over its two 72-bit ports. */
    public static final long BRAM_BYTES = 4608;
    public static final int BRAM_PORT_BYTES = 18;
    /**
     * BRAM36 per core outside the buffers (HBM and instruction FIFOs, SFU tables), calibrated: 1,251 in total against
     * the published 1,252.
     */
    public static final int CORE_BRAMS = 159;
    /** URAM per core outside A and GLOBAL (the instruction queues), calibrated to 792 in total. */
    public static final int CORE_URAMS = 7;

    private ResourceModel() {
    }

    /** Estimated resources of a whole configuration (all cores). */
    public record Estimate(long dsp, long bram36, long uram) {
    }

    /** Whether an estimate fits a device, with one message per resource that does not (or why it cannot say). */
    public record Fit(boolean known, boolean fits, List<String> problems) {
    }

    public static Estimate estimate(HardwareConfig hw) {
        Mpe mpe = hw.mpe();
        Buffers b = hw.buffers();
        long dsp = mpe.dsps() + (long) hw.sfu().lanes() * SFU_DSPS_PER_LANE + CORE_DSPS;
        // B feeds the MPE one operand per MAC lane per cycle; META half as many bytes (4-bit positions); the
        // scales one FP32 entry per row computed in parallel
        long bPort = Math.max((long) mpe.mmRows() * mpe.mmK(), (long) mpe.mvRows() * mpe.mvK());
        long bram = brams(b.bBytes(), bPort) + brams(b.metaBytes(), bPort / 2)
                + brams(b.fsbBytes(), Math.max(mpe.mmRows(), mpe.mvRows()) / 16)
                + brams(b.biasBytes(), 4) + brams(b.scaleBytes(), 4L * Math.max(mpe.mmRows(), mpe.mvRows()))
                + CORE_BRAMS;
        // A feeds K activations per token row, GLOBAL takes one FP32 result row of the MPE per cycle at most
        long aPort = Math.max((long) mpe.mmK() * mpe.mmTokens(), mpe.mvK());
        long uram = urams(b.aBytes(), aPort) + urams(b.globalBytes(), 4L * Math.max(mpe.mmTokens(), 1))
                + CORE_URAMS;
        return new Estimate(hw.cores() * dsp, hw.cores() * bram, hw.cores() * uram);
    }

    private static long brams(long bytes, long portBytes) {
        return Math.max(ceil(bytes, BRAM_BYTES), ceil(portBytes, BRAM_PORT_BYTES));
    }

    private static long urams(long bytes, long portBytes) {
        return Math.max(ceil(bytes, URAM_BYTES), ceil(portBytes, URAM_PORT_BYTES));
    }

    private static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Checks the estimate against {@code hw.device()}; an unrecorded device is reported, not assumed to fit. */
    public static Fit fit(HardwareConfig hw) {
        DeviceResources d = hw.device();
        if (d == null) {
            return new Fit(false, false, List.of(hw.name() + " records no device resources (field device), so the fit"
                    + " cannot be checked"));
        }
        Estimate e = estimate(hw);
        List<String> p = new ArrayList<>();
        check(p, "DSP", e.dsp(), d.dsp(), d.part());
        check(p, "BRAM36", e.bram36(), d.bram36(), d.part());
        check(p, "URAM", e.uram(), d.uram(), d.part());
        return new Fit(true, p.isEmpty(), p);
    }

    private static void check(List<String> p, String what, long need, long have, String part) {
        if (need > have) {
            p.add(what + ": " + need + " needed, the " + part + " has " + have);
        }
    }
}
