package io.flightllm.arch.hw;

/**
 * High-bandwidth memory as independent channels.
 *
 * @param capacityBytes          total capacity
 * @param channels               pseudo-channels (32 on both presets)
 * @param peakGBps               total peak bandwidth in 1e9 bytes per second
 * @param ownChannelEfficiency   fraction of a channel's peak reached by a core reading its own channels
 * @param crossChannelEfficiency fraction reached when reading another core's channels
 */
public record Hbm(long capacityBytes, int channels, double peakGBps, double ownChannelEfficiency,
                  double crossChannelEfficiency) {

    void check(Checks c) {
        c.atLeast("hbm.channels", channels, 1);
        c.atLeast("hbm.capacityBytes", capacityBytes, 1);
        c.positive("hbm.peakGBps", peakGBps);
        c.fraction("hbm.ownChannelEfficiency", ownChannelEfficiency);
        c.fraction("hbm.crossChannelEfficiency", crossChannelEfficiency);
        if (channels >= 1 && capacityBytes % channels != 0) {
            c.error("hbm.capacityBytes = " + capacityBytes + " is not divisible by hbm.channels = " + channels);
        }
    }

    /** Capacity of one channel. */
    public long channelBytes() {
        return capacityBytes / channels;
    }

    /** Peak bytes per second of one channel. */
    public double channelPeakBytesPerSecond() {
        return peakGBps * 1e9 / channels;
    }
}
