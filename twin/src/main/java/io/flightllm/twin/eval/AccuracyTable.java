package io.flightllm.twin.eval;

import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.RoundToNearest;
import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.compress.WeightSource;
import io.flightllm.compress.algo.GptqCompressor;
import io.flightllm.compress.algo.InputQuantizationFit;
import io.flightllm.compress.algo.SmoothQuant;
import io.flightllm.compress.algo.MixedPrecisionAllocator;
import io.flightllm.compress.algo.SparseGptCompressor;
import io.flightllm.compress.algo.WandaCompressor;
import io.flightllm.model.Model;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.twin.FastTwin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds docs/accuracy.md: for stories260K and aidreams260K, dense FP32, W8A8 (smoothed GPTQ), W4 RTN vs GPTQ,
 * 8:16 magnitude vs Wanda vs SparseGPT at W8, and mixed precision (3.5 bits per kept value) with 8:16, each run by the
 * CPU twin and scored against the FP32 reference on the default sampled corpus plus the llama2.c reference texts.
 *
 * <p>Usage: {@code AccuracyTable <shared-dir> <output.md>} (see docs/accuracy.md for the full command). Only the part
 * between the generated-section markers of an existing output file is replaced, so hand-written notes survive.
 */
public final class AccuracyTable {
    static final String BEGIN = "<!-- BEGIN GENERATED: AccuracyTable -->";
    static final String END = "<!-- END GENERATED: AccuracyTable -->";
    /** W4 and the sparse/mixed rows use 32-column scale groups. */
    static final int GROUP = 32;
    static final int CALIBRATION_SEQUENCES = 32;
    static final int[] PROMPT_TOKENS = {16, 48, 96};
    /** The W8A8 recipe, chosen with {@link SmoothingSweep} on calibration data (docs/accuracy.md). */
    static final String W8A8_METHOD = "gptq";
    static final SmoothQuant.Options W8A8_SMOOTHING = SmoothQuant.Options.of(0.5);
    /** The ridge of the input-quantization-aware fit, relative to the quantized inputs' mean energy. */
    static final double INPUT_FIT_DAMPING = 0.01;
    static final String W8A8_METHODS = "rtn, gptq, gptq-ia[:damping] or gptq-ia-seq[:damping]";

    private AccuracyTable() {
    }

    record Row(String recipe, String note, EvalReport report) {
    }

