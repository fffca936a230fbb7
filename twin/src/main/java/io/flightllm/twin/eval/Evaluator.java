package io.flightllm.twin.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Compares models with a reference over a fixed corpus. The reference's logits (and its greedy continuations of the
 * prompts) are computed once, here; {@link #evaluate} then runs only the model under test.
 */
public final class Evaluator {
    /**
     * @param resamples    bootstrap resamples (at least 1000 for reports)
     * @param seed         the bootstrap's fixed seed
     * @param greedyLength total positions of each greedy continuation, prompt included (capped by the context)
     */
    public record Options(int resamples, long seed, int greedyLength) {
        public static final Options DEFAULT = new Options(Bootstrap.DEFAULT_RESAMPLES, Bootstrap.DEFAULT_SEED, 256);
    }

    private final Corpus corpus;
    private final Options options;
    private final List<float[][]> refLogits = new ArrayList<>();
    private final List<int[]> greedy = new ArrayList<>();
    private final List<Integer> greedyFrom = new ArrayList<>();
    private final List<float[][]> greedyRef = new ArrayList<>();
    private final int promptCount;

    /**
     * @param prompts token sequences (BOS first) the reference continues greedily; may be empty. A continuation equal
     *                to an earlier one is dropped
     */
    public Evaluator(LogitModel reference, Corpus corpus, List<int[]> prompts, Options options) {
        if (corpus.sequences().isEmpty()) {
            throw new IllegalArgumentException(corpus.description() + ": an empty corpus cannot be evaluated");
        }
        if (options.resamples() < 2) {
            throw new IllegalArgumentException("bootstrap resamples " + options.resamples() + " must be at least 2");
        }
        this.corpus = corpus;
        this.options = options;
        this.promptCount = prompts.size();
        for (int[] seq : corpus.sequences()) {
            checkFits(reference, seq.length);
            refLogits.add(run(reference, seq));
        }
        int len = Math.min(options.greedyLength(), reference.contextLength());
        for (int[] prompt : prompts) {
            if (prompt.length == 0 || prompt.length >= len) {
                throw new IllegalArgumentException("a prompt of " + prompt.length + " tokens leaves nothing to "
                        + "continue within " + len + " positions");
            }
            int[] seq = continueGreedily(reference, prompt, len);
            // a prompt that is a prefix of an earlier continuation reproduces it: count those positions once
            boolean repeat = greedy.stream().anyMatch(s -> java.util.Arrays.equals(s, seq));
            if (seq.length > prompt.length && !repeat) {
                greedy.add(seq);
                greedyFrom.add(prompt.length - 1);
                greedyRef.add(run(reference, seq));
            }
        }
    }

    /** Prompts given (before dropping repeated continuations). */
    public int promptCount() {
        return promptCount;
    }

    public Corpus corpus() {
        return corpus;
    }

    /** The reference's greedy continuations (prompt included), for reports and tests. */
    public List<int[]> greedySequences() {
        return List.copyOf(greedy);
    }

    /** Scores {@code model} against the reference; {@code bitsPerWeight} is reported as given (NaN if unknown). */
    public EvalReport evaluate(LogitModel model, double bitsPerWeight) {
        List<SequenceStats> stats = new ArrayList<>();
        List<int[]> seqs = corpus.sequences();
        for (int i = 0; i < seqs.size(); i++) {
            checkFits(model, seqs.get(i).length);
            stats.add(SequenceStats.score(seqs.get(i), refLogits.get(i), run(model, seqs.get(i)), 0));
        }
        List<SequenceStats> g = new ArrayList<>();
        for (int i = 0; i < greedy.size(); i++) {
            checkFits(model, greedy.get(i).length);
            g.add(SequenceStats.score(greedy.get(i), greedyRef.get(i), run(model, greedy.get(i)), greedyFrom.get(i)));
        }
        int n = stats.size();
        Metric kl = ratio(stats, SequenceStats::klSum);
        Metric top1 = ratio(stats, s -> s.top1());
        Metric meanAbs = ratio(stats, SequenceStats::absErrorSum);
        Metric ppl = c -> Math.exp(ratio(stats, SequenceStats::nllSum).of(c));
        Metric refPpl = c -> Math.exp(ratio(stats, SequenceStats::refNllSum).of(c));
        Metric maxAbs = c -> {
            double m = 0;
            for (int i = 0; i < n; i++) {
                m = c[i] > 0 ? Math.max(m, stats.get(i).maxAbsError()) : m;
            }
            return m;
        };
        Metric greedyTop1 = ratio(g, s -> s.top1());
        int positions = stats.stream().mapToInt(SequenceStats::positions).sum();
        int gPositions = g.stream().mapToInt(SequenceStats::positions).sum();
        return new EvalReport(model.label(), corpus.description(),
                corpus.perplexityLabel(), n, corpus.tokens(), positions,
                kl.point(n), ci(kl, n), top1.point(n), ci(top1, n), ppl.point(n), ci(ppl, n),
                refPpl.point(n), ci(refPpl, n), maxAbs.point(n), ci(maxAbs, n), meanAbs.point(n), ci(meanAbs, n),
                g.size(), gPositions,
                g.isEmpty() ? Double.NaN : greedyTop1.point(g.size()),
                g.isEmpty() ? new double[] {Double.NaN, Double.NaN} : ci(greedyTop1, g.size()),
                bitsPerWeight, new double[] {bitsPerWeight, bitsPerWeight});
    }

    /**
     * A greedy position where the model's argmax differs from the reference's.
     *
     * @param refGap the reference's logit of its own top token minus its logit of the model's top token (a small gap
     *               is a near tie that any perturbation can flip)
     */
    public record Mismatch(int sequence, int position, int refTop, int modelTop, double refGap) {
    }

    /** Every greedy-continuation position where {@code model} disagrees with the reference. */
    public List<Mismatch> greedyMismatches(LogitModel model) {
        List<Mismatch> out = new ArrayList<>();
        for (int i = 0; i < greedy.size(); i++) {
            float[][] mine = run(model, greedy.get(i));
            float[][] ref = greedyRef.get(i);
            for (int p = greedyFrom.get(i); p < mine.length; p++) {
                int a = Metrics.argmax(ref[p]);
                int b = Metrics.argmax(mine[p]);
                if (a != b) {
                    out.add(new Mismatch(i, p, a, b, (double) ref[p][a] - ref[p][b]));
                }
            }
        }
        return out;
    }

    /** A statistic over resampled sequences, with its point estimate and interval. */
    private interface Metric extends Bootstrap.Statistic {
        default double point(int n) {
            return of(Bootstrap.all(n));
        }
    }

    private double[] ci(Metric m, int n) {
        return Bootstrap.interval95(n, m, options.resamples(), options.seed());
    }

    private static Metric ratio(List<SequenceStats> stats, ToDoubleFunction<SequenceStats> sum) {
        return c -> {
            double num = 0;
            double den = 0;
            for (int i = 0; i < c.length; i++) {
                num += c[i] * sum.applyAsDouble(stats.get(i));
                den += c[i] * (double) stats.get(i).positions();
            }
            return num / den;
        };
    }

    /** Logits of positions 0 .. length-2 (those with a next token to predict), copied. */
    static float[][] run(LogitModel m, int[] tokens) {
        m.reset();
        float[][] out = new float[tokens.length - 1][];
        for (int i = 0; i + 1 < tokens.length; i++) {
            out[i] = m.forward(tokens[i], i).clone();
        }
        return out;
    }

    /** The prompt, then argmax tokens up to {@code length} in total; stops early at BOS (the prompt's first token). */
    static int[] continueGreedily(LogitModel m, int[] prompt, int length) {
        m.reset();
        int[] seq = java.util.Arrays.copyOf(prompt, length);
        int n = prompt.length;
        float[] logits = null;
        for (int i = 0; i < prompt.length; i++) {
            logits = m.forward(prompt[i], i);
        }
        while (n < length) {
            int next = Metrics.argmax(logits);
            if (next == prompt[0]) {
                break;
            }
            seq[n] = next;
            if (++n < length) {
                logits = m.forward(next, n - 1);
            }
        }
        return java.util.Arrays.copyOf(seq, n);
    }

    private static void checkFits(LogitModel m, int length) {
        if (length > m.contextLength()) {
            throw new IllegalArgumentException(m.label() + ": a sequence of " + length + " tokens exceeds its context of "
                    + m.contextLength());
        }
    }
}
