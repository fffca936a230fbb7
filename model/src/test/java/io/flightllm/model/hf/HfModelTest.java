package io.flightllm.model.hf;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.Generator;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Sampler;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.HfWriter;
import io.flightllm.model.testing.HfWriter.Options;
import io.flightllm.model.testing.HfWriter.RopeStyle;
import io.flightllm.model.testing.SharedData;
import io.flightllm.model.tokenizer.BpeTokenizer;
import io.flightllm.model.tokenizer.Llama2cTokenizerFile;
import io.flightllm.model.tokenizer.SentencePieceTokenizer;
import io.flightllm.model.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HF directories written from the shared llama2.c checkpoints load to the same model: same text, same logits. */
class HfModelTest {
    @TempDir
    Path tmp;

    static Model bin(String name) {
        return ModelLoader.load(SharedData.model(name));
    }

    static SentencePieceTokenizer tok512() {
        return Llama2cTokenizerFile.read(SharedData.model("tok512.bin"), 512);
    }

    /** Writes stories260K (or {@code name}) as an HF directory with {@code o} and loads it back. */
    Model hf(String name, Options o, String dirName) {
        Path dir = tmp.resolve(dirName);
        try (Model m = bin(name)) {
            HfWriter.write(m, tok512(), dir, o);
        }
        return ModelLoader.load(dir);
    }

    static byte[] greedy(Model m, Tokenizer tok, String prompt, int steps) {
        int n = Generator.effectiveSteps(steps, m.config().seqLen());
        LlamaForward f = new LlamaForward(m.config(), m.weights(), new ScalarMatVec(), n);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Generator.generate(f, tok, new Sampler(m.config().vocabSize(), 0.0f, 0.9f, 1), tok.encode(prompt, true, false),
                n, out);
        return out.toByteArray();
    }

    /**
     * The fast kernels read tensor memory directly; q/k of an HF directory are row-permuted views, so the kernels must
     * honour the row order: logits equal to the golden kernel's (bit for bit for exact, within rounding for vector).
     */
    @Test
    void fastKernelsHonourThePermutedRowsOfHfQueryAndKey() {
        try (Model m = hf("stories260K.bin", Options.defaults(), "fast");
             MatVec exact = new io.flightllm.model.forward.ExactVectorMatVec(2);
             MatVec vector = new io.flightllm.model.forward.VectorMatVec(2)) {
            assertThat(m.weights().layers().get(0).wq().isRowPermuted()).isTrue();
            LlamaForward golden = new LlamaForward(m.config(), m.weights(), new ScalarMatVec(), 40);
            LlamaForward ex = new LlamaForward(m.config(), m.weights(), exact, 40);
            LlamaForward vec = new LlamaForward(m.config(), m.weights(), vector, 40);
            int token = 1;
            for (int pos = 0; pos < 40; pos++) {
                float[] g = golden.forward(token, pos).clone();
                assertThat(ex.forward(token, pos)).as("exact at %d", pos).isEqualTo(g);
                float[] v = vec.forward(token, pos);
                for (int i = 0; i < g.length; i++) {
                    assertThat(v[i]).as("vector at %d, logit %d", pos, i).isCloseTo(g[i],
                            org.assertj.core.data.Offset.offset(1e-3f));
                }
                token = io.flightllm.model.Sampler.argmax(g, g.length);
            }
        }
    }

    @Test
    void f32DirectoryGivesRunCsTextWithItsOwnTokenizer() throws Exception {
        try (Model hf = hf("stories260K.bin", Options.defaults(), "f32"); Model bin = bin("stories260K.bin")) {
            assertThat(hf.format()).isEqualTo("Hugging Face safetensors (F32)");
            assertThat(hf.tokenizer()).isInstanceOf(BpeTokenizer.class);
            Tokenizer tok = ModelLoader.tokenizer(hf, null);
            byte[] expected = Files.readAllBytes(SharedData.reference("stories260K_n256_empty.stdout"));
            assertThat(greedy(hf, tok, "", 256)).isEqualTo(expected);
            for (String prompt : new String[] {"Once upon a time", "Lily and Tom went to the park. They saw"}) {
                assertThat(tok.encode(prompt, true, false)).isEqualTo(tok512().encode(prompt, true, false));
                byte[] fromBin = greedy(bin, tok512(), prompt, 256);
                assertThat(new String(fromBin, java.nio.charset.StandardCharsets.UTF_8)).startsWith(prompt);
                assertThat(greedy(hf, tok, prompt, 256)).isEqualTo(fromBin);
            }
        }
    }

