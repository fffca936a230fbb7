package io.flightllm.sim.report;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.sim.timing.LaunchTiming;

import java.util.Map;

/** The timing model's standard charts as SVG text. */
public final class Charts {
    private Charts() {
    }

    /**
     * Decode-step latency against context, one point per timed decode bucket, with reference points (e.g. the
     * paper's) when given.
     */
    public static String decodeLatency(Simulation sim, String title, Map<Integer, Double> reference,
                                       String referenceName) {
        double[] x = new double[sim.decode().size()];
        double[] y = new double[x.length];
        int i = 0;
        for (Map.Entry<Integer, LaunchTiming> e : sim.decode().entrySet()) {
            x[i] = e.getKey();
            y[i++] = e.getValue().seconds() * 1e3;
        }
        SvgChart c = new SvgChart(title, "context (positions)", "decode step (ms)", false, false)
                .add(new SvgChart.Series("model (" + sim.hw().name() + ")", x, y, true, true));
        if (reference != null && !reference.isEmpty()) {
            c.add(new SvgChart.Series(referenceName, reference.keySet().stream().mapToDouble(Integer::doubleValue)
                    .toArray(), reference.values().stream().mapToDouble(Double::doubleValue).toArray(), false, true));
        }
        return c.render();
    }

    /**
     * The roofline of a configuration in INT8 MAC/s against MACs per HBM byte: the MV and MM compute ceilings, the
     * HBM roof at the own-channel efficiency, and the decode step and prefill chunk as timed.
     */
    public static String roofline(HardwareConfig hw, LaunchTiming decode, LaunchTiming prefill) {
        double bw = hw.hbm().peakGBps() * 1e9 * hw.hbm().ownChannelEfficiency();
        double mv = hw.peakMvMacsPerSecond();
        double mm = hw.peakMmMacsPerSecond();
        double lo = 0.1;
        double hi = 1000;
        SvgChart c = new SvgChart("Roofline: " + hw.name(), "INT8 MACs per HBM byte", "INT8 MAC/s", true, true);
        c.add(new SvgChart.Series("HBM roof (own-channel)", new double[]{lo, mm / bw}, new double[]{bw * lo, mm},
                true, false));
        c.add(new SvgChart.Series("MV peak (decode)", new double[]{mv / bw, hi}, new double[]{mv, mv}, true, false));
        c.add(new SvgChart.Series("MM peak (prefill)", new double[]{mm / bw, hi}, new double[]{mm, mm}, true, false));
        point(c, "decode step", decode);
        point(c, "prefill chunk", prefill);
        return c.render();
    }

    private static void point(SvgChart c, String name, LaunchTiming t) {
        if (t != null && t.hbmBytes() > 0) {
            c.add(new SvgChart.Series(name, new double[]{(double) t.macs() / t.hbmBytes()},
                    new double[]{t.macs() / t.seconds()}, false, true));
        }
    }
}
