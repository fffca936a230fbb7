package io.flightllm.twin.eval;

import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.algo.SmoothQuant;
import io.flightllm.model.Model;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.twin.FastTwin;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The W8A8 recipe search behind docs/accuracy.md: 8-bit weights (one scale per row) by any
 * {@link AccuracyTable#w8a8} method (rtn, gptq, gptq-ia, gptq-ia-seq), with and without SmoothQuant at several alphas,
 * each run by the twin; the last column scores the same weights with INT8 linear inputs only (FP32 attention). The selection metrics are on calibration data only: KL and
 * top-1 teacher-forced along the 32 calibration sequences (seeds 1000..), and greedy top-1 along the reference's
 * greedy continuations of BOS + the first 16 tokens of the first 8 of them. The evaluation's greedy metric (the
 * reference texts' prompts of {@link AccuracyTable}) is printed beside them for the record, not used for choosing.
 *
 * <p>Usage: {@code SmoothingSweep <shared-dir> <model.bin> <tokenizer.bin> [alphas] [methods] [sites]}, e.g.
 * {@code ... stories260K.bin tok512.bin 0.3,0.5,0.7 rtn,gptq qkv,gate_up,down,classifier}; prints a Markdown table.
 */
public final class SmoothingSweep {
    static final int CALIBRATION_PROMPTS = 8;
    static final int CALIBRATION_PROMPT_TOKENS = 16;

    private SmoothingSweep() {
    }

    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: SmoothingSweep <shared-dir> <model.bin> <tokenizer.bin> [alphas] [methods] "
                    + "[sites]");
            System.exit(2);
        }
        Path models = Path.of(args[0]).resolve("models");
        double[] alphas = Arrays.stream((args.length > 3 ? args[3] : "0.3,0.4,0.5,0.6,0.7,0.8").split(","))
                .mapToDouble(Double::parseDouble).toArray();
        List<String> methods = List.of((args.length > 4 ? args[4] : "rtn,gptq").split(","));
        Set<SmoothQuant.Site> sites = args.length > 5 ? SmoothQuant.parseSites(args[5]) : SmoothQuant.DEFAULT_SITES;
        try (Model model = ModelLoader.load(models.resolve(args[1]))) {
            Tokenizer tok = ModelLoader.loadTokenizer(models.resolve(args[2]), model.config().vocabSize());
            int ctx = Math.min(Corpus.DEFAULT_LENGTH, model.config().seqLen());
            Corpus calib = Corpus.sample(model, AccuracyTable.CALIBRATION_SEQUENCES, Corpus.DEFAULT_LENGTH,
                    Corpus.CALIBRATION_SEED_BASE, 1.0f, 1.0f);
            Map<String, CalibrationStats> stats = Calibration.collect(model, calib, true);
            List<int[]> calibPrompts = new ArrayList<>();
            for (int i = 0; i < CALIBRATION_PROMPTS; i++) {
                calibPrompts.add(Arrays.copyOf(calib.sequences().get(i), CALIBRATION_PROMPT_TOKENS + 1));
            }
            Evaluator onCalib = new Evaluator(AccuracyTable.reference(model, ctx, "reference"), calib, calibPrompts,
                    Evaluator.Options.DEFAULT);
            Corpus texts = AccuracyTable.referenceTexts(Path.of(args[0]), tok, ctx);
            Evaluator onEval = new Evaluator(AccuracyTable.reference(model, ctx, "reference"), texts,
                    AccuracyTable.prompts(texts, tok.bosId(), ctx), Evaluator.Options.DEFAULT);
            System.out.printf(Locale.ROOT, "%s: calibration %d tokens, sites %s%n%n", args[1], calib.tokens(), sites);
            System.out.println("| weights | alpha | calib KL | calib top-1 | calib greedy top-1 (%d pos.) "
                    .formatted(onCalib.evaluate(AccuracyTable.reference(model, ctx, "ref"), 32).greedyPositions())
                    + "| eval greedy top-1 | eval greedy misses | calib KL, INT8 linear inputs only |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            for (String method : methods) {
                row(model, stats, calib, ctx, onCalib, onEval, method, Double.NaN, sites);
                for (double a : alphas) {
                    row(model, stats, calib, ctx, onCalib, onEval, method, a, sites);
                }
            }
        }
    }

    private static void row(Model model, Map<String, CalibrationStats> stats, Corpus calib, int ctx, Evaluator onCalib,
                            Evaluator onEval, String method, double alpha, Set<SmoothQuant.Site> sites) {
        CompressedModel cm = AccuracyTable.w8a8(model, stats, calib, method, Double.isNaN(alpha) ? null
                : new SmoothQuant.Options(alpha, sites));
        try (LogitModel t = LogitModel.of(new FastTwin(cm, 1, ctx), "sweep");
             LogitModel inputsOnly = WeightOnlyModel.of(cm, ctx, "sweep, int8 inputs", true)) {
            EvalReport c = onCalib.evaluate(t, Double.NaN);
            EvalReport e = onEval.evaluate(t, Double.NaN);
            int misses = onEval.greedyMismatches(t).size();
            EvalReport ci = onCalib.evaluate(inputsOnly, Double.NaN);
            System.out.printf(Locale.ROOT, "| %s | %s | %.5f %s | %.4f %s | %.4f %s | %.4f %s | %d | %.5f %s |%n",
                    method,
                    Double.isNaN(alpha) ? "-" : String.format(Locale.ROOT, "%.2f", alpha), c.klDivergence(),
                    AccuracyTable.ci(c.klDivergenceCi95(), 5), c.top1Agreement(),
                    AccuracyTable.ci(c.top1AgreementCi95(), 4), c.greedyTop1Agreement(),
                    AccuracyTable.ci(c.greedyTop1AgreementCi95(), 4), e.greedyTop1Agreement(),
                    AccuracyTable.ci(e.greedyTop1AgreementCi95(), 4), misses, ci.klDivergence(),
                    AccuracyTable.ci(ci.klDivergenceCi95(), 5));
        }
    }
}
