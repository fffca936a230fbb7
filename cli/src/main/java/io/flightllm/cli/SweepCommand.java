package io.flightllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigException;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.hw.ResourceModel;
import io.flightllm.compiler.CompileException;
import io.flightllm.compiler.CompileOptions;
import io.flightllm.compiler.Compiler;
import io.flightllm.sim.report.DecodeCurve;
import io.flightllm.sim.report.LaunchSource;
import io.flightllm.sim.report.ProgramTimer;
import io.flightllm.sim.report.Simulation;
import io.flightllm.sim.report.SvgChart;
import io.flightllm.sim.report.Workload;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code flightllm sweep}: design-space exploration. Every combination of the hardware parameters (cores, MV
 * parallelism, clock, B buffer) and compression profiles is checked against the device with the analytical resource
 * model of {@code arch}, compiled shapes-only and timed at three decode contexts of the workload (linear between them);
 * the table marks the Pareto fronts of decode tokens/s against DSPs and against board power. The timing, energy and
 * efficiency parameters stay the preset's (calibrated, frozen): only architecture and compression vary.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Design-space exploration: decode tokens/s, DSPs, BRAM/URAM and watts of every combination of",
                "cores, MV parallelism, clock, B buffer size and compression profile that fits the device, with the",
                "Pareto fronts of tokens/s against DSPs and against power."})
final class SweepCommand implements Callable<Integer> {
    private final Console console;

    SweepCommand(Console console) {
        this.console = console;
    }

    @Option(names = {"-m", "--model"}, paramLabel = "M", defaultValue = "llama2-7b",
            description = "a built-in shape (default: llama2-7b) or a .flm file (then --profiles is ignored)")
    String model;

    @Option(names = {"-t", "--target"}, paramLabel = "T", defaultValue = HardwareConfigs.DEFAULT,
            description = "the base configuration: u280 (default), vhk158 or a file")
    String target;

    @Option(names = "--profiles", paramLabel = "P,...", defaultValue = "paper,w3",
            description = "compression profiles (default: paper,w3)")
    String profiles;

    @Option(names = "--cores", paramLabel = "N,...", description = "cores (default: the target's)")
    String cores;

    @Option(names = "--mv-rows", paramLabel = "N,...", defaultValue = "64,128",
            description = "MV-mode output rows per cycle (default: 64,128)")
    String mvRows;

    @Option(names = "--clock-mhz", paramLabel = "F,...", defaultValue = "225,300",
            description = "clock in MHz (default: 225,300)")
    String clock;

    @Option(names = "--b-kib", paramLabel = "K,...", defaultValue = "128,256",
            description = "B buffer per core in KiB (two weight tiles; META and SCALE grow with it to half its size; "
                    + "default: 128,256)")
    String bKib;

    @Option(names = "--workload", paramLabel = "P:D", defaultValue = "128:512",
            description = "the [prefill, decode] workload whose decode tokens/s is reported (default 128:512)")
    String workload;

    @Option(names = "--charts", paramLabel = "DIR", description = "write pareto-dsp.svg and pareto-power.svg")
    Path charts;

