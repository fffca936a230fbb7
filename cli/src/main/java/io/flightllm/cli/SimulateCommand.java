package io.flightllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.program.FlpReader;
import io.flightllm.compiler.CompileOptions;
import io.flightllm.compiler.Compiler;
import io.flightllm.sim.report.Charts;
import io.flightllm.sim.report.ChromeTrace;
import io.flightllm.sim.report.FlpLaunchSource;
import io.flightllm.sim.report.LaunchSource;
import io.flightllm.sim.report.PaperNumbers;
import io.flightllm.sim.report.ProgramTimer;
import io.flightllm.sim.report.Simulation;
import io.flightllm.sim.report.Workload;
import io.flightllm.sim.report.WorkloadResult;
import io.flightllm.sim.timing.CostModel;
import io.flightllm.sim.timing.Launch;
import io.flightllm.sim.timing.LaunchTiming;
import io.flightllm.sim.timing.TimingEngine;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code flightllm simulate}: times a program on the cycle-level timing model (docs/timing.md) and reports the paper's
 * workloads. Without arguments: LLaMA2-7B's shape with the {@code paper} profile, compiled shapes-only for u280 in
 * memory, every bucket the six workloads of BRIEF.md section 5 need timed once.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time a program on the cycle-level timing, energy and cost model: decode-step and prefill",
                "latency, tokens/s, token/J, token/s per dollar, unit busy fractions and HBM utilization for",
                "[prefill, decode] workloads (default: the paper's six). Compiles shapes only; no weights needed."})
final class SimulateCommand implements Callable<Integer> {
    /** Contexts of {@code decode_step_ms_by_context}. */
    static final List<Integer> REPORT_CONTEXTS = List.of(128, 512, 1024, 1536, 2048);

    private final Console console;

    SimulateCommand(Console console) {
        this.console = console;
    }

    @Option(names = {"-m", "--model"}, paramLabel = "M", defaultValue = "llama2-7b",
            description = "a .flm file, or a built-in shape (default: llama2-7b) compressed with --profile")
    String model;

    @Option(names = "--profile", paramLabel = "P", defaultValue = "paper",
            description = "compression profile of a built-in shape: w8, w4, w3, w2, w4s8, mixed, paper (default)")
    String profile;

    @Option(names = {"-t", "--target"}, paramLabel = "T",
            description = "u280 (default), vhk158, or a JSON/YAML hardware config file")
    String target;

    @Option(names = {"-p", "--program"}, paramLabel = "F.flp",
            description = "time the streams of this program instead of compiling --model")
    Path program;

    @Option(names = "--workloads", paramLabel = "P:D,...",
            description = "[prefill, decode] workloads, e.g. 128:512,512:1024 (default: the paper's six)")
    String workloads;

    @Option(names = "--context", paramLabel = "N", defaultValue = "2048",
            description = "longest context compiled (capped by the model's; default 2048)")
    int context;

    @Option(names = "--trace", paramLabel = "FILE.json",
            description = "write a Chrome trace-event timeline (Perfetto) of one decode step")
    Path trace;

    @Option(names = "--trace-context", paramLabel = "N", defaultValue = "128",
            description = "context of the traced decode step (default 128)")
    int traceContext;

    @Option(names = "--trace-events", paramLabel = "N", defaultValue = "200000",
            description = "most instructions kept in the trace (default 200000)")
    int traceEvents;

    @Option(names = "--charts", paramLabel = "DIR",
            description = "write decode-latency.svg and roofline.svg into DIR")
    Path charts;

