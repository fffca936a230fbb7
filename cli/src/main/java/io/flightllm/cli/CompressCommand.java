package io.flightllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.IndexChoice;
import io.flightllm.compress.DensityPlan;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.compress.WeightBytes;
import io.flightllm.compress.algo.AttentionMask;
import io.flightllm.compress.flm.FlmWriter;
import io.flightllm.model.Model;
import io.flightllm.model.loader.ModelLoader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.WeightSource;
import io.flightllm.compress.algo.GptqCompressor;
import io.flightllm.compress.algo.SmoothQuant;
import io.flightllm.compress.algo.SparseGptCompressor;
import io.flightllm.compress.algo.WandaCompressor;
import io.flightllm.twin.eval.Calibration;
import io.flightllm.twin.eval.Corpus;
import io.flightllm.twin.eval.ModelCompression;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flightllm compress}: a checkpoint to a {@code .flm} (N:16 block sparsity + b-bit weights). */
@Command(name = "compress", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compress a checkpoint into a .flm file: b-bit weights with FP16 group scales and N:16 block",
                "sparsity, streamed layer by layer. Prints the bytes of values, indices, densities and scales and",
                "the bits per weight."})
final class CompressCommand implements Callable<Integer> {
    static final List<String> METHODS = List.of("rtn", "wanda", "sparsegpt", "gptq");

    private final Console console;