    @Option(names = "--threads", paramLabel = "T", description = "threads (default: all cores)")
    Integer threads;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    /** One evaluated design point. */
    record Point(String profile, HardwareConfig hw, ResourceModel.Estimate res, double tokensPerS, double watts,
                 double stepMsAtPrefill, long imageBytes, boolean dspFront, boolean powerFront) {
        Point withFronts(boolean dsp, boolean power) {
            return new Point(profile, hw, res, tokensPerS, watts, stepMsAtPrefill, imageBytes, dsp, power);
        }
    }

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        HardwareConfig base = HardwareConfigs.resolve(target);
        Workload w;
        try {
            List<Workload> ws = Workload.parseList(workload);
            if (ws.size() != 1) {
                throw new IllegalArgumentException("one workload expected, got " + ws.size());
            }
            w = ws.getFirst();
        } catch (IllegalArgumentException e) {
            throw new Main.UserInputException("--workload: " + e.getMessage());
        }
        // a .flm brings its own compression
        List<String> profileList = io.flightllm.model.BuiltinModels.has(model) ? List.of(profiles.split(","))
                : List.of("flm");
        List<Integer> coreList = cores == null ? List.of(base.cores()) : ints("--cores", cores);
        List<Integer> rowsList = ints("--mv-rows", mvRows);
        List<Double> clockList = doubles("--clock-mhz", clock);
        List<Integer> bList = ints("--b-kib", bKib);
        List<Point> points = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        int total = profileList.size() * coreList.size() * rowsList.size() * bList.size();
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("sweep").setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).continuousUpdate()
                .setConsumer(new ConsoleProgressBarConsumer(console.err())).build()) {
            for (String profile : profileList) {
                ModelShapes m = ModelShapes.resolve(model, profile.trim().equals("flm") ? "paper" : profile.trim(),
                        true, 0);
                for (int c : coreList) {
                    for (int rows : rowsList) {
                        for (int kib : bList) {
                            evaluate(base, m, profile.trim(), c, rows, kib, clockList, w, points, skipped);
                            bar.step();
                        }
                    }
                }
            }
        }
        points = fronts(points);
        points.sort(Comparator.comparingDouble(Point::tokensPerS).reversed());
        if (charts != null) {
            try {
                writeCharts(points);
            } catch (java.io.IOException e) {
                throw new Main.UserInputException("cannot write " + e.getMessage() + " (" + e.getClass().getSimpleName()
                        + ")");
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        PrintStream o = new PrintStream(console.out(), true, StandardCharsets.UTF_8);
        if (json) {
            o.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(toJson(base, w, points, skipped, seconds)));
        } else {
            print(o, base, w, points, skipped, seconds);
        }
        return 0;
    }

    private void evaluate(HardwareConfig base, ModelShapes m, String profile, int cores, int rows, int kib,
                          List<Double> clocks, Workload w, List<Point> out, List<String> skipped) {
        Map<String, String> ov = new LinkedHashMap<>();
        ov.put("cores", Integer.toString(cores));
        ov.put("mpe.mvRows", Integer.toString(rows));
        ov.put("buffers.bBytes", Long.toString(kib * 1024L));
        // META holds a tile's 4-bit positions and SCALE two tiles' scale groups: both grow with B
        ov.put("buffers.metaBytes", Long.toString(Math.max(base.buffers().metaBytes(), kib * 512L)));
        ov.put("buffers.scaleBytes", Long.toString(Math.max(base.buffers().scaleBytes(), kib * 512L)));
        String name = profile + " cores=" + cores + " mvRows=" + rows + " B=" + kib + "KiB";
        HardwareConfig hw;
        try {
            hw = HardwareConfigs.withOverrides(base, ov);
        } catch (HardwareConfigException e) {
            skipped.add(name + ": " + e.getMessage());
            return;
        }
        ResourceModel.Fit fit = ResourceModel.fit(hw);
        if (fit.known() && !fit.fits()) {
            skipped.add(name + ": does not fit: " + String.join("; ", fit.problems()));
            return;
        }
        Compiler c;
        try {
            c = new Compiler(m.shape(), new CompileOptions(hw, Math.max(w.lastContext() + 1, 64),
                    CompileOptions.DEFAULT_PREFILL_BUCKET, CompileOptions.DEFAULT_DECODE_BUCKET, true));
        } catch (CompileException e) {
            skipped.add(name + ": " + e.getMessage());
            return;
        }
        List<Integer> contexts = List.of(w.prefill(), (w.prefill() + w.lastContext()) / 2, w.lastContext());
        LaunchSource src = new CompilerLaunches(c, true);
        for (double mhz : clocks) {
            HardwareConfig clocked = HardwareConfigs.withOverrides(hw, Map.of("clockMhz", Double.toString(mhz)));
            Simulation sim = ProgramTimer.time(clocked, src, List.of(), contexts, Options.threads(threads),
                    (d, t) -> { });
            DecodeCurve curve = DecodeCurve.of(clocked, sim.decode());
            out.add(new Point(profile, clocked, ResourceModel.estimate(clocked), curve.tokensPerSecond(w),
                    curve.watts(w), curve.stepSeconds(w.prefill()) * 1e3, c.plannedImageBytes(), false, false));
        }
    }

    /** Marks the points no other point beats in both tokens/s and DSPs (resp. watts). */
    static List<Point> fronts(List<Point> points) {
        List<Point> out = new ArrayList<>();
        for (Point p : points) {
            boolean dsp = true;
            boolean power = true;
            for (Point q : points) {
                if (q == p) {
                    continue;
                }
                if (dominates(q.tokensPerS, p.tokensPerS, q.res.dsp(), p.res.dsp())) {
                    dsp = false;
                }
                if (dominates(q.tokensPerS, p.tokensPerS, q.watts, p.watts)) {
                    power = false;
                }
            }
            out.add(p.withFronts(dsp, power));
        }
        return out;
    }

    /** Whether (t1, c1) dominates (t2, c2): at least as fast and as cheap, and better in one. */
    private static boolean dominates(double t1, double t2, double c1, double c2) {
        return t1 >= t2 && c1 <= c2 && (t1 > t2 || c1 < c2);
    }

    private void writeCharts(List<Point> points) throws java.io.IOException {
        Files.createDirectories(charts);
        SimulateCommand.write(charts.resolve("pareto-dsp.svg"), pareto(points, "DSP slices", true));
        SimulateCommand.write(charts.resolve("pareto-power.svg"), pareto(points, "board power (W)", false));
        console.err().println("wrote " + charts.resolve("pareto-dsp.svg") + " and "
                + charts.resolve("pareto-power.svg"));
    }

    private static String pareto(List<Point> points, String xLabel, boolean dsp) {
        List<Point> front = points.stream().filter(p -> dsp ? p.dspFront : p.powerFront)
                .sorted(Comparator.comparingDouble(p -> dsp ? p.res.dsp() : p.watts)).toList();
        SvgChart c = new SvgChart("Sweep: decode tokens/s against " + (dsp ? "DSPs" : "power"), xLabel,
                "decode tokens/s", false, false);
        c.add(new SvgChart.Series("design points", points.stream().mapToDouble(p -> dsp ? p.res.dsp() : p.watts)
                .toArray(), points.stream().mapToDouble(Point::tokensPerS).toArray(), false, true));
        c.add(new SvgChart.Series("Pareto front", front.stream().mapToDouble(p -> dsp ? p.res.dsp() : p.watts)
                .toArray(), front.stream().mapToDouble(Point::tokensPerS).toArray(), true, true));
        return c.render();
    }

    private ObjectNode toJson(HardwareConfig base, Workload w, List<Point> points, List<String> skipped,
                              double seconds) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode n = om.createObjectNode();
        n.put("base", base.name());
        n.put("workload", w.toString());
        ArrayNode a = n.putArray("points");
        for (Point p : points) {
            ObjectNode o = a.addObject();
            o.put("profile", p.profile);
            o.put("cores", p.hw.cores());
            o.put("mv_rows", p.hw.mpe().mvRows());
            o.put("mm_rows", p.hw.mpe().mmRows());
            o.put("clock_mhz", p.hw.clockMhz());
            o.put("b_bytes", p.hw.buffers().bBytes());
            o.put("weight_image_bytes", p.imageBytes);
            o.put("dsp", p.res.dsp());
            o.put("bram36", p.res.bram36());
            o.put("uram", p.res.uram());
            o.put("decode_tokens_per_s", p.tokensPerS);
            o.put("decode_step_ms_at_prefill_context", p.stepMsAtPrefill);
            o.put("watts", p.watts);
            o.put("pareto_dsp", p.dspFront);
            o.put("pareto_power", p.powerFront);
        }
        ArrayNode s = n.putArray("skipped");
        skipped.forEach(s::add);
        n.put("seconds", seconds);
        return n;
    }

    private void print(PrintStream o, HardwareConfig base, Workload w, List<Point> points, List<String> skipped,
                       double seconds) {
        o.printf(Locale.ROOT, "sweep over %s, decode %s; fronts: D = tokens/s vs DSPs, P = tokens/s vs watts%n",
                base.name(), w);
        if (base.device() == null) {
            o.println("note: " + base.name() + " records no device resources: the fit is not checked");
        }
        o.printf(Locale.ROOT, "%-7s %5s %6s %7s %6s %9s %7s %6s %5s %9s %7s %6s%n", "profile", "cores", "mvRows",
                "clock", "B KiB", "image GB", "DSP", "BRAM", "URAM", "tok/s", "W", "front");
        for (Point p : points) {
            o.printf(Locale.ROOT, "%-7s %5d %6d %7.0f %6d %9.3f %7d %6d %5d %9.1f %7.1f %6s%n", p.profile,
                    p.hw.cores(), p.hw.mpe().mvRows(), p.hw.clockMhz(), p.hw.buffers().bBytes() / 1024,
                    p.imageBytes / 1e9, p.res.dsp(), p.res.bram36(), p.res.uram(), p.tokensPerS, p.watts,
                    (p.dspFront ? "D" : "") + (p.powerFront ? "P" : ""));
        }
        for (String s : skipped) {
            o.println("skipped " + s);
        }
        o.printf(Locale.ROOT, "%d points in %.1f s%n", points.size(), seconds);
    }

    private static List<Integer> ints(String option, String text) {
        List<Integer> out = new ArrayList<>();
        for (String s : text.split(",")) {
            int v;
            try {
                v = Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                throw new Main.UserInputException(option + ": '" + s + "' is not an integer");
            }
            if (v < 1) { // every axis is a count or a size: a point with 0 would be skipped, every time
                throw new Main.UserInputException(option + ": " + v + " must be at least 1");
            }
            out.add(v);
        }
        return out;
    }

    private static List<Double> doubles(String option, String text) {
        List<Double> out = new ArrayList<>();
        for (String s : text.split(",")) {
            double v;
            try {
                v = Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                throw new Main.UserInputException(option + ": '" + s + "' is not a number");
            }
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new Main.UserInputException(option + ": " + s.trim() + " must be a finite value > 0");
            }
            out.add(v);
        }
        return out;
    }
}
