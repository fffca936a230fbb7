package io.flightllm.arch.hw;

import java.util.ArrayList;
import java.util.List;

/**
 * One accelerator configuration: the single source of truth that the compiler, the simulator, the timing model and
 * the RTL generator read. Presets live as JSON resources beside this class ({@link HardwareConfigs#preset}); a user
 * file may start from a preset ({@code "base": "u280"}) and override any field.
 *
 * @param name        preset or file name, used in reports and recorded in programs
 * @param description one line saying where the numbers come from
 * @param cores       computing cores (one per die/SLR in the paper's designs), model-parallel
 * @param clockMhz    accelerator clock
 * @param hbm         off-chip memory holding weights and the KV cache
 * @param mpe         matrix processing engine of one core
 * @param buffers     on-chip buffers of one core
 * @param sfu         special function unit of one core
 * @param device      programmable-logic resources of the device, or null when not recorded (fit checks then say so)
 */
public record HardwareConfig(String name, String description, int cores, double clockMhz, Hbm hbm, Mpe mpe,
                             Buffers buffers, SfuSpec sfu, DeviceResources device) {

    /** Refuses an inconsistent configuration; the message names every offending field and what it expects. */
    public HardwareConfig validate() {
        List<String> errors = new ArrayList<>();
        Checks c = new Checks(errors);
        c.notBlank("name", name);
        c.atLeast("cores", cores, 1);
        c.positive("clockMhz", clockMhz);
        if (hbm == null || mpe == null || buffers == null || sfu == null) {
            errors.add("hbm, mpe, buffers and sfu are required sections");
        } else {
            hbm.check(c);
            mpe.check(c);
            buffers.check(c, mpe);
            sfu.check(c);
            if (hbm.channels() >= 1 && cores > hbm.channels()) {
                errors.add("cores = " + cores + " exceeds hbm.channels = " + hbm.channels()
                        + "; expected at least one HBM channel per core");
            }
        }
        if (device != null) {
            device.check(c);
        }
        if (!errors.isEmpty()) {
            throw new HardwareConfigException("hardware config '" + name + "': " + String.join("; ", errors));
        }
        return this;
    }

    /** Cycles per second. */
    public double clockHz() {
        return clockMhz * 1e6;
    }

    /**
     * HBM channels owned by {@code core}: channels are split into contiguous ranges, the first
     * {@code channels % cores} cores getting one extra (32 channels on 3 cores: 11, 11, 10).
     */
    public int[] channelsOf(int core) {
        if (core < 0 || core >= cores) {
            throw new IndexOutOfBoundsException("core " + core + " of " + cores);
        }
        int base = hbm.channels() / cores;
        int extra = hbm.channels() % cores;
        int first = core * base + Math.min(core, extra);
        int count = base + (core < extra ? 1 : 0);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = first + i;
        }
        return out;
    }

    /** The core that owns HBM channel {@code channel} under {@link #channelsOf}. */
    public int coreOfChannel(int channel) {
        if (channel < 0 || channel >= hbm.channels()) {
            throw new IndexOutOfBoundsException("channel " + channel + " of " + hbm.channels());
        }
        for (int core = 0; core < cores; core++) {
            int[] ch = channelsOf(core);
            if (channel <= ch[ch.length - 1]) {
                return core;
            }
        }
        throw new IllegalStateException("unreachable");
    }

    /** DSP slices of all cores' MPEs (the SFU's are counted by the resource model). */
    public long mpeDsps() {
        return (long) cores * mpe.dsps();
    }

    /** Peak INT8 MACs per second in MV (decode) mode over all cores. */
    public double peakMvMacsPerSecond() {
        return (double) cores * mpe.mvMacsPerCycle() * clockHz();
    }

    /** Peak INT8 MACs per second in MM (prefill) mode over all cores. */
    public double peakMmMacsPerSecond() {
        return (double) cores * mpe.mmMacsPerCycle() * clockHz();
    }
}