    @Test
    void configMatchesTheBinExceptMetadataStopToken() {
        try (Model hf = hf("stories260K.bin", Options.defaults(), "cfg"); Model bin = bin("stories260K.bin")) {
            ModelConfig a = hf.config();
            ModelConfig b = bin.config();
            assertThat(a.eosIds()).containsExactly(2);
            assertThat(new ModelConfig(a.family(), a.dim(), a.hiddenDim(), a.nLayers(), a.nHeads(), a.nKvHeads(),
                    a.vocabSize(), a.seqLen(), a.headSize(), a.normEps(), a.ropeTheta(), a.norm(), a.mlp(),
                    a.positions(), a.attentionBias(), a.mlpBias(), a.sharedClassifier(), a.bosId(),
                    java.util.List.of())).isEqualTo(b);
            assertThat(hf.weights().classifier()).isSameAs(hf.weights().tokenEmbedding());
        }
    }

    @Test
    void absentLmHeadMeansSharedEvenWhenNotTied() throws Exception {
        try (Model written = hf("stories260K.bin", Options.defaults(), "untied")) {
            assertThat(written.config().sharedClassifier()).isTrue();
        }
        Path cfg = tmp.resolve("untied/config.json");
        String text = Files.readString(cfg);
        assertThat(text).contains("\"tie_word_embeddings\" : true");
        Files.writeString(cfg, text.replace("\"tie_word_embeddings\" : true", "\"tie_word_embeddings\" : false"));
        try (Model m = ModelLoader.load(tmp.resolve("untied"))) {
            assertThat(m.config().sharedClassifier()).isTrue();
            assertThat(m.weights().classifier()).isSameAs(m.weights().tokenEmbedding());
        }
    }

    @Test
    void ropeParametersStyleEqualsTopLevelStyle() {
        try (Model old = hf("stories260K.bin", Options.defaults(), "old");
             Model neu = hf("stories260K.bin", Options.defaults().rope(RopeStyle.ROPE_PARAMETERS), "new")) {
            assertThat(Files.exists(tmp.resolve("new/config.json"))).isTrue();
            assertThat(neu.config()).isEqualTo(old.config());
            assertThat(logitsAlong(neu, 64)).isEqualTo(logitsAlong(old, 64));
        }
    }

    @Test
    void shardedEqualsSingleFile() {
        try (Model single = hf("stories260K.bin", Options.defaults(), "single");
             Model sharded = hf("stories260K.bin", Options.defaults().shards(3), "sharded")) {
            assertThat(sharded.format()).isEqualTo("Hugging Face safetensors (F32, 3 shards)");
            assertThat(Files.exists(tmp.resolve("sharded/model.safetensors.index.json"))).isTrue();
            assertThat(Files.exists(tmp.resolve("sharded/model-00003-of-00003.safetensors"))).isTrue();
            assertThat(logitsAlong(sharded, 256)).isEqualTo(logitsAlong(single, 256));
        }
    }

    @Test
    void withoutThePermutationTheTextDiffers() {
        // the test of the test: if q/k were read in stored order, the text would change
        try (Model wrong = hf("stories260K.bin", Options.defaults().permute(false), "unpermuted")) {
            Tokenizer tok = wrong.tokenizer();
            try (Model bin = bin("stories260K.bin")) {
                assertThat(greedy(wrong, tok, "Once upon a time", 128))
                        .isNotEqualTo(greedy(bin, tok512(), "Once upon a time", 128));
            }
        }
    }