    @Option(names = "--threads", paramLabel = "T", description = "threads (default: all cores)")
    Integer threads;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        List<Workload> work;
        try {
            work = workloads == null ? Workload.PAPER : Workload.parseList(workloads);
        } catch (IllegalArgumentException e) {
            throw new Main.UserInputException("--workloads: " + e.getMessage());
        }
        if (context < 1 || traceEvents < 1) {
            throw new Main.UserInputException("--context and --trace-events must be positive");
        }
        try (Arena arena = Arena.ofShared()) {
            Setup s = program != null ? fromProgram(arena) : fromModel();
            int longest = work.stream().mapToInt(Workload::lastContext).max().orElse(1);
            if (longest > s.source.decodeBuckets().getLast()) {
                throw new Main.UserInputException("workload context " + longest + " exceeds the program's longest "
                        + "decode bucket " + s.source.decodeBuckets().getLast() + "; use a larger --context");
            }
            List<Integer> contexts = REPORT_CONTEXTS.stream().filter(c -> c <= s.source.decodeBuckets().getLast())
                    .toList();
            Simulation sim;
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("simulate").setInitialMax(1)
                    .setStyle(ProgressBarStyle.ASCII).continuousUpdate()
                    .setConsumer(new ConsoleProgressBarConsumer(console.err())).build()) {
                sim = ProgramTimer.time(s.hw, s.source, work, contexts, Options.threads(threads), (done, total) -> {
                    bar.maxHint(total);
                    bar.stepTo(done);
                });
            }
            List<WorkloadResult> results = new ArrayList<>();
            for (Workload w : work) {
                results.add(sim.run(w, s.imageBytes));
            }
            try {
                if (trace != null) {
                    writeTrace(s);
                }
                if (charts != null) {
                    writeCharts(s.hw, sim, s.paperModel);
                }
            } catch (IOException e) {
                throw new Main.UserInputException("cannot write " + (e.getMessage() == null ? "output" : e.getMessage())
                        + " (" + e.getClass().getSimpleName() + ")");
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            PrintStream o = new PrintStream(console.out(), true, StandardCharsets.UTF_8);
            if (json) {
                o.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(toJson(s, sim, contexts, results, seconds)));
            } else {
                print(o, s, sim, contexts, results, seconds);
            }
        }
        return 0;
    }

    /** What is being timed. */
    private record Setup(HardwareConfig hw, LaunchSource source, String model, long imageBytes, String densities,
                         boolean paperModel) {
    }

    /**
     * True for LLaMA2-7B's shape (any layer count, so llama2-7b-2l too): the paper's and the board's numbers, and the
     * GPU figures of Figure 1, are LLaMA2-7B's and are compared only with it.
     */
    static boolean isPaperModel(String family, int dim, int hidden, int vocab) {
        io.flightllm.model.ModelConfig l = io.flightllm.model.BuiltinModels.get("llama2-7b");
        return family.equals(l.family().name()) && dim == l.dim() && hidden == l.hiddenDim() && vocab == l.vocabSize();
    }

    private Setup fromModel() {
        HardwareConfig hw = HardwareConfigs.resolve(target == null ? HardwareConfigs.DEFAULT : target);
        ModelShapes m = ModelShapes.resolve(model, profile, true, 0);
        Compiler c = new Compiler(m.shape(), new CompileOptions(hw, context, CompileOptions.DEFAULT_PREFILL_BUCKET,
                CompileOptions.DEFAULT_DECODE_BUCKET, true));
        Options.noteContextCap(console, "flightllm simulate", context, c);
        io.flightllm.model.ModelConfig mc = m.shape().config();
        return new Setup(hw, new CompilerLaunches(c, false), m.name(), c.plannedImageBytes(),
                "block densities of every tile (compiler)",
                isPaperModel(mc.family().name(), mc.dim(), mc.hiddenDim(), mc.vocabSize()));
    }

    private Setup fromProgram(Arena arena) {
        FlpReader r = FlpReader.open(program, arena);
        HardwareConfig hw = r.program().target();
        if (target != null) {
            HardwareConfig want = HardwareConfigs.resolve(target);
            if (!want.equals(hw)) {
                throw new Main.UserInputException(program + " was compiled for " + hw.name() + ", which differs from "
                        + "--target " + target + "; recompile it for that target or drop --target");
            }
        }
        FlpLaunchSource src = new FlpLaunchSource(r);
        long image = r.program().weightImage().values().stream().mapToLong(n -> r.payload(n).byteSize()).sum();
        var abi = r.program().model();
        return new Setup(hw, src, program.getFileName().toString(), image, src.exactDensities()
                ? "block densities from the weight image" : "mean density per tile (shapes-only program)",
                isPaperModel(abi.family(), abi.dim(), abi.hiddenDim(), abi.vocab()));
    }

    private void writeTrace(Setup s) throws IOException {
        int bucket = LaunchSource.bucketOf(s.source.decodeBuckets(), traceContext);
        Launch l = s.source.launch(false, bucket);
        ChromeTrace t = new ChromeTrace(l, s.hw.clockHz(), traceEvents);
        new TimingEngine(new CostModel(s.hw), Isa.TOKEN_DEPTH).run(l, t);
        t.write(trace);
        console.err().printf(Locale.ROOT, "wrote %s: decode step at context %d, %d instructions%s%n", trace,
                traceContext, t.events(), t.dropped() > 0 ? " (" + t.dropped() + " later ones left out)" : "");
    }

    private void writeCharts(HardwareConfig hw, Simulation sim, boolean paperModel) throws IOException {
        Files.createDirectories(charts);
        Map<Integer, Double> ref = !paperModel ? Map.of() : hw.name().equals("u280") ? PaperNumbers.U280_STEP_MS
                : hw.name().equals("vhk158") ? PaperNumbers.VHK158_STEP_MS : Map.of();
        write(charts.resolve("decode-latency.svg"), Charts.decodeLatency(sim, "Decode step latency: " + hw.name(),
                new java.util.TreeMap<>(ref), "paper"));
        LaunchTiming d = sim.decode().values().iterator().next();
        LaunchTiming p = sim.prefill().isEmpty() ? null : sim.prefill().values().iterator().next();
        write(charts.resolve("roofline.svg"), Charts.roofline(hw, d, p));
        console.err().println("wrote " + charts.resolve("decode-latency.svg") + " and "
                + charts.resolve("roofline.svg"));
    }

    static void write(Path file, String text) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, text);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static Map<Integer, Double> stepMs(Simulation sim, List<Integer> contexts) {
        Map<Integer, Double> m = new LinkedHashMap<>();
        for (int c : contexts) {
            m.put(c, sim.decodeStep(c).seconds() * 1e3);
        }
        return m;
    }

    private ObjectNode toJson(Setup s, Simulation sim, List<Integer> contexts, List<WorkloadResult> results,
                              double seconds) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode n = om.createObjectNode();
        n.put("target", s.hw.name());
        n.put("model", s.model);
        n.put("weight_image_bytes", s.imageBytes);
        n.put("densities", s.densities);
        ObjectNode steps = n.putObject("decode_step_ms_by_context");
        stepMs(sim, contexts).forEach((c, ms) -> steps.put(Integer.toString(c), ms));
        ArrayNode ws = n.putArray("workloads");
        for (WorkloadResult r : results) {
            ObjectNode w = ws.addObject();
            w.put("prefill", r.workload().prefill());
            w.put("decode", r.workload().decode());
            w.put("prefill_ms", r.prefillMs());
            w.put("decode_ms", r.decodeMs());
            w.put("decode_tokens_per_s", r.decodeTokensPerS());
            w.put("end_to_end_tokens_per_s", r.endToEndTokensPerS());
            putNullable(w, "watts", r.watts());
            putNullable(w, "tokens_per_joule", r.tokensPerJoule());
            putNullable(w, "tokens_per_s_per_dollar", r.tokensPerSPerDollar());
            w.put("hbm_utilization", r.hbmUtilization());
            w.put("achieved_gb_per_s", r.achievedGBps());
            w.put("dsp_utilization", r.dspUtilization());
            ObjectNode busy = w.putObject("busy");
            r.busy().forEach((q, v) -> busy.put(q.name(), v));
        }
        n.put("geomean_decode_tokens_per_s", Simulation.geomean(results));
        n.put("buckets_timed", sim.decode().size() + sim.prefill().size());
        n.put("seconds", seconds);
        return n;
    }

    private static void putNullable(ObjectNode n, String key, Double v) {
        if (v == null) {
            n.putNull(key);
        } else {
            n.put(key, v);
        }
    }

    private void print(PrintStream o, Setup s, Simulation sim, List<Integer> contexts, List<WorkloadResult> results,
                       double seconds) {
        HardwareConfig hw = s.hw;
        o.printf(Locale.ROOT, "target %s: %d cores at %.0f MHz, HBM %.1f GB/s in %d channels%n", hw.name(),
                hw.cores(), hw.clockMhz(), hw.hbm().peakGBps(), hw.hbm().channels());
        String board = s.paperModel ? String.format(Locale.ROOT,
                " (the U280 board's: %.2f GB, %+.1f%%)", PaperNumbers.U280_IMAGE_BYTES / 1e9,
                100.0 * (s.imageBytes - PaperNumbers.U280_IMAGE_BYTES) / PaperNumbers.U280_IMAGE_BYTES) : "";
        o.printf(Locale.ROOT, "model %s: weight image %.3f GB%s; %s%n", s.model, s.imageBytes / 1e9, board,
                s.densities);
        StringBuilder steps = new StringBuilder("decode step (ms) by context:");
        stepMs(sim, contexts).forEach((c, ms) -> steps.append(String.format(Locale.ROOT, "  %d: %.2f", c, ms)));
        o.println(steps);
        int longest = sim.decodeBuckets().getLast();
        Map<Integer, Double> paperSteps = new java.util.TreeMap<>(!s.paperModel ? Map.of()
                : hw.name().equals("u280") ? PaperNumbers.U280_STEP_MS
                : hw.name().equals("vhk158") ? PaperNumbers.VHK158_STEP_MS : Map.of());
        paperSteps.keySet().removeIf(c -> c > longest || !sim.decode().containsKey(
                LaunchSource.bucketOf(sim.decodeBuckets(), c)));
        if (!paperSteps.isEmpty()) {
            StringBuilder p = new StringBuilder("paper (" + hw.name() + "):");
            paperSteps.forEach((c, ms) -> p.append(String.format(Locale.ROOT,
                    "  %d: %.2f (model %.2f, %+.1f%%)", c, ms, sim.decodeStep(c).seconds() * 1e3,
                    100 * (sim.decodeStep(c).seconds() * 1e3 - ms) / ms)));
            o.println(p);
        }
        boolean vhkPaper = s.paperModel && hw.name().equals("vhk158");
        o.printf(Locale.ROOT, "%-13s %10s %12s %10s %7s %8s %8s %8s%s%n", "workload", "prefill ms", "decode tok/s",
                "e2e tok/s", "W", "token/J", "HBM util", "DSP util", vhkPaper ? "  paper tok/s" : "");
        for (WorkloadResult r : results) {
            Double paper = vhkPaper ? PaperNumbers.VHK158_TOKENS_PER_S.get(r.workload()) : null;
            o.printf(Locale.ROOT, "%-13s %10.1f %12.1f %10.1f %7s %8s %7.1f%% %7.1f%%%s%n", r.workload(),
                    r.prefillMs(), r.decodeTokensPerS(), r.endToEndTokensPerS(), fmt(r.watts(), "%.1f"),
                    fmt(r.tokensPerJoule(), "%.3f"), 100 * r.hbmUtilization(), 100 * r.dspUtilization(),
                    paper == null ? "" : String.format(Locale.ROOT, "  %.1f (%+.1f%%)", paper,
                            100 * (r.decodeTokensPerS() - paper) / paper));
        }
        double g = Simulation.geomean(results);
        o.printf(Locale.ROOT, "%-13s %10s %12.1f%s%n", "geomean", "", g, vhkPaper
                && work().equals(Workload.PAPER) ? String.format(Locale.ROOT, "   (paper %.1f, %+.1f%%)",
                PaperNumbers.VHK158_GEOMEAN, 100 * (g - PaperNumbers.VHK158_GEOMEAN) / PaperNumbers.VHK158_GEOMEAN)
                : "");
        WorkloadResult first = results.getFirst();
        StringBuilder busy = new StringBuilder("busy during decode " + first.workload() + ":");
        for (Queue q : Queue.values()) {
            busy.append(String.format(Locale.ROOT, " %s %.0f%%", q, 100 * first.busy().get(q)));
        }
        o.println(busy);
        if (first.tokensPerJoule() != null && s.paperModel) {
            double v100 = PaperNumbers.V100_TOKENS_PER_S / PaperNumbers.V100_WATTS;
            o.printf(Locale.ROOT, "energy efficiency %s: %.2fx the V100 of Figure 1 (%.3f token/J), %.2fx the H200 "
                    + "(%.2f token/J)%n", first.workload(), first.tokensPerJoule() / v100, v100,
                    first.tokensPerJoule() / PaperNumbers.H200_TOKENS_PER_JOULE, PaperNumbers.H200_TOKENS_PER_JOULE);
        }
        if (first.tokensPerSPerDollar() != null && s.paperModel) {
            double v100 = PaperNumbers.V100_TOKENS_PER_S / PaperNumbers.V100_PRICE_USD;
            o.printf(Locale.ROOT, "cost efficiency %s: %.2fx the V100 of Figure 1 (%.4f token/s per $)%n",
                    first.workload(), first.tokensPerSPerDollar() / v100, v100);
        }
        o.printf(Locale.ROOT, "timed %d buckets in %.1f s%n", sim.decode().size() + sim.prefill().size(), seconds);
    }

    private List<Workload> work() {
        return workloads == null ? Workload.PAPER : Workload.parseList(workloads);
    }

    private static String fmt(Double v, String f) {
        return v == null ? "-" : String.format(Locale.ROOT, f, v);
    }
}
