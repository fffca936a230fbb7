package io.flightllm.sim.report;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.sim.timing.LaunchTiming;

import java.util.Map;
import java.util.TreeMap;

/**
 * Decode-step cost as a function of context from a few timed buckets, linear between them (a step's work grows
 * linearly with the positions attended): what the sweep uses instead of timing every bucket.
 *
 * @param points timed bucket length -> its launch
 */
public record DecodeCurve(HardwareConfig hw, TreeMap<Integer, LaunchTiming> points) {
    public DecodeCurve {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("a decode curve needs at least one timed bucket");
        }
    }

    public static DecodeCurve of(HardwareConfig hw, Map<Integer, LaunchTiming> points) {
        return new DecodeCurve(hw, new TreeMap<>(points));
    }

    /** Interpolated value of {@code f} at {@code context}, clamped to the timed range. */
    private double at(int context, java.util.function.ToDoubleFunction<LaunchTiming> f) {
        Map.Entry<Integer, LaunchTiming> lo = points.floorEntry(context);
        Map.Entry<Integer, LaunchTiming> hi = points.ceilingEntry(context);
        if (lo == null) {
            return f.applyAsDouble(hi.getValue());
        }
        if (hi == null || hi.getKey().equals(lo.getKey())) {
            return f.applyAsDouble(lo.getValue());
        }
        double w = (context - lo.getKey()) / (double) (hi.getKey() - lo.getKey());
        return (1 - w) * f.applyAsDouble(lo.getValue()) + w * f.applyAsDouble(hi.getValue());
    }

    public double stepSeconds(int context) {
        return at(context, LaunchTiming::seconds);
    }

    /** Decode tokens/s of a workload (contexts P .. P + D - 1). */
    public double tokensPerSecond(Workload w) {
        double s = 0;
        for (int c = w.prefill(); c <= w.lastContext(); c++) {
            s += stepSeconds(c);
        }
        return w.decode() / s;
    }

    /** Mean board power over the workload's decode steps, or NaN without a power model. */
    public double watts(Workload w) {
        if (hw.power() == null) {
            return Double.NaN;
        }
        double j = 0;
        double s = 0;
        for (int c = w.prefill(); c <= w.lastContext(); c++) {
            j += at(c, t -> Energy.joules(hw.power(), t));
            s += stepSeconds(c);
        }
        return j / s;
    }
}
