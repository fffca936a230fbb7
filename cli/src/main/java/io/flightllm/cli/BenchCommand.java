package io.flightllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.DensityPlan;
import io.flightllm.compress.IndexChoice;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.compress.flm.FlmReader;
import io.flightllm.model.Model;
import io.flightllm.model.bench.DecodeBench;
import io.flightllm.model.bench.MemoryBandwidth;
import io.flightllm.model.bench.RandomLlama;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.forward.VectorMatVec;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.runtime.Backend;
import io.flightllm.twin.TwinForward;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flightllm bench}: measured prefill and decode speed of the fp32 reference on this machine, the weight bytes
 * each decode step reads, and the DRAM read bandwidth measured in the same run, so the achieved fraction of the memory
 * bandwidth is visible next to tokens/s (see DESIGN.md "Metric definitions").
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure prefill/decode tokens/s, weight bytes per token, achieved GB/s and the DRAM read "
                + "bandwidth.", "Without --model, a random-weight FP32 LLaMA model is generated in memory "
                + "(fixed seed). Progress goes to standard error; the report to standard output."})
final class BenchCommand implements Callable<Integer> {
    private final Console console;

    BenchCommand(Console console) {
        this.console = console;
    }

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "M",
            description = "checkpoint to measure (default: a random model, see --random-shape)")
    Path model;

    @Option(names = "--random-shape", paramLabel = "S", defaultValue = "tinyllama-4l",
            description = "shape of the random model: tinyllama-4l (dim 2048, hidden 5632, 4 layers, 32 heads, "
                    + "4 KV heads, vocab 32000, seq_len 2048; ~965 MB) or tiny (default: ${DEFAULT-VALUE})")
    String randomShape;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42",
            description = "seed of the random weights and prompt tokens (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "ref",
            description = "ref (fp32 reference; a checkpoint or the random model) or twin (CPU twin: --model F.flm, or the "
                    + "random model compressed in memory with --profile, against fp32 in the same run)")
    String backend;

    @Option(names = "--profile", paramLabel = "P", defaultValue = "w8",
            description = "with --backend twin and no --model: the compression profile applied (round to nearest) to "
                    + "the random model in memory: w8, w4, w3, w2, w4s8, mixed, paper (default: w8)")
    String profile;

    @Option(names = "--index-encoding", paramLabel = "E", defaultValue = "auto",
            description = "with --profile: how sparse blocks store positions: positions4, mask16 or auto (the cheaper "
                    + "per linear; default)")
    String indexEncoding;

    @Option(names = "--compare-dense", description = "with --profile: also run the profile with every block dense "
            + "(same bits and G) in the same run and report speedup_over_dense")
    boolean compareDense;

    @Option(names = "--llamacpp", description = "with --backend twin and no --model: also decode the same FP32 "
            + "weights written as a Q4_0 GGUF with llama.cpp (the de.kherud:llama binding) in the same run")
    boolean llamacpp;

    @Option(names = "--kernels", paramLabel = "K", defaultValue = "vector",
            description = Options.KERNELS_HELP + " (default: vector)")
    String kernels;

    @Option(names = "--threads", paramLabel = "T", description = "threads (default: all cores)")
    Integer threads;

    @Option(names = "--prompt-tokens", paramLabel = "P", defaultValue = "128",
            description = "prompt tokens, run as one batched prefill (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--generate", paramLabel = "D", defaultValue = "128",
            description = "decode steps (default: ${DEFAULT-VALUE})")
    int generate;

    @Option(names = "--warmup", paramLabel = "W", defaultValue = "1",
            description = "unmeasured repetitions first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--repetitions", paramLabel = "R", defaultValue = "5",
            description = "measured repetitions; medians are reported (default: ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--memory", description = "only measure the DRAM read bandwidth")
    boolean memoryOnly;

    @Option(names = "--memory-mib", paramLabel = "N", defaultValue = "1024",
            description = "buffer for the bandwidth measurement, in MiB (default: ${DEFAULT-VALUE}; at least 1024 "
                    + "for the reported metric)")
    int memoryMib;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Option(names = "--program", paramLabel = "P", description = "with --backend sim: time decode steps of a "
            + "compiled .flp on the functional simulator (sim_decode_step_ms, sim_instructions_per_s)")
    Path program;

    @Override
    public Integer call() throws Exception {
        if (program != null || "sim".equals(backend)) {
            if (program == null || !"sim".equals(backend)) {
                throw new Main.UserInputException("the simulator benchmark takes --backend sim --program P.flp");
            }
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("machine", machine());
            SimBench.run(program, generate, warmup, report, this::progress);
            print(report);
            return 0;
        }
        int t = Options.threads(threads);
        if (memoryMib < 1 || memoryMib > 1 << 20) {
            throw new Main.UserInputException("--memory-mib is " + memoryMib + "; expected 1 to 1048576");
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("machine", machine());
        if (!memoryOnly) {
            benchModel(t, report);
        }
        progress("measuring DRAM read bandwidth: " + t + " thread(s) summing " + memoryMib + " MiB, best of 5");
        MemoryBandwidth.Result mem = MemoryBandwidth.measure((long) memoryMib << 20, t, 5);
        report.put("dram_read_gb_per_s", round(mem.bestGbPerS(), 2));
        report.put("dram_read_runs_gb_per_s", mem.runsGbPerS().stream().map(v -> round(v, 2)).toList());
        report.put("dram_buffer_bytes", mem.bytes());
        report.put("dram_threads", mem.threads());
        if (!memoryOnly) {
            double achieved = (double) report.get("achieved_gb_per_s");
            report.put("achieved_over_dram", round(achieved / mem.bestGbPerS(), 3));
        }
        print(report);
        return 0;
    }

    private void benchModel(int t, Map<String, Object> report) {
        DecodeBench.Workload w;
        try {
            w = new DecodeBench.Workload(promptTokens, generate, warmup, repetitions);
        } catch (IllegalArgumentException e) {
            throw new Main.UserInputException(e.getMessage());
        }
        if (!"ref".equals(backend)) {
            benchBackend(t, w, report);
            return;
        }
        refuseGiven("apply to the twin's random model (--backend twin without --model); this run times the fp32 "
                + "reference", COMPRESSION_OPTIONS);
        Model m;
        if (model != null) {
            progress("loading " + model);
            m = ModelLoader.load(model);
            report.put("model", model.toString());
        } else {
            RandomLlama.Shape shape;
            try {
                shape = RandomLlama.Shape.parse(randomShape);
            } catch (IllegalArgumentException e) {
                throw new Main.UserInputException("--random-shape: " + e.getMessage());
            }
            progress("generating random FP32 weights (" + shape.cliName() + ", seed " + seed + ")");
            m = RandomLlama.create(shape, seed);
            report.put("model", "random:" + shape.cliName());
        }
        try (m; MatVec mv = Options.matVec(kernels, t)) {
            if (w.contextLength() > m.config().seqLen()) {
                throw new Main.UserInputException("--prompt-tokens + --generate = " + w.contextLength()
                        + " positions; the model's context is " + m.config().seqLen());
            }
            var c = m.config();
            Map<String, Object> shape = new LinkedHashMap<>();
            shape.put("dim", c.dim());
            shape.put("hidden_dim", c.hiddenDim());
            shape.put("n_layers", c.nLayers());
            shape.put("n_heads", c.nHeads());
            shape.put("n_kv_heads", c.nKvHeads());
            shape.put("vocab_size", c.vocabSize());
            shape.put("seq_len", c.seqLen());
            report.put("shape", shape);
            report.put("kernels", mv.name());
            report.put("threads", t);
            report.put("prompt_tokens", w.promptTokens());
            report.put("generated_tokens", w.generatedTokens());
            report.put("warmup", w.warmup());
            report.put("repetitions", w.repetitions());
            progress(String.format(Locale.ROOT, "running %d+%d tokens x (%d warm-up + %d) with %s",
                    w.promptTokens(), w.generatedTokens(), w.warmup(), w.repetitions(), mv.name()));
            DecodeBench.Result r = DecodeBench.run(m, mv, w, seed, this::progress);
            report.put("prefill_tokens_per_s", round(r.prefillTokensPerS(), 2));
            report.put("decode_tokens_per_s", round(r.decodeTokensPerS(), 3));
            report.put("weight_bytes_per_token", r.weightBytesPerToken());
            report.put("kv_cache_bytes_per_token", Math.round(r.kvCacheBytesPerToken()));
            report.put("achieved_gb_per_s", round(r.achievedGbPerS(), 2));
            report.put("prefill_runs_tokens_per_s",
                    r.runs().stream().map(x -> round(x.prefillTokensPerS(), 2)).toList());
            report.put("decode_runs_tokens_per_s",
                    r.runs().stream().map(x -> round(x.decodeTokensPerS(), 3)).toList());
        } catch (IllegalArgumentException e) {
            throw new Main.UserInputException(e.getMessage());
        }
    }

    /** The options that shape the twin's in-memory compression of the random model. */
    private static final List<String> COMPRESSION_OPTIONS = List.of("--profile", "--index-encoding", "--compare-dense",
            "--llamacpp");

    /** A user error naming the first of {@code options} given on the command line: here it would change nothing. */
    private void refuseGiven(String why, List<String> options) {
        for (String o : options) {
            if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
                throw new Main.UserInputException(o + " is given, but the compression options " + why);
            }
        }
    }

    /**
     * A non-reference backend through the same workload and report fields: the twin over a .flm, or, without
     * --model, over the random model compressed in memory with --profile, measured against the fp32 reference
     * (--kernels) on the same weights in the same run.
     */
    private void benchBackend(int t, DecodeBench.Workload w, Map<String, Object> report) {
        if (!"twin".equals(backend)) {
            throw new Main.UserInputException("--backend is '" + backend + "'; expected one of " + Backend.NAMES);
        }
        if (model != null) {
            refuseGiven("apply to the random model compressed in memory (no --model); " + model + " is compressed "
                    + "already", COMPRESSION_OPTIONS);
            progress("loading " + model);
            if (!Backend.isFlm(model)) {
                throw new Main.UserInputException(model + ": --backend twin runs a compressed .flm; make one with "
                        + "'flightllm compress --model " + model + " --out M.flm'");
            }
            CompressedModel cm = FlmReader.read(model); // the model itself: its MACs and bits per weight are reported
            try (TwinForward f = new TwinForward(cm, t, w.contextLength())) {
                report.put("model", model.toString());
                twinReport(f, cm, t, w, report, "");
            }
            return;
        }
        RandomLlama.Shape shape;
        CompressionProfile p;
        try {
            shape = RandomLlama.Shape.parse(randomShape);
            p = CompressionProfile.named(profile).withIndex(IndexChoice.fromId(indexEncoding));
        } catch (IllegalArgumentException e) {
            throw new Main.UserInputException(e.getMessage());
        }
        progress("generating random FP32 weights (" + shape.cliName() + ", seed " + seed + ")");
        try (Model m = RandomLlama.create(shape, seed)) {
            report.put("model", "random:" + shape.cliName());
            try (MatVec mv = Options.matVec(kernels, t)) {
                progress("fp32 reference (" + mv.name() + ") on the same weights");
                DecodeBench.Result ref = DecodeBench.run(m, mv, w, seed, this::progress);
                report.put("fp32_decode_tokens_per_s", round(ref.decodeTokensPerS(), 3));
                report.put("fp32_weight_bytes_per_token", ref.weightBytesPerToken());
                report.put("fp32_achieved_gb_per_s", round(ref.achievedGbPerS(), 2));
            }
            progress("compressing in memory with profile " + p.describe());
            CompressedModel cm = compress(m, p);
            report.put("profile", p.describe());
            try (TwinForward f = new TwinForward(cm, t, w.contextLength())) {
                twinReport(f, cm, t, w, report, "");
            }
            cm = null;
            double fp32 = (double) report.get("fp32_decode_tokens_per_s");
            double twin = (double) report.get("decode_tokens_per_s");
            report.put("speedup_over_fp32", round(twin / fp32, 3));
            report.put("byte_reduction_vs_fp32", round((double) (long) report.get("fp32_weight_bytes_per_token")
                    / (long) report.get("weight_bytes_per_token"), 3));
            if (compareDense) {
                CompressionProfile dense = p.withDensity(java.util.Arrays.asList(LinearKind.values()),
                        new DensityPlan.Dense()).withName(p.name() + "-dense");
                progress("compressing in memory with profile " + dense.describe());
                CompressedModel dm = compress(m, dense);
                try (TwinForward f = new TwinForward(dm, t, w.contextLength())) {
                    twinReport(f, dm, t, w, report, "dense_");
                }
                report.put("speedup_over_dense", round(twin / (double) report.get("dense_decode_tokens_per_s"), 3));
            }
            if (llamacpp) {
                llamaCppReport(m, t, w, twin, report);
            }
        } catch (IllegalArgumentException e) {
            throw new Main.UserInputException(e.getMessage());
        }
    }

    private static CompressedModel compress(Model m, CompressionProfile p) {
        return new ModelCompressor(p, LinearCompressor.roundToNearest(), "rtn")
                .toModel(new ModelWeightSource(m), null, (layer, kind, done, total) -> { });
    }

    /** The twin's fields ({@code prefix} = "" for the measured model, "dense_" for the dense comparison). */
    private void twinReport(io.flightllm.model.forward.Forward f, CompressedModel cm, int t, DecodeBench.Workload w,
                            Map<String, Object> report, String prefix) {
        if (prefix.isEmpty()) {
            report.put("backend", f.name());
            report.put("threads", t);
            report.put("prompt_tokens", w.promptTokens());
            report.put("generated_tokens", w.generatedTokens());
        }
        DecodeBench.Result r;
        try {
            r = DecodeBench.run(f, TwinForward.weightBytesPerToken(cm), TwinForward.kvBytesPerPosition(cm), w, seed,
                    this::progress);
        } catch (IllegalArgumentException e) {
            throw new Main.UserInputException(e.getMessage());
        }
        long macs = TwinForward.macsPerToken(cm);
        report.put(prefix + "prefill_tokens_per_s", round(r.prefillTokensPerS(), 2));
        report.put(prefix + "decode_tokens_per_s", round(r.decodeTokensPerS(), 3));
        report.put(prefix + "weight_bytes_per_token", r.weightBytesPerToken());
        report.put(prefix + "bits_per_weight", round(TwinForward.bitsPerWeight(cm), 4));
        report.put(prefix + "index_encodings", indexEncodings(cm));
        report.put(prefix + "kv_cache_bytes_per_token", Math.round(r.kvCacheBytesPerToken()));
        report.put(prefix + "achieved_gb_per_s", round(r.achievedGbPerS(), 2));
        report.put(prefix + "linear_macs_per_token", macs);
        report.put(prefix + "gmac_per_s", round(macs * r.decodeTokensPerS() / 1e9, 2));
        report.put(prefix + "decode_runs_tokens_per_s",
                r.runs().stream().map(x -> round(x.decodeTokensPerS(), 3)).toList());
    }

    /** How many sparse linears use each index encoding ("none" when no linear has a sparse block). */
    private static String indexEncodings(CompressedModel cm) {
        Map<String, Integer> n = new java.util.TreeMap<>();
        for (CompressedLinear l : cm.linears()) {
            if (l.positions().length > 0) {
                n.merge(l.indexEncoding().id(), 1, Integer::sum);
            }
        }
        return n.isEmpty() ? "none" : n.toString();
    }

    /** llama.cpp's Q4_0 on the same FP32 weights; a binding that cannot load or run is reported, not hidden. */
    private void llamaCppReport(Model m, int t, DecodeBench.Workload w, double twin, Map<String, Object> report) {
        Path dir;
        try {
            dir = Files.createTempDirectory("flightllm-bench");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create a temporary directory: " + e.getMessage(), e);
        }
        try {
            LlamaCppBaseline.Result r = LlamaCppBaseline.run(m, t, w, dir, this::progress);
            report.put("llamacpp_q4_0_decode_tokens_per_s", round(r.decodeTokensPerS(), 3));
            report.put("llamacpp_q4_0_weight_bytes_per_token", r.weightBytesPerToken());
            report.put("llamacpp_q4_0_achieved_gb_per_s", round(r.achievedGbPerS(), 2));
            report.put("llamacpp_q4_0_prompt_tokens", r.promptTokens());
            report.put("llamacpp_q4_0_decode_runs_tokens_per_s", r.runs().stream().map(x -> round(x, 3)).toList());
            report.put("speedup_over_llamacpp_q4_0", round(twin / r.decodeTokensPerS(), 3));
        } catch (RuntimeException | LinkageError e) {
            String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
            progress("llama.cpp baseline failed: " + msg);
            report.put("llamacpp_q4_0_error", msg);
        } finally {
            try {
                Files.deleteIfExists(dir);
            } catch (java.io.IOException ignored) {
                // a leftover empty directory is harmless
            }
        }
    }

    private void print(Map<String, Object> report) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().writeValueAsString(report));
        } else {
            int width = report.keySet().stream().mapToInt(String::length).max().orElse(10);
            for (Map.Entry<String, Object> e : report.entrySet()) {
                out.printf(Locale.ROOT, "%-" + width + "s  %s%n", e.getKey(), format(e.getValue()));
            }
        }
        out.flush();
    }

    private static String format(Object v) {
        if (v instanceof Map<?, ?> map) {
            StringBuilder sb = new StringBuilder();
            map.forEach((k, x) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append('=').append(x));
            return sb.toString();
        }
        if (v instanceof List<?> list) {
            return list.toString();
        }
        return String.valueOf(v);
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    private void progress(String line) {
        console.err().println("bench: " + line);
        console.err().flush();
    }

    /** What the numbers were measured on. */
    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("java", Runtime.version().toString());
        m.put("vector_lanes_f32", VectorMatVec.lanes());
        return m;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (Exception e) {
            // not Linux, or not readable: fall through
        }
        return System.getProperty("os.arch");
    }
}
