package io.flightllm.sim.report;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.PowerSpec;
import io.flightllm.arch.isa.Queue;
import io.flightllm.sim.timing.LaunchTiming;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The timed buckets of one program and the workload metrics of DESIGN.md "Metric definitions" computed from them. A
 * decode step at context c costs its bucket's launch; a prompt of P tokens runs in chunks of the program's chunk rows,
 * the chunk ending at position e costing the prefill bucket that holds e.
 *
 * @param prefill per prefill bucket length, its launch (only the buckets the workloads need)
 * @param decode  per decode bucket length, its launch
 */
public record Simulation(HardwareConfig hw, int chunkRows, List<Integer> prefillBuckets, List<Integer> decodeBuckets,
                         Map<Integer, LaunchTiming> prefill, Map<Integer, LaunchTiming> decode) {

    public LaunchTiming decodeStep(int context) {
        int b = LaunchSource.bucketOf(decodeBuckets, context);
        LaunchTiming t = decode.get(b);
        if (t == null) {
            throw new IllegalArgumentException("decode bucket " + b + " (context " + context + ") was not timed");
        }
        return t;
    }

    /** Seconds to prefill a prompt of {@code tokens}. */
    public double prefillSeconds(int tokens) {
        double s = 0;
        for (int start = 0; start < tokens; start += chunkRows) {
            int end = Math.min(start + chunkRows, tokens);
            int b = LaunchSource.bucketOf(prefillBuckets, end);
            LaunchTiming t = prefill.get(b);
            if (t == null) {
                throw new IllegalArgumentException("prefill bucket " + b + " was not timed");
            }
            s += t.seconds();
        }
        return s;
    }

    /**
     * The metrics of one workload.
     *
     * @param weightBytesPerToken bytes of the weight image read per decode step (DESIGN.md
     *                            {@code weight_bytes_per_token}), for the achieved bandwidth
     */
    public WorkloadResult run(Workload w, long weightBytesPerToken) {
        double decodeS = 0;
        double joules = 0;
        double hbmBytes = 0;
        double macs = 0;
        double cycles = 0;
        Map<Queue, Double> busy = new EnumMap<>(Queue.class);
        PowerSpec power = hw.power();
        for (int c = w.prefill(); c <= w.lastContext(); c++) {
            LaunchTiming t = decodeStep(c);
            decodeS += t.seconds();
            hbmBytes += t.hbmBytes();
            macs += t.macs();
            cycles += t.cycles();
            if (power != null) {
                joules += Energy.joules(power, t);
            }
            for (Queue q : Queue.values()) {
                busy.merge(q, t.busyFraction(q) * t.cycles(), Double::sum);
            }
        }
        double allCycles = Math.max(cycles, 1e-30);
        busy.replaceAll((q, v) -> v / allCycles);
        double prefillS = prefillSeconds(w.prefill());
        double tps = w.decode() / decodeS;
        double peak = hw.hbm().peakGBps() * 1e9;
        Double tpj = power == null ? null : w.decode() / joules;
        Double watts = power == null ? null : joules / decodeS;
        Double perDollar = power == null || power.boardPriceUsd() == null ? null : tps / power.boardPriceUsd();
        double dspUtil = macs / (2.0 * hw.mpeDsps() * cycles);
        return new WorkloadResult(w, prefillS * 1e3, decodeS * 1e3, tps, w.decode() / (prefillS + decodeS), watts, tpj,
                perDollar, hbmBytes / (peak * decodeS), weightBytesPerToken * tps / 1e9, dspUtil, busy);
    }

    /** The geometric mean of the workloads' decode tokens/s. */
    public static double geomean(List<WorkloadResult> results) {
        double s = 0;
        for (WorkloadResult r : results) {
            s += Math.log(r.decodeTokensPerS());
        }
        return Math.exp(s / results.size());
    }
}
