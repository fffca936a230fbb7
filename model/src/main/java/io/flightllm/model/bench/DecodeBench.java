package io.flightllm.model.bench;

import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Sampler;
import io.flightllm.model.Tensor;
import io.flightllm.model.Weights;
import io.flightllm.model.forward.Forward;
import io.flightllm.model.forward.DecoderForward;
import io.flightllm.model.forward.MatVec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The measured {@code bench} workload of DESIGN.md "Metric definitions": P prompt tokens (BOS + random ids, fixed
 * seed) run as one batched prefill, then D greedy decode steps; W warm-up repetitions, then R measured ones, medians.
 * prefill tokens/s = P / prefill wall time (including the classifier for the last position); decode tokens/s = D / wall
 * time of the D decode steps (forward pass + argmax each).
 */
public final class DecodeBench {
    /** The workload; {@link #DEFAULT} is 128 prompt tokens, 128 generated, 1 warm-up, 5 repetitions. */
    public record Workload(int promptTokens, int generatedTokens, int warmup, int repetitions) {
        public static final Workload DEFAULT = new Workload(128, 128, 1, 5);

        public Workload {
            if (promptTokens < 1 || generatedTokens < 1 || warmup < 0 || repetitions < 1) {
                throw new IllegalArgumentException("prompt " + promptTokens + ", generated " + generatedTokens
                        + ", warm-up " + warmup + ", repetitions " + repetitions + ": expected >= 1 (warm-up >= 0)");
            }
        }

        public int contextLength() {
            return promptTokens + generatedTokens;
        }
    }

    /** One measured repetition. */
    public record Run(double prefillTokensPerS, double decodeTokensPerS) {
    }

    /**
     * Medians over the measured runs. {@code kvCacheBytesPerToken} is the mean over the decode steps of the K and V
     * bytes attention reads (reported next to, not inside, the weight bytes).
     */
    public record Result(Workload workload, List<Run> runs, double prefillTokensPerS, double decodeTokensPerS,
                         long weightBytesPerToken, double kvCacheBytesPerToken) {
        /** weight_bytes_per_token x decode_tokens_per_s / 1e9. */
        public double achievedGbPerS() {
            return weightBytesPerToken * decodeTokensPerS / 1e9;
        }
    }

    private DecodeBench() {
    }

    /**
     * Distinct weight bytes read per decode step: every matrix once, the classifier once (once even when it is the
     * embedding), one embedding row (and one position row for learned positions), the norms and biases.
     */
    public static long weightBytesPerToken(Weights w) {
        long bytes = w.tokenEmbedding().rowBytes();
        if (w.positionEmbedding() != null) {
            bytes += w.positionEmbedding().rowBytes();
        }
        if (w.classifier() == w.tokenEmbedding()) {
            bytes += w.classifier().byteSize(); // all() lists a shared classifier once, as the embedding
        }
        for (Tensor t : w.all()) {
            if (t != w.tokenEmbedding() && t != w.positionEmbedding()) {
                bytes += t.byteSize();
            }
        }
        return bytes;
    }

    /** The fp32 reference with kernel {@code mv} on model {@code m}. */
    public static Result run(Model m, MatVec mv, Workload w, long seed, Consumer<String> progress) {
        ModelConfig c = m.config();
        if (w.contextLength() > c.seqLen()) {
            throw new IllegalArgumentException("the workload needs " + w.contextLength() + " positions; the model's "
                    + "context is " + c.seqLen());
        }
        DecoderForward f = DecoderForward.create(c, m.weights(), mv, w.contextLength());
        return run(f, weightBytesPerToken(m.weights()), 2L * c.nLayers() * c.kvDim() * 4, w, seed, progress);
    }

    /**
     * Any executor: {@code weightBytesPerToken} as DESIGN.md defines it, {@code kvBytesPerPosition} the KV-cache bytes
     * one cached position occupies (all layers, K and V).
     */
    public static Result run(Forward f, long weightBytesPerToken, long kvBytesPerPosition, Workload w, long seed,
                             Consumer<String> progress) {
        ModelConfig c = f.config();
        if (w.contextLength() > f.contextLength()) {
            throw new IllegalArgumentException("the workload needs " + w.contextLength() + " positions; the "
                    + "executor holds " + f.contextLength());
        }
        int[] prompt = new int[w.promptTokens()];
        prompt[0] = c.bosId();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 1; i < prompt.length; i++) {
            int t;
            do {
                t = rnd.nextInt(c.vocabSize());
            } while (c.isStopToken(t));
            prompt[i] = t;
        }
        List<Run> runs = new ArrayList<>();
        int total = w.warmup() + w.repetitions();
        for (int rep = 0; rep < total; rep++) {
            long t0 = System.nanoTime();
            float[] logits = f.prefill(prompt, 0, prompt.length, true);
            long t1 = System.nanoTime();
            int token = Sampler.argmax(logits, logits.length);
            long t2 = System.nanoTime();
            for (int pos = prompt.length; pos < w.contextLength(); pos++) {
                logits = f.forward(token, pos);
                token = Sampler.argmax(logits, logits.length);
            }
            long t3 = System.nanoTime();
            Run r = new Run(w.promptTokens() * 1e9 / (t1 - t0), w.generatedTokens() * 1e9 / (t3 - t2));
            boolean warm = rep < w.warmup();
            if (!warm) {
                runs.add(r);
            }
            progress.accept(String.format(java.util.Locale.ROOT,
                    "%s %d/%d: prefill %.1f tok/s, decode %.2f tok/s", warm ? "warm-up" : "repetition",
                    warm ? rep + 1 : rep + 1 - w.warmup(), warm ? w.warmup() : w.repetitions(),
                    r.prefillTokensPerS(), r.decodeTokensPerS()));
        }
        double kvPerStep = 0;
        for (int pos = prompt.length; pos < w.contextLength(); pos++) {
            kvPerStep += (double) (pos + 1) * kvBytesPerPosition;
        }
        kvPerStep /= w.generatedTokens();
        return new Result(w, List.copyOf(runs), median(runs.stream().mapToDouble(Run::prefillTokensPerS).toArray()),
                median(runs.stream().mapToDouble(Run::decodeTokensPerS).toArray()), weightBytesPerToken, kvPerStep);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