    record Subject(String model, String tokenizer) {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: AccuracyTable <shared-dir> <output.md>");
            System.exit(2);
        }
        Path shared = Path.of(args[0]);
        Path out = Path.of(args[1]);
        List<Subject> subjects = List.of(new Subject("stories260K.bin", "tok512.bin"),
                new Subject("aidreams260K.bin", "aidreams_tok512.bin"));
        StringBuilder md = new StringBuilder();
        long t0 = System.nanoTime();
        for (Subject s : subjects) {
            md.append(section(shared, s));
        }
        md.append(String.format(Locale.ROOT, "%nGenerated in %.0f s on: %s.%n", (System.nanoTime() - t0) / 1e9,
                machine()));
        write(out, md.toString());
        System.out.println("wrote " + out);
    }

    static String section(Path shared, Subject s) {
        try (Model model = ModelLoader.load(shared.resolve("models").resolve(s.model()))) {
            Tokenizer tok = ModelLoader.loadTokenizer(shared.resolve("models").resolve(s.tokenizer()),
                    model.config().vocabSize());
            int ctx = Math.min(Corpus.DEFAULT_LENGTH, model.config().seqLen());
            Corpus texts = referenceTexts(shared, tok, ctx);
            Corpus corpus = Corpus.sampledDefault(model).plus(texts);
            List<int[]> prompts = prompts(texts, tok.bosId(), ctx);
            Corpus calib = Corpus.sample(model, CALIBRATION_SEQUENCES, Corpus.DEFAULT_LENGTH,
                    Corpus.CALIBRATION_SEED_BASE, 1.0f, 1.0f);
            log(s.model() + ": corpus " + corpus.sequences().size() + " sequences / " + corpus.tokens()
                    + " tokens, calibration " + calib.tokens() + " tokens");
            Map<String, CalibrationStats> stats = Calibration.collect(model, calib, true);
            Evaluator ev = new Evaluator(reference(model, ctx, "reference"), corpus, prompts,
                    Evaluator.Options.DEFAULT);
            List<Row> rows = new ArrayList<>();
            rows.add(new Row("dense FP32", "the reference itself (sanity: KL 0, top-1 1)",
                    ev.evaluate(reference(model, ctx, "dense fp32"), 32.0)));
            CompressedModel w8a8 = w8a8(model, stats, calib, W8A8_METHOD, W8A8_SMOOTHING);
            rows.add(evaluated(ev, ctx, "W8A8", "GPTQ, one scale per row (G = K16), " + W8A8_SMOOTHING.describe(),
                    w8a8));
            CompressedModel w8 = ModelCompression.compress(model, stats, rtn(8, 0, 16), "W8 G=K16");
            rows.add(twin(ev, model, stats, ctx, "W4 RTN G32", "", rtn(4, GROUP, 16)));
            rows.add(twin(ev, model, stats, ctx, "W4 GPTQ G32", "", (l, st) -> GptqCompressor.DEFAULT.compress(
                    l.name(), 4, g(GROUP, l), dense(l, 16), l.w(), l.rows(), l.cols(), st)));
            rows.add(twin(ev, model, stats, ctx, "8:16 W8 magnitude", "G32", rtn(8, GROUP, 8)));
            rows.add(twin(ev, model, stats, ctx, "8:16 W8 Wanda", "G32", (l, st) -> WandaCompressor.N16.compress(
                    l.name(), 8, g(GROUP, l), dense(l, 8), l.w(), l.rows(), l.cols(), st)));
            rows.add(twin(ev, model, stats, ctx, "8:16 W8 SparseGPT", "G32", sparseGpt(8)));
            Map<String, Integer> bits = mixedBits(model, stats, 3.5);
            rows.add(twin(ev, model, stats, ctx, "8:16 mixed 3.5-bit", "SparseGPT (joint), G32; bits per linear "
                    + histogram(bits), (l, st) -> sparseGpt(bits.get(l.name())).compress(l, st)));
            List<Row> diag = new ArrayList<>();
            diag.add(evaluated(ev, ctx, "W8A8 RTN", "the previous W8A8 recipe: RTN, one scale per row (G = K16)",
                    w8));
            diag.add(evaluated(ev, ctx, "W8A8 GPTQ", "GPTQ, G = K16, no smoothing",
                    w8a8(model, stats, calib, "gptq", null)));
            diag.add(evaluated(ev, ctx, "W8A8 RTN + smoothing", "RTN, G = K16, " + W8A8_SMOOTHING.describe(),
                    w8a8(model, stats, calib, "rtn", W8A8_SMOOTHING)));
            diag.add(evaluated(ev, ctx, "W8A8 + input-aware fit", "as W8A8, GPTQ of weights fitted to the INT8 "
                    + "linear inputs (InputQuantizationFit, ridge " + INPUT_FIT_DAMPING + ")",
                    w8a8(model, stats, calib, "gptq-ia", W8A8_SMOOTHING)));
            diag.add(evaluated(ev, ctx, "W8A8 + sequential input-aware fit", "as the row above, block by block on "
                    + "the inputs of the already refitted model (FP32 attention)",
                    w8a8(model, stats, calib, "gptq-ia-seq", W8A8_SMOOTHING)));
            diag.add(new Row("W8 weights only (FP32 activations)", "the W8A8 RTN weights in the FP32 forward pass",
                    ev.evaluate(WeightOnlyModel.of(w8, ctx, "W8 weight-only"), BitsPerWeight.of(w8))));
            diag.add(new Row("W8 + INT8 linear inputs (FP32 attention)", "the W8A8 RTN weights; FP32 forward pass "
                    + "with each linear's input row fake-quantized; KV cache, q and attention probabilities FP32",
                    ev.evaluate(WeightOnlyModel.of(w8, ctx, "W8 + int8 inputs", true), BitsPerWeight.of(w8))));
            diag.add(new Row("W8A8 weights + INT8 linear inputs (FP32 attention)", "as the row above with the W8A8 "
                    + "recipe's (smoothed GPTQ) weights", ev.evaluate(WeightOnlyModel.of(w8a8, ctx,
                    "W8A8 + int8 inputs", true), BitsPerWeight.of(w8a8))));
            diag.add(twin(ev, model, stats, ctx, "W8A8 G32", "RTN, 32-column groups", rtn(8, GROUP, 16)));
            diag.add(twin(ev, model, stats, ctx, "8:16 W8 SparseGPT, classifier dense", "G32; classifier W8 G = K16",
                    (l, st) -> l.name().equals("classifier") ? rtn(8, 0, 16).compress(l, st)
                            : sparseGpt(8).compress(l, st)));
            CompressedModel w4 = ModelCompression.compress(model, stats, rtn(4, GROUP, 16), "W4 G32");
            diag.add(new Row("W4 RTN G32 weights only (FP32 activations)", "",
                    ev.evaluate(WeightOnlyModel.of(w4, ctx, "W4 weight-only"), BitsPerWeight.of(w4))));
            String misses;
            try (LogitModel t = LogitModel.of(new FastTwin(w8a8, 1, ctx), "W8A8");
                 LogitModel rtnTwin = LogitModel.of(new FastTwin(w8, 1, ctx), "W8A8 RTN");
                 LogitModel wo = WeightOnlyModel.of(w8, ctx, "W8 weight-only");
                 LogitModel wi = WeightOnlyModel.of(w8, ctx, "W8 + int8 inputs", true)) {
                misses = "Greedy mismatches (continuation:position, reference logit gap to the model's choice): "
                        + "W8A8 " + describe(ev.greedyMismatches(t)) + "; W8A8 RTN "
                        + describe(ev.greedyMismatches(rtnTwin)) + "; W8 RTN + INT8 linear inputs "
                        + describe(ev.greedyMismatches(wi)) + "; W8 RTN weights only "
                        + describe(ev.greedyMismatches(wo)) + ".\n";
            }
            return render(s, model, corpus, calib, ev, rows, diag) + "\n" + misses;
        }
    }

    static String describe(List<Evaluator.Mismatch> ms) {
        if (ms.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (Evaluator.Mismatch m : ms) {
            sb.append(sb.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%d:%d gap %.3f", m.sequence(),
                    m.position(), m.refGap()));
        }
        return sb.toString();
    }

    static LogitModel reference(Model m, int ctx, String label) {
        return LogitModel.of(new LlamaForward(m.config(), m.weights(), new ScalarMatVec(), ctx), label);
    }

    static Row twin(Evaluator ev, Model model, Map<String, CalibrationStats> stats, int ctx, String label, String note,
                    ModelCompression.LinearMethod method) {
        return evaluated(ev, ctx, label, note, ModelCompression.compress(model, stats, method, label));
    }

    static Row evaluated(Evaluator ev, int ctx, String label, String note, CompressedModel cm) {
        long t = System.nanoTime();
        try (LogitModel m = LogitModel.of(new FastTwin(cm, 1, ctx), label)) {
            EvalReport r = ev.evaluate(m, BitsPerWeight.of(cm));
            log(String.format(Locale.ROOT, "  %-22s top-1 %.4f KL %.5f ppl %.3f greedy %.4f bpw %.2f (%.1f s)",
                    label, r.top1Agreement(), r.klDivergence(), r.perplexity(), r.greedyTop1Agreement(),
                    r.bitsPerWeight(), (System.nanoTime() - t) / 1e9));
            return new Row(label, note, r);
        }
    }

    static ModelCompression.LinearMethod rtn(int bits, int group, int n) {
        return (l, st) -> RoundToNearest.compress(l.name(), l.w(), l.rows(), l.cols(), bits, g(group, l),
                dense(l, n), null, null);
    }

    /**
     * 8-bit weights with one FP16 scale per row (G = K16), every linear dense: {@code method} rtn, gptq, gptq-ia
     * (GPTQ on input-quantization-aware fitted weights, {@link InputQuantizationFit}, with the fit's statistics from the
     * FP32 forward pass over {@code calib}) or gptq-ia-seq ({@link #inputAwareSequential} from the gptq weights);
     * a suffix ":0.1" sets the fit's damping. The FP32 weights are smoothed by {@code smooth} first when it is not
     * null (GPTQ and the fit then see the smoothed inputs). Measured in docs/accuracy.md: the fits do not help.
     */
    static CompressedModel w8a8(Model model, Map<String, CalibrationStats> stats, Corpus calib, String method,
                                SmoothQuant.Options smooth) {
        WeightSource source = new ModelWeightSource(model);
        Map<String, CalibrationStats> st = stats;
        String label = "W8A8 " + method;
        if (smooth != null) {
            SmoothQuant sq = ModelCompression.fitSmoothing(model, stats, smooth);
            source = sq.apply(source);
            st = ModelCompression.smoothed(sq, stats);
            label += ", " + smooth.describe();
        }
        ModelCompression.LinearMethod m;
        if (method.equals("rtn")) {
            m = rtn(8, 0, 16);
        } else if (method.equals("gptq")) {
            m = (l, s) -> GptqCompressor.DEFAULT.compress(l.name(), 8, g(0, l), dense(l, 16), l.w(), l.rows(),
                    l.cols(), s);
        } else if (method.startsWith("gptq-ia")) {
            double damping = method.contains(":") ? Double.parseDouble(method.substring(method.indexOf(':') + 1))
                    : INPUT_FIT_DAMPING;
            String kind = method.contains(":") ? method.substring(0, method.indexOf(':')) : method;
            if (kind.equals("gptq-ia-seq")) {
                return inputAwareSequential(w8a8(model, stats, calib, "gptq", smooth), source, st, calib, damping,
                        label);
            }
            if (!kind.equals("gptq-ia")) {
                throw new IllegalArgumentException("W8A8 weights: method '" + method + "' is unknown; expected "
                        + W8A8_METHODS);
            }
            Map<String, InputQuantizationFit.Stats> fit = Calibration.collectInputFit(source, calib);
            m = (l, s) -> inputAware(l, fit.get(l.name()), damping);
        } else {
            throw new IllegalArgumentException("W8A8 weights: method '" + method + "' is unknown; expected "
                    + W8A8_METHODS);
        }
        return ModelCompression.compress(source, st, m, label);
    }

    /** GPTQ W8 (G = K16) of the weights fitted to the quantized inputs of {@code fit}. */
    static CompressedLinear inputAware(ModelCompression.Linear l, InputQuantizationFit.Stats fit, double damping) {
        return GptqCompressor.DEFAULT.compress(l.name(), 8, g(0, l), dense(l, 16), fit.fit(l.w(), l.rows(), damping),
                l.rows(), l.cols(), fit.quantized());
    }

    /**
     * The sequential input-aware fit: starting from {@code start}, block by block (then the classifier), the block's
     * linears are refitted to map the inputs they receive in the current compressed model (earlier blocks already
     * refitted; FP32 attention, INT8 linear inputs) to the FP32 model's products, then quantized with GPTQ.
     */
    static CompressedModel inputAwareSequential(CompressedModel start, WeightSource source,
                                                Map<String, CalibrationStats> stats, Corpus calib, double damping,
                                                String label) {
        CompressedModel cm = start;
        for (int k = 0; k <= source.config().nLayers(); k++) {
            String block = k < source.config().nLayers() ? ModelCompression.name(k, "") : "classifier";
            Map<String, CompressedLinear> current = new HashMap<>();
            cm.linears().forEach(l -> current.put(l.name(), l));
            Map<String, InputQuantizationFit.Stats> fit = Calibration.collectInputFit(source, cm, calib);
            cm = ModelCompression.compress(source, stats, (l, s) -> l.name().startsWith(block)
                    ? inputAware(l, fit.get(l.name()), damping) : current.get(l.name()), label);
        }
        return cm;
    }

    static ModelCompression.LinearMethod sparseGpt(int bits) {
        return (l, st) -> SparseGptCompressor.DEFAULT.compress(l.name(), bits, g(GROUP, l), dense(l, 8), l.w(),
                l.rows(), l.cols(), st);
    }

    /** One bit width per linear from {@link MixedPrecisionAllocator}: mean {@code bitsPerValue} over kept values. */
    static Map<String, Integer> mixedBits(Model model, Map<String, CalibrationStats> stats, double bitsPerValue) {
        List<ModelCompression.Linear> ls = ModelCompression.linears(model);
        List<MixedPrecisionAllocator.Candidate> cands = new ArrayList<>();
        for (ModelCompression.Linear l : ls) {
            cands.add(MixedPrecisionAllocator.measure(l.name(), l.w(), l.rows(), l.cols(), g(GROUP, l), dense(l, 8),
                    stats.get(l.name())));
        }
        // VALUES basis counts kept values x b per dense weight: at 8:16 that is half the bits per kept value.
        MixedPrecisionAllocator.Allocation a = MixedPrecisionAllocator.allocate(cands, bitsPerValue * 8 / 16,
                MixedPrecisionAllocator.Basis.VALUES);
        Map<String, Integer> bits = new HashMap<>();
        for (int i = 0; i < ls.size(); i++) {
            bits.put(ls.get(i).name(), a.bits()[i]);
        }
        return bits;
    }

    static String histogram(Map<String, Integer> bits) {
        int[] count = new int[9];
        bits.values().forEach(b -> count[b]++);
        StringBuilder sb = new StringBuilder();
        for (int b : new int[] {2, 3, 4, 8}) {
            if (count[b] > 0) {
                sb.append(sb.isEmpty() ? "" : ", ").append(count[b]).append(" x W").append(b);
            }
        }
        return sb.toString();
    }

    static int g(int group, ModelCompression.Linear l) {
        int k16 = CompressedLinear.ceil16(l.cols());
        return group == 0 ? k16 : Math.min(group, k16);
    }

    static byte[] dense(ModelCompression.Linear l, int n) {
        return BlockDensity.uniform(l.rows(), l.cols(), n);
    }

    /** The two llama2.c reference outputs as text corpora (one window each when they fit the context). */
    static Corpus referenceTexts(Path shared, Tokenizer tok, int ctx) {
        Path dir = shared.resolve("reference").resolve("llama2c");
        Corpus all = null;
        for (String f : List.of("stories260K_n256_empty.stdout", "stories260K_t1.0_p0.9_s133742_n256.stdout")) {
            String text = Corpus.readUtf8(dir.resolve(f)).strip();
            Corpus c = Corpus.fromText(text, tok, ctx, ctx, "reference/llama2c/" + f);
            all = all == null ? c : all.plus(c);
        }
        return all;
    }

    /**
     * The empty prompt (BOS, run.c's greedy reference case) and BOS + the first {@link #PROMPT_TOKENS} tokens of each
     * reference text window (at most half the context). Prompts cut from the greedy reference text reproduce the
     * empty prompt's continuation and are dropped as duplicates by the evaluator.
     */
    static List<int[]> prompts(Corpus texts, int bos, int ctx) {
        List<int[]> p = new ArrayList<>();
        p.add(new int[] {bos});
        for (int[] s : texts.sequences()) {
            for (int k : PROMPT_TOKENS) {
                if (k < ctx / 2 && k < s.length) {
                    p.add(Arrays.copyOf(s, k + 1));
                }
            }
        }
        return p;
    }

    static String render(Subject s, Model model, Corpus corpus, Corpus calib, Evaluator ev, List<Row> rows,
                         List<Row> diag) {
        EvalReport ref = rows.getFirst().report();
        StringBuilder sb = new StringBuilder();
        sb.append("\n### ").append(s.model()).append("\n\n");
        sb.append(String.format(Locale.ROOT, "Corpus: %s; %d sequences, %d tokens, %d scored positions. "
                        + "Calibration: %d sequences sampled with seeds %d.. (%d tokens). Greedy: %d prompts, "
                        + "%d distinct continuations, %d continuation positions. Reference perplexity (%s): %.3f %s.%n%n",
                corpus.description(), ref.sequences(), ref.tokens(), ref.positions(), calib.sequences().size(),
                Corpus.CALIBRATION_SEED_BASE, calib.tokens(), ev.promptCount(), ref.greedySequences(), ref.greedyPositions(),
                ref.perplexityLabel(), ref.referencePerplexity(), ci(ref.referencePerplexityCi95(), 3)));
        table(sb, rows);
        sb.append("\nDiagnostics (not part of the comparison):\n\n");
        table(sb, diag);
        return sb.toString();
    }

    static void table(StringBuilder sb, List<Row> rows) {
        sb.append("| recipe | bits/weight | KL nats [95% CI] | top-1 [95% CI] | perplexity [95% CI] "
                + "| greedy top-1 [95% CI] | max / mean abs logit error | notes |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            EvalReport e = r.report();
            sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.5f %s | %.4f %s | %.3f %s | %.4f %s | %.3f / %.4f | %s |%n",
                    r.recipe(), e.bitsPerWeight(), e.klDivergence(), ci(e.klDivergenceCi95(), 5),
                    e.top1Agreement(), ci(e.top1AgreementCi95(), 4), e.perplexity(), ci(e.perplexityCi95(), 3),
                    e.greedyTop1Agreement(), ci(e.greedyTop1AgreementCi95(), 4), e.maxAbsLogitError(),
                    e.meanAbsLogitError(), r.note()));
        }
    }

    static String ci(double[] ci, int digits) {
        String f = "%." + digits + "f";
        return String.format(Locale.ROOT, "[" + f + ", " + f + "]", ci[0], ci[1]);
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).strip();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: keep "unknown CPU"
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores, Java "
                + System.getProperty("java.version") + ", " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch");
    }

    static void write(Path out, String generated) throws IOException {
        String body = BEGIN + "\n" + generated + END + "\n";
        String text;
        if (Files.exists(out)) {
            String old = Files.readString(out);
            int a = old.indexOf(BEGIN);
            int b = old.indexOf(END);
            if (a >= 0 && b > a) {
                String rest = old.substring(b + END.length()).stripLeading();
                text = old.substring(0, a) + body + (rest.isEmpty() ? "" : "\n" + rest);
            } else {
                text = old + "\n" + body;
            }
        } else {
            text = "# Accuracy of the compressed models\n\n" + body;
        }
        Files.writeString(out, text);
    }

    private static void log(String s) {
        System.err.println(s);
    }
}
