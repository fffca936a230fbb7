package io.flightllm.twin.eval;

import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.model.Model;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import io.flightllm.twin.eval.NumericsAblation.Granularity;

/**
 * Prints docs/accuracy.md's "Where W8A8's error comes from" table for one model: {@link NumericsAblation} runs over the
 * evaluation of {@link AccuracyTable} (same corpus, prompts and greedy continuations), with FP32 weights and with the
 * W8A8 recipe's weights, switching the twin's INT8 steps on one at a time and off one at a time.
 *
 * <p>Usage: {@code NumericsAblationTable <shared-dir> <model.bin> <tokenizer.bin>}; markdown on standard output.
 */
public final class NumericsAblationTable {
    /** Steps as {@link NumericsAblation.Step#describe} prints them, and the scale groups. */
    record Config(String steps, Granularity g) {
        Config(String steps) {
            this(steps, Granularity.CONTRACT);
        }
    }

    static final List<Config> FP32_CONFIGS = List.of(new Config("-----"), new Config("LQKVP"), new Config("L----"),
            new Config("-Q---"), new Config("--K--"), new Config("---V-"), new Config("----P"), new Config("LQ-VP"),
            new Config("-QKVP"), new Config("--K--", new Granularity(2, 0)), new Config("L----", new Granularity(0, 16)),
            new Config("LQKVP", new Granularity(2, 16)), new Config("LQ-VP", new Granularity(0, 16)));
    static final List<Config> W8A8_CONFIGS = List.of(new Config("-----"), new Config("LQKVP"), new Config("--K--"),
            new Config("LQ-VP"), new Config("-QKVP"), new Config("LQ-VP", new Granularity(0, 16)));

    private NumericsAblationTable() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: NumericsAblationTable <shared-dir> <model.bin> <tokenizer.bin>");
            System.exit(2);
        }
        Path shared = Path.of(args[0]);
        try (Model model = ModelLoader.load(shared.resolve("models").resolve(args[1]))) {
            Tokenizer tok = ModelLoader.loadTokenizer(shared.resolve("models").resolve(args[2]),
                    model.config().vocabSize());
            int ctx = Math.min(Corpus.DEFAULT_LENGTH, model.config().seqLen());
            Corpus texts = AccuracyTable.referenceTexts(shared, tok, ctx);
            Corpus corpus = Corpus.sampledDefault(model).plus(texts);
            Corpus calib = Corpus.sample(model, AccuracyTable.CALIBRATION_SEQUENCES, Corpus.DEFAULT_LENGTH,
                    Corpus.CALIBRATION_SEED_BASE, 1.0f, 1.0f);
            Map<String, CalibrationStats> stats = Calibration.collect(model, calib, true);
            Evaluator ev = new Evaluator(AccuracyTable.reference(model, ctx, "reference"), corpus,
                    AccuracyTable.prompts(texts, tok.bosId(), ctx), Evaluator.Options.DEFAULT);
            CompressedModel w8a8 = AccuracyTable.w8a8(model, stats, calib, AccuracyTable.W8A8_METHOD,
                    AccuracyTable.W8A8_SMOOTHING);
            StringBuilder md = new StringBuilder();
            md.append("| weights | INT8 steps | k scale | linear input scale | KL [95% CI] | top-1 [95% CI] | greedy top-1 [95% CI] | "
                    + "greedy misses |\n|---|---|---|---|---|---|---|---|\n");
            int hsp = w8a8.paddedHeadSize();
            int[] greedyPositions = new int[1];
            for (Config cf : FP32_CONFIGS) {
                greedyPositions[0] = row(md, ev, "FP32", cf, NumericsAblation.fp32(new ModelWeightSource(model), w8a8, ctx,
                        NumericsAblation.Step.parse(cf.steps()), cf.g()), hsp);
            }
            for (Config cf : W8A8_CONFIGS) {
                row(md, ev, "W8A8", cf, NumericsAblation.of(w8a8, ctx, NumericsAblation.Step.parse(cf.steps()),
                        cf.g()), hsp);
            }
            System.out.printf(Locale.ROOT, "%s: %d sequences, %d scored positions; greedy: %d continuations, "
                    + "%d positions%n%n%s", args[1], corpus.sequences().size(), corpus.tokens()
                    - corpus.sequences().size(), ev.greedySequences().size(),
                    greedyPositions[0], md);
        }
    }

    private static int row(StringBuilder md, Evaluator ev, String weights, Config cf, NumericsAblation m, int hsp) {
        long t = System.nanoTime();
        EvalReport r = ev.evaluate(m, Double.NaN);
        int misses = ev.greedyMismatches(m).size();
        String k = cf.g().kGroup() == 0 ? "per KV head (" + hsp + ")" : "per " + cf.g().kGroup() + " entries";
        String in = cf.g().inputGroup() == 0 ? "per row" : "per " + cf.g().inputGroup() + " columns";
        md.append(String.format(Locale.ROOT, "| %s | `%s` | %s | %s | %.5f %s | %.4f %s | %.4f %s | %d |%n", weights,
                cf.steps(), k, in, r.klDivergence(), AccuracyTable.ci(r.klDivergenceCi95(), 5), r.top1Agreement(),
                AccuracyTable.ci(r.top1AgreementCi95(), 4), r.greedyTop1Agreement(),
                AccuracyTable.ci(r.greedyTop1AgreementCi95(), 4), misses));
        System.err.printf(Locale.ROOT, "%s %s %s: KL %.5f greedy misses %d (%.0f s)%n", weights, cf.steps(),
                cf.g(), r.klDivergence(), misses, (System.nanoTime() - t) / 1e9);
        return r.greedyPositions();
    }
}
