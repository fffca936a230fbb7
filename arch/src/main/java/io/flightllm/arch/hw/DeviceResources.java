package io.flightllm.arch.hw;

/**
 * Programmable-logic resources of a device, for checking that a configuration fits.
 *
 * @param part   device part name
 * @param source where the counts come from
 */
public record DeviceResources(String part, long dsp, long lut, long ff, long bram36, long uram, String source) {
    void check(Checks c) {
        c.notBlank("device.part", part);
        c.atLeast("device.dsp", dsp, 1);
        c.atLeast("device.lut", lut, 1);
        c.atLeast("device.ff", ff, 1);
        c.atLeast("device.bram36", bram36, 0);
        c.atLeast("device.uram", uram, 0);
    }
}
