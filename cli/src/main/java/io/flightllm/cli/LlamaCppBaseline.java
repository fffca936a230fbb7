package io.flightllm.cli;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import io.flightllm.model.DType;
import io.flightllm.model.Model;
import io.flightllm.model.bench.DecodeBench;
import io.flightllm.model.gguf.GgufVocab;
import io.flightllm.model.gguf.GgufWriter;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.tokenizer.SentencePieceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * llama.cpp (through the {@code de.kherud:llama} JNI binding, which bundles its native library) decoding the same FP32
 * weights written as a Q4_0 GGUF by the project's {@link GgufWriter}: the CPU baseline next to the twin in
 * {@code bench --llamacpp}. The GGUF is loaded back through the project's loader first (its weight bytes per token
 * come from there). A random model has no tokenizer, so a synthetic SentencePiece vocabulary is written with it
 * (control tokens, the 256 byte tokens, then placeholder pieces): the prompt is plain letters, which llama.cpp
 * tokenizes to byte tokens, one per letter.
 */
final class LlamaCppBaseline {
    /**
     * @param decodeTokensPerS median over the repetitions of (generated - 1) / (time of the last token - time of the
     *                         first), measured in Java around llama.cpp's token stream
     * @param promptTokens     prompt tokens as llama.cpp tokenized them (BOS included)
     */
    record Result(double decodeTokensPerS, List<Double> runs, long weightBytesPerToken, int promptTokens,
                  long ggufBytes) {
        double achievedGbPerS() {
            return decodeTokensPerS * weightBytesPerToken / 1e9;
        }
    }

    private LlamaCppBaseline() {
    }

    static Result run(Model m, int threads, DecodeBench.Workload w, Path dir, Consumer<String> progress) {
        Path gguf = dir.resolve("llamacpp-q4_0.gguf");
        try {
            progress.accept("writing the same weights as a Q4_0 GGUF (" + gguf + ")");
            GgufWriter.write(m, syntheticVocab(m.config().vocabSize()), gguf, GgufWriter.uniform(DType.Q4_0));
            long weightBytes;
            try (Model back = ModelLoader.load(gguf)) {
                weightBytes = DecodeBench.weightBytesPerToken(back.weights());
            }
            long size = Files.size(gguf);
            quietInit();
            ModelParameters mp = new ModelParameters().setModel(gguf.toString()).setThreads(threads)
                    .setThreadsBatch(threads).setCtxSize(w.contextLength() + 8).setGpuLayers(0);
            try (LlamaModel lm = new LlamaModel(mp)) {
                String prompt = "a".repeat(Math.max(1, w.promptTokens() - 1));
                int promptTokens = lm.encode(prompt).length;
                List<Double> runs = new ArrayList<>();
                for (int rep = 0; rep < w.warmup() + w.repetitions(); rep++) {
                    progress.accept(String.format(java.util.Locale.ROOT, "llama.cpp Q4_0 %s %d/%d",
                            rep < w.warmup() ? "warm-up" : "repetition", rep < w.warmup() ? rep + 1
                                    : rep - w.warmup() + 1, rep < w.warmup() ? w.warmup() : w.repetitions()));
                    double tokS = decode(lm, prompt, w.generatedTokens());
                    if (rep >= w.warmup()) {
                        runs.add(tokS);
                    }
                }
                double[] sorted = runs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                return new Result(sorted[sorted.length / 2], runs, weightBytes, promptTokens, size);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(gguf + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(gguf);
            } catch (IOException ignored) {
                // a leftover temporary file is not worth failing the benchmark for
            }
        }
    }

    /**
     * Loads the binding: its loader announces the extracted native library on System.out, which is the report's
     * stream, so standard output points at standard error meanwhile; llama.cpp's own log is dropped.
     */
    private static synchronized void quietInit() {
        java.io.PrintStream out = System.out;
        System.setOut(System.err);
        try {
            LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> { });
        } finally {
            System.setOut(out);
        }
    }

    /** Greedy decode of {@code n} tokens after the prompt; decode tokens/s over the tokens after the first. */
    private static double decode(LlamaModel lm, String prompt, int n) {
        InferenceParameters ip = new InferenceParameters(prompt).setNPredict(n).setTemperature(0f).setTopK(1)
                .setIgnoreEos(true).setCachePrompt(false).setSeed(1);
        long first = 0;
        long last = 0;
        int count = 0;
        for (LlamaOutput ignored : lm.generate(ip)) {
            last = System.nanoTime();
            if (count++ == 0) {
                first = last;
            }
        }
        if (count < 2) {
            throw new IllegalStateException("llama.cpp produced " + count + " tokens; expected " + n);
        }
        return (count - 1) / ((last - first) / 1e9);
    }

    /** A SentencePiece vocabulary of {@code size} pieces: unk, BOS, EOS, the 256 byte tokens, then placeholders. */
    static SentencePieceTokenizer syntheticVocab(int size) {
        int bytes = 256;
        if (size < GgufVocab.BYTE_OFFSET + bytes) {
            throw new IllegalArgumentException("vocabulary of " + size + " tokens; llama.cpp's byte fallback needs at "
                    + "least " + (GgufVocab.BYTE_OFFSET + bytes));
        }
        byte[][] pieces = new byte[size][];
        pieces[0] = "<unk>".getBytes(StandardCharsets.UTF_8);
        pieces[1] = "<s>".getBytes(StandardCharsets.UTF_8);
        pieces[2] = "</s>".getBytes(StandardCharsets.UTF_8);
        for (int b = 0; b < bytes; b++) {
            pieces[GgufVocab.BYTE_OFFSET + b] = String.format("<0x%02X>", b).getBytes(StandardCharsets.UTF_8);
        }
        for (int i = GgufVocab.BYTE_OFFSET + bytes; i < size; i++) {
            pieces[i] = ("\u2581t" + i).getBytes(StandardCharsets.UTF_8);
        }
        float[] scores = new float[size];
        Arrays.fill(scores, -1000f);
        return new SentencePieceTokenizer(pieces, scores, 1, 2, GgufVocab.BYTE_OFFSET);
    }
}
