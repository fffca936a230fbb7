package io.flightllm.cli;

import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.flm.FlmReader;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.forward.DecoderForward;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.runtime.Backend;
import io.flightllm.twin.FastTwin;
import io.flightllm.twin.eval.BitsPerWeight;
import io.flightllm.twin.eval.Corpus;
import io.flightllm.twin.eval.EvalReport;
import io.flightllm.twin.eval.Evaluator;
import io.flightllm.twin.eval.LogitModel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flightllm eval}: a compressed {@code .flm} on the CPU twin against its dense fp32 source: KL divergence,
 * top-1 agreement, perplexity, logit error, greedy agreement and bits per weight, each with a 95% bootstrap interval
 * over sequences.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure a compressed .flm (CPU twin) against its dense fp32 source model: KL divergence,",
                "top-1 agreement, perplexity and bits per weight, with 95% bootstrap intervals over sequences."})
final class EvalCommand implements Callable<Integer> {
    private final Console console;

    EvalCommand(Console console) {
        this.console = console;
    }

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "M",
            description = "the dense source checkpoint (.bin, .gguf or HF directory): the reference")
    Path model;

    @Option(names = {"-c", "--compressed"}, required = true, paramLabel = "F.flm", description = "the compressed model")
    Path compressed;

    @Option(names = {"-z", "--tokenizer"}, paramLabel = "T", description = "tokenizer (for --text-file)")
    Path tokenizer;

    @Option(names = "--text-file", paramLabel = "F",
            description = "evaluate on this UTF-8 text (cut into windows) instead of self-generated samples")
    Path textFile;

    @Option(names = "--sequences", paramLabel = "N", defaultValue = "64",
            description = "sampled sequences (seeds 1..N, temperature 1.0) when no --text-file (default: 64)")
    int sequences;

    @Option(names = "--length", paramLabel = "L", defaultValue = "256",
            description = "tokens per sequence, capped by the model's context (default: 256)")
    int length;

    @Option(names = "--threads", paramLabel = "T", description = "threads (default: all cores)")
    Integer threads;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    private static String shape(ModelConfig c) {
        return c.family() + ", dim " + c.dim() + ", " + c.nLayers() + " layers, vocab " + c.vocabSize()
                + (c.normBefore() ? ", pre-norm" : ", post-norm") + (c.finalNorm() ? "" : ", no final norm");
    }

    @Override
    public Integer call() throws Exception {
        if (sequences < 1 || sequences > 100_000) {
            throw new Main.UserInputException("--sequences is " + sequences + "; expected 1 to 100000");
        }
        if (length < 2) {
            throw new Main.UserInputException("--length is " + length + "; expected at least 2");
        }
        int t = Options.threads(threads);
        if (!Backend.isFlm(compressed)) {
            throw new Main.UserInputException(compressed + ": not a .flm file (make one with flightllm compress)");
        }
        if (textFile != null && !java.nio.file.Files.isRegularFile(textFile)) {
            throw new Main.UserInputException(textFile + ": --text-file not found (or not a file)");
        }
        CompressedModel cm = FlmReader.read(compressed);
        try (Model m = ModelLoader.load(model); MatVec mv = Options.matVec("exact", t)) {
            Options.requireCompressible(m, "eval");
            ModelConfig c = m.config();
            ModelConfig cc = cm.config();
            if (c.family() != cc.family() || c.dim() != cc.dim() || c.nLayers() != cc.nLayers()
                    || c.vocabSize() != cc.vocabSize() || c.hiddenDim() != cc.hiddenDim() || c.nHeads() != cc.nHeads()
                    || c.normBefore() != cc.normBefore() || c.finalNorm() != cc.finalNorm()) {
                throw new Main.UserInputException(compressed + ": its shape (" + shape(cc) + ") is not the shape of "
                        + model + " (" + shape(c) + ")");
            }
            int ctx = Math.min(length, c.seqLen());
            Corpus corpus;
            if (textFile != null) {
                Tokenizer tok = ModelLoader.tokenizer(m, tokenizer);
                try {
                    corpus = Corpus.fromFile(textFile, tok, ctx, ctx);
                } catch (IllegalArgumentException | java.io.UncheckedIOException e) { // not UTF-8, unreadable, too short
                    throw new Main.UserInputException(e.getMessage());
                }
            } else {
                console.err().printf(Locale.ROOT, "eval: sampling %d sequences of %d tokens from %s%n", sequences,
                        ctx, model);
                corpus = Corpus.sample(m, sequences, ctx, 1, 1.0f, 1.0f);
            }
            LogitModel reference = LogitModel.of(DecoderForward.create(c, m.weights(), mv, ctx), "fp32 reference");
            Evaluator ev = new Evaluator(reference, corpus, List.of(new int[] {c.bosId()}),
                    Evaluator.Options.DEFAULT);
            console.err().printf(Locale.ROOT, "eval: %d sequences, %d tokens; running the twin%n",
                    corpus.sequences().size(), corpus.tokens());
            EvalReport r;
            try (LogitModel twin = LogitModel.of(new FastTwin(cm, t, ctx), compressed.toString())) {
                r = ev.evaluate(twin, BitsPerWeight.of(cm));
            }
            PrintStream out = new PrintStream(console.out(), true, StandardCharsets.UTF_8);
            if (json) {
                out.println(r.toJson());
            } else {
                out.printf(Locale.ROOT, "corpus          %s (%d sequences, %d tokens)%n", r.corpus(), r.sequences(),
                        r.tokens());
                row(out, "kl_divergence", r.klDivergence(), r.klDivergenceCi95());
                row(out, "top1_agreement", r.top1Agreement(), r.top1AgreementCi95());
                row(out, "perplexity", r.perplexity(), r.perplexityCi95());
                row(out, "reference_ppl", r.referencePerplexity(), r.referencePerplexityCi95());
                row(out, "greedy_top1", r.greedyTop1Agreement(), r.greedyTop1AgreementCi95());
                row(out, "max_logit_error", r.maxAbsLogitError(), r.maxAbsLogitErrorCi95());
                out.printf(Locale.ROOT, "bits_per_weight %.4f%n", r.bitsPerWeight());
            }
        }
        return 0;
    }

    private static void row(PrintStream out, String name, double v, double[] ci) {
        if (Double.isNaN(v)) { // nothing to measure, e.g. every greedy continuation ended at its first token
            out.printf(Locale.ROOT, "%-15s n/a%n", name);
        } else {
            out.printf(Locale.ROOT, "%-15s %.5f  [%.5f, %.5f]%n", name, v, ci[0], ci[1]);
        }
    }
}