    CompressCommand(Console console) {
        this.console = console;
    }

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "M",
            description = "checkpoint: llama2.c .bin, .gguf, or a Hugging Face directory")
    Path model;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "F.flm", description = "the .flm to write")
    Path out;

    @Option(names = "--profile", paramLabel = "P", defaultValue = "paper",
            description = "w8, w4, w3, w2, w4s8 (W4 + 8:16), mixed (4/3-bit layers + 8:16), paper (default: paper)")
    String profile;

    @Option(names = "--bits", paramLabel = "B", description = "bits of every weight matrix: 8, 4, 3 or 2")
    Integer bits;

    @Option(names = "--group", paramLabel = "G", description = "columns per FP16 scale (a multiple of 16; "
            + "clamped to each matrix's padded width)")
    Integer group;

    @Option(names = "--density", paramLabel = "N", description = "every decoder block N:16, N in 0, 2, 4, 8, 16")
    Integer density;

    @Option(names = "--mean-density", paramLabel = "X", description = "decoder blocks mixed to a mean kept "
            + "fraction X in [0, 1], in 64-row bands")
    Double meanDensity;

    @Option(names = "--index-encoding", paramLabel = "E", defaultValue = "auto",
            description = "how sparse blocks store their kept positions: positions4 (4 bits per kept weight), mask16 "
                    + "(16 bits per 16-column segment) or auto (the cheaper per linear; default)")
    String indexEncoding;

    @Option(names = "--method", paramLabel = "METHOD", defaultValue = "rtn",
            description = "rtn (magnitude selection + round to nearest; default), wanda (|w| x input norm), "
                    + "sparsegpt (OBS pruning + quantization), gptq (error-compensated quantization); the last three "
                    + "calibrate on sequences sampled from the model")
    String method;

    @Option(names = "--smooth", paramLabel = "ALPHA",
            description = "SmoothQuant before compressing: per input channel s = max|X|^ALPHA / max|W|^(1-ALPHA), "
                    + "folded into the RMSNorm weights and w3 rows (exact in FP32); ALPHA in [0, 1], 0.5 is the W8A8 "
                    + "recipe's; calibrates like gptq")
    Double smooth;

    @Option(names = "--smooth-sites", paramLabel = "S,...", defaultValue = "qkv,gate_up,down,classifier",
            description = "where to smooth: qkv, gate_up, down, out (through wv rows), classifier "
                    + "(default: qkv,gate_up,down,classifier)")
    String smoothSites;

    @Option(names = "--calibration-sequences", paramLabel = "N", defaultValue = "32",
            description = "calibration sequences sampled with seeds 1000.. (default: 32)")
    int calibrationSequences;

    @Option(names = "--calibration-length", paramLabel = "L", defaultValue = "128",
            description = "tokens per calibration sequence, capped by the context (default: 128)")
    int calibrationLength;

    @Option(names = "--calibration-text", paramLabel = "F",
            description = "calibrate on this UTF-8 text instead of sampled sequences: tokenized, cut into windows of "
                    + "--calibration-length tokens (BOS + window), the first --calibration-sequences of them")
    Path calibrationText;

    @Option(names = {"-z", "--tokenizer"}, paramLabel = "T",
            description = "tokenizer for --calibration-text (default: the checkpoint's, or tokenizer.bin beside it)")
    Path tokenizer;

    @Option(names = "--attention-mask", paramLabel = "B:S:L",
            description = "block-sparse attention for prompt (prefill) rows: blocks of B positions (a multiple of 16), "
                    + "S leading sink blocks, a band of L blocks; e.g. 64:1:4 as the paper (default: none, dense "
                    + "causal attention; decode is always dense)")
    String attentionMask;

    @Option(names = "--json", description = "print the summary as one JSON object")
    boolean json;

    private AttentionMask mask() {
        if (attentionMask == null || attentionMask.equals("none")) {
            return null;
        }
        try {
            return AttentionMask.parse(attentionMask);
        } catch (IllegalArgumentException e) {
            throw new Main.UserInputException("--attention-mask: " + e.getMessage());
        }
    }

    /** The method as a pipeline compressor; methods other than rtn need calibration statistics. */
    static LinearCompressor compressor(String method) {
        return switch (method) {
            case "rtn" -> LinearCompressor.roundToNearest();
            case "wanda" -> (t, w, rows, cols, s) -> WandaCompressor.N16.compress(t.name(), t.bits(), t.groupSize(),
                    t.blockDensities(), w, rows, cols, s);
            case "sparsegpt" -> (t, w, rows, cols, s) -> SparseGptCompressor.DEFAULT.compress(t.name(), t.bits(),
                    t.groupSize(), t.blockDensities(), w, rows, cols, s);
            case "gptq" -> (t, w, rows, cols, s) -> GptqCompressor.DEFAULT.compress(t.name(), t.bits(),
                    t.groupSize(), t.blockDensities(), w, rows, cols, s);
            default -> throw new Main.UserInputException("--method is '" + method + "'; expected one of " + METHODS);
        };
    }

    /** Input statistics of every linear from the fp32 model over sampled sequences, or null for rtn unsmoothed. */
    private Map<String, CalibrationStats> calibration(Model m) {
        if (method.equals("rtn") && smooth == null) {
            if (calibrationText != null) {
                throw new Main.UserInputException("--calibration-text is given, but --method rtn without --smooth "
                        + "calibrates nothing; use --method gptq, wanda or sparsegpt, or --smooth");
            }
            return null;
        }
        if (calibrationText != null && !java.nio.file.Files.isRegularFile(calibrationText)) {
            throw new Main.UserInputException(calibrationText + ": --calibration-text not found (or not a file)");
        }
        if (calibrationSequences < 1 || calibrationLength < 2) {
            throw new Main.UserInputException("--calibration-sequences must be >= 1 and --calibration-length >= 2");
        }
        int len = Math.min(calibrationLength, m.config().seqLen());
        Corpus calib;
        if (calibrationText != null) {
            Corpus all;
            try {
                all = Corpus.fromFile(calibrationText, ModelLoader.tokenizer(m, tokenizer), len, len);
            } catch (IllegalArgumentException | java.io.UncheckedIOException e) { // not UTF-8, unreadable, no tokens
                throw new Main.UserInputException(e.getMessage());
            }
            calib = new Corpus(all.sequences().subList(0, Math.min(calibrationSequences, all.sequences().size())),
                    all.description(), 0);
            console.err().printf(Locale.ROOT, "compress: calibrating on %d windows of up to %d tokens of %s (%d "
                    + "tokens)%n", calib.sequences().size(), len, calibrationText, calib.tokens());
        } else {
            console.err().printf(Locale.ROOT, "compress: calibrating on %d sampled sequences of %d tokens%n",
                    calibrationSequences, len);
            calib = Corpus.sample(m, calibrationSequences, calibrationLength, Corpus.CALIBRATION_SEED_BASE, 1.0f,
                    1.0f);
        }
        return Calibration.collect(m, calib, !method.equals("wanda") && !method.equals("rtn"));
    }

    /** The smoothing options, or null without --smooth. */
    SmoothQuant.Options smoothing() {
        if (smooth == null) {
            return null;
        }
        try {
            return new SmoothQuant.Options(smooth, SmoothQuant.parseSites(smoothSites));
        } catch (IllegalArgumentException e) {
            throw new Main.UserInputException("--smooth " + smooth + " --smooth-sites " + smoothSites + ": "
                    + e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        CompressionProfile p = profile();
        AttentionMask mask = mask();
        LinearCompressor compressor = compressor(method);
        SmoothQuant.Options smoothing = smoothing();
        Path parent = out.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new Main.UserInputException(out + ": the output directory does not exist");
        }
        long t0 = System.nanoTime();
        WeightBytes bytes;
        try (Model m = ModelLoader.load(model)) {
            Options.requireCompressible(m, "compress");
            ModelCompressor mc = new ModelCompressor(p, compressor, method);
            int total = ModelCompressor.totalMatrices(m.config());
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("compress").setInitialMax(total)
                    .setStyle(ProgressBarStyle.ASCII).setUnit(" matrices", 1).continuousUpdate()
                    .setConsumer(new ConsoleProgressBarConsumer(console.err())).build();
                 FlmWriter w = FlmWriter.create(out)) {
                w.attentionMask(mask);
                WeightSource source = new ModelWeightSource(m);
                Map<String, CalibrationStats> stats = calibration(m);
                ModelCompressor.CalibrationSource cal = stats == null ? null : ModelCompression.source(stats);
                if (smoothing != null) {
                    SmoothQuant sq = SmoothQuant.fit(source, cal, smoothing);
                    for (String why : sq.skipped()) {
                        console.err().printf(Locale.ROOT, "compress: SmoothQuant skips %s%n", why);
                    }
                    source = sq.apply(source);
                    cal = sq.apply(cal);
                }
                bytes = mc.run(source, cal, w, (layer, kind, done, n) -> {
                    bar.stepTo(done);
                    bar.setExtraMessage(layer < 0 ? "classifier" : "layer " + (layer + 1) + "/"
                            + m.config().nLayers());
                });
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long fileBytes = Files.size(out);
        PrintStream o = new PrintStream(console.out(), true, StandardCharsets.UTF_8);
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("file", out.toString());
            j.put("profile", p.describe());
            j.put("method", method);
            j.put("smoothing", smoothing == null ? null : smoothing.describe());
            j.put("attention_mask", mask == null ? null : mask.spec());
            j.put("values_bytes", bytes.values());
            j.put("indices_bytes", bytes.indices());
            j.put("densities_bytes", bytes.densities());
            j.put("scales_bytes", bytes.scales());
            j.put("dense_parameters", bytes.denseParams());
            j.put("bits_per_weight", bytes.bitsPerWeight());
            j.put("embedding_bytes", bytes.embeddingBytes());
            j.put("norm_bytes", bytes.normBytes());
            j.put("file_bytes", fileBytes);
            j.put("seconds", seconds);
            o.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(j));
            return 0;
        }
        o.printf(Locale.ROOT, "wrote %s (%,d bytes) in %.1f s%n", out, fileBytes, seconds);
        o.printf(Locale.ROOT, "profile     %s; method %s%s%n", p.describe(), method,
                smoothing == null ? "" : "; " + smoothing.describe());
        o.printf(Locale.ROOT, "values      %,15d bytes%n", bytes.values());
        o.printf(Locale.ROOT, "indices     %,15d bytes (positions or masks, --index-encoding %s)%n", bytes.indices(),
                indexEncoding);
        o.printf(Locale.ROOT, "densities   %,15d bytes (one per 16x16 block)%n", bytes.densities());
        o.printf(Locale.ROOT, "scales      %,15d bytes (FP16)%n", bytes.scales());
        o.printf(Locale.ROOT, "bits/weight %15.4f (over %,d dense parameters of the linear layers)%n",
                bytes.bitsPerWeight(), bytes.denseParams());
        o.printf(Locale.ROOT, "embedding   %,15d bytes, norms %,d bytes (FP32, not in bits/weight)%n",
                bytes.embeddingBytes(), bytes.normBytes());
        o.printf(Locale.ROOT, "attention   %s%n", mask == null ? "dense causal"
                : "prompt rows block-sparse " + mask.spec() + " (block:sinks:band), decode dense");
        return 0;
    }

    /** The named profile with the flags applied; invalid values are refused listing the valid ones. */
    CompressionProfile profile() {
        try {
            CompressionProfile p = CompressionProfile.named(profile);
            boolean changed = false;
            if (bits != null) {
                p = p.withBits(bits);
                changed = true;
            }
            if (group != null) {
                p = p.withGroupSize(group);
                changed = true;
            }
            if (density != null && meanDensity != null) {
                throw new Main.UserInputException("give --density or --mean-density, not both");
            }
            if (density != null) {
                p = p.withDecoderDensity(new DensityPlan.Uniform(density));
                changed = true;
            }
            if (meanDensity != null) {
                p = p.withDecoderDensity(new DensityPlan.Mixed(meanDensity, 64));
                changed = true;
            }
            p = p.withIndex(IndexChoice.fromId(indexEncoding)); // only bytes change: not a new profile name
            return changed ? p.withName(profile + "+flags") : p;
        } catch (IllegalArgumentException e) {
            throw new Main.UserInputException(e.getMessage());
        }
    }
}
