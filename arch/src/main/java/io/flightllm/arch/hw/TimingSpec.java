package io.flightllm.arch.hw;

/**
 * What the timing model needs beyond the peak rates: per-instruction overheads, the load unit's outstanding requests
 * and the memory latencies. Each is a physical quantity of the design (docs/hardware.md gives the source or the
 * calibration of each; docs/timing.md how they were fitted once and frozen).
 *
 * @param loadIssueCycles   cycles the load unit spends on one LD (descriptor decode, address generation, the AXI
 *                          address phase) before it can issue the next
 * @param loadsInFlight     LDs one core keeps outstanding at once (its HBM read ports); loads on different channels
 *                          overlap, loads on one channel queue behind each other
 * @param storeIssueCycles  cycles the store unit spends on one ST before its data moves
 * @param hbmLatencyNs      first-data latency of an HBM read (request to first beat), paid by every LD after its
 *                          transfer slot; it overlaps with other loads' transfers
 * @param matrixFillCycles  pipeline fill and drain of one MM/MV: the DSP cascade, the reduction nodes and the sum16
 *                          output stage, paid once per instruction because the next tile of the row accumulates into
 *                          the same partial sums
 * @param sfuFillCycles     pipeline latency of one SFU pass over a row (the FP32 exp/divide/sqrt pipelines)
 * @param barrierCycles     latency of the cross-core barrier handshake, from the last core's arrival to the release
 * @param ddrGBps           DDR bandwidth in 1e9 bytes/s (the tables: RoPE)
 */
public record TimingSpec(int loadIssueCycles, int loadsInFlight, int storeIssueCycles, double hbmLatencyNs,
                         int matrixFillCycles, int sfuFillCycles, int barrierCycles, double ddrGBps) {

    void check(Checks c) {
        c.atLeast("timing.loadIssueCycles", loadIssueCycles, 1);
        c.atLeast("timing.loadsInFlight", loadsInFlight, 1);
        c.atLeast("timing.storeIssueCycles", storeIssueCycles, 1);
        if (!(hbmLatencyNs >= 0) || Double.isInfinite(hbmLatencyNs)) {
            c.error("timing.hbmLatencyNs = " + hbmLatencyNs + "; expected a finite value >= 0");
        }
        c.atLeast("timing.matrixFillCycles", matrixFillCycles, 0);
        c.atLeast("timing.sfuFillCycles", sfuFillCycles, 0);
        c.atLeast("timing.barrierCycles", barrierCycles, 0);
        c.positive("timing.ddrGBps", ddrGBps);
    }
}