    @Test
    void unsharedGqa4SyntheticModelGivesIdenticalLogits() {
        try (Model hf = hf("synthetic/synth_tiny_unshared_gqa4.bin", Options.defaults(), "synth");
             Model bin = bin("synthetic/synth_tiny_unshared_gqa4.bin")) {
            assertThat(hf.config().sharedClassifier()).isFalse();
            assertThat(hf.config().kvMul()).isEqualTo(4);
            assertThat(hf.weights().classifier()).isNotSameAs(hf.weights().tokenEmbedding());
            assertThat(hf.weights().classifier().name()).isEqualTo("lm_head.weight");
            assertThat(logitsAlong(hf, 128)).isEqualTo(logitsAlong(bin, 128));
        }
    }

    /**
     * Teacher-forced logits over {@code n} positions: the token fed at each position is the previous position's
     * argmax of the same model (BOS first). Returned as one flat array of float bits for exact comparison.
     */
    static int[] logitsAlong(Model m, int n) {
        return Arrays.stream(logitsAlong(m, null, n)).flatMapToInt(HfModelTest::bits).toArray();
    }

    private static java.util.stream.IntStream bits(float[] row) {
        return java.util.stream.IntStream.range(0, row.length).map(i -> Float.floatToRawIntBits(row[i]));
    }

    /** Logits per position; the tokens fed are {@code tokens} when given, else each step's own argmax. */
    static float[][] logitsAlong(Model m, int[] tokens, int n) {
        LlamaForward f = new LlamaForward(m.config(), m.weights(), new ScalarMatVec(), n);
        float[][] out = new float[n][];
        int token = 1;
        for (int pos = 0; pos < n; pos++) {
            out[pos] = f.forward(token, pos).clone();
            token = tokens != null ? tokens[pos] : Sampler.argmax(out[pos], out[pos].length);
        }
        return out;
    }

    /**
     * F16 and BF16 checkpoints are not expected to reproduce FP32 text; this measures how close they are along the
     * FP32 model's greedy sequence (both fed the same tokens): top-1 agreement and the largest logit difference.
     * The numbers are printed for docs/hf.md; the bounds only catch gross errors (e.g. a wrong conversion).
     */
    @Test
    void halfPrecisionAgreementIsMeasured() {
        int n = 256;
        try (Model f32 = hf("stories260K.bin", Options.defaults(), "m32")) {
            float[][] ref = logitsAlong(f32, null, n);
            int[] tokens = new int[n];
            for (int pos = 0; pos < n; pos++) {
                tokens[pos] = Sampler.argmax(ref[pos], ref[pos].length);
            }
            for (String dtype : new String[] {"F16", "BF16"}) {
                try (Model half = hf("stories260K.bin", Options.defaults().dtype(dtype), "m" + dtype)) {
                    assertThat(half.format()).contains(dtype);
                    float[][] got = logitsAlong(half, tokens, n);
                    int agree = 0;
                    double maxErr = 0;
                    for (int pos = 0; pos < n; pos++) {
                        agree += Sampler.argmax(got[pos], got[pos].length) == tokens[pos] ? 1 : 0;
                        for (int v = 0; v < got[pos].length; v++) {
                            maxErr = Math.max(maxErr, Math.abs(got[pos][v] - ref[pos][v]));
                        }
                    }
                    // free-running: the first position where the half model's own greedy choice differs
                    float[][] own = logitsAlong(half, null, n);
                    int firstDiff = -1;
                    for (int pos = 0; pos < n && firstDiff < 0; pos++) {
                        if (Sampler.argmax(own[pos], own[pos].length) != tokens[pos]) {
                            firstDiff = pos;
                        }
                    }
                    System.out.printf(Locale.ROOT, "HF %s vs F32 (stories260K, %d greedy positions): top-1 agreement "
                            + "%d/%d = %.4f, max |logit error| = %.6g, free-running greedy first differs at %s%n",
                            dtype, n, agree, n, agree / (double) n, maxErr,
                            firstDiff < 0 ? "never" : "position " + firstDiff);
                    assertThat(agree).isGreaterThan(n * 8 / 10);
                    assertThat(maxErr).isGreaterThan(0.0).isLessThan(dtype.equals("F16") ? 0.1 : 1.0);
                }
            }
        }
    }
}
