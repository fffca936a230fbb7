package io.flightllm.sim.timing;

import io.flightllm.arch.isa.Queue;

/**
 * What one launch cost on the timing model. Arrays are indexed [core][queue ordinal] or [channel].
 *
 * @param cycles            from the first start to the last completion
 * @param clockHz           the accelerator clock the cycles count
 * @param instructions      instructions per core and queue
 * @param busyCycles        per core and queue, cycles with at least one instruction of the queue in its work
 *                          (barrier waits count for SYS)
 * @param channelBusyCycles per HBM channel, cycles spent transferring
 * @param channelBytes      per HBM channel, bytes read and written
 * @param hbmReadBytes      bytes read from HBM by all cores
 * @param hbmWriteBytes     bytes written to HBM by all cores
 * @param crossChannelBytes HBM bytes a core moved on another core's channels
 * @param ddrBytes          bytes moved to and from DDR
 * @param onChipBytes       bytes read from and written to on-chip buffers, all cores
 * @param macs              INT8 multiply-accumulates done (kept weights x token rows), all cores
 */
public record LaunchTiming(double cycles, double clockHz, long[][] instructions, double[][] busyCycles,
                           double[] channelBusyCycles, long[] channelBytes, long hbmReadBytes, long hbmWriteBytes,
                           long crossChannelBytes, long ddrBytes, long onChipBytes, long macs) {

    public double seconds() {
        return cycles / clockHz;
    }

    public int cores() {
        return instructions.length;
    }

    public long hbmBytes() {
        return hbmReadBytes + hbmWriteBytes;
    }

    /** Busy fraction of {@code queue}, averaged over the cores. */
    public double busyFraction(Queue queue) {
        double s = 0;
        for (double[] core : busyCycles) {
            s += core[queue.ordinal()];
        }
        return cycles == 0 ? 0 : s / cores() / cycles;
    }

    public long instructions(Queue queue) {
        long n = 0;
        for (long[] core : instructions) {
            n += core[queue.ordinal()];
        }
        return n;
    }

    public long totalInstructions() {
        long n = 0;
        for (Queue q : Queue.values()) {
            n += instructions(q);
        }
        return n;
    }
}
