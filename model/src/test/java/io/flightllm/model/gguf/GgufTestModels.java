package io.flightllm.model.gguf;

import io.flightllm.model.DType;
import io.flightllm.model.Generator;
import io.flightllm.model.Model;
import io.flightllm.model.Sampler;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import io.flightllm.model.tokenizer.Llama2cTokenizerFile;
import io.flightllm.model.tokenizer.SentencePieceTokenizer;
import io.flightllm.model.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;

/** Shared-model conversions and greedy runs for the GGUF tests (and the agreement table in docs/gguf.md). */
public final class GgufTestModels {
    private GgufTestModels() {
    }

    /** Writes shared model {@code model} as GGUF with every tensor in {@code type} (llama.cpp's rule). */
    public static Path write(String model, String tokenizer, DType type, Path dir) {
        Path out = dir.resolve(model.replace('/', '_').replace(".bin", "") + "-" + type + ".gguf");
        try (Model m = ModelLoader.load(SharedData.model(model))) {
            SentencePieceTokenizer tok = tokenizer == null ? null
                    : Llama2cTokenizerFile.read(SharedData.model(tokenizer), m.config().vocabSize());
            GgufWriter.write(m, tok, out, GgufWriter.uniform(type));
        }
        return out;
    }

    /** run.c's greedy generation (temperature 0) with the golden scalar forward pass. */
    public static byte[] greedy(Model m, Tokenizer tok, String prompt, int steps) {
        int n = Generator.effectiveSteps(steps, m.config().seqLen());
        LlamaForward f = new LlamaForward(m.config(), m.weights(), new ScalarMatVec(), n);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Generator.generate(f, tok, new Sampler(m.config().vocabSize(), 0.0f, 0.9f, 1),
                tok.encode(prompt, true, false), n, out);
        return out.toByteArray();
    }

    /** Index of the first largest logit (run.c's argmax). */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
