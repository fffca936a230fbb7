package io.flightllm.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import io.flightllm.model.tokenizer.Llama2cTokenizerFile;
import io.flightllm.model.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The other shared models (plain MHA with a short context; unshared classifier with kv_mul 4) and steps handling. */
class MultiModelTest {
    record Run(String text, Generator.Result result) {
    }

    static Run run(String model, String tokenizer, String prompt, int steps) {
        try (Model m = ModelLoader.load(SharedData.model(model))) {
            Tokenizer tok = Llama2cTokenizerFile.read(SharedData.model(tokenizer), m.config().vocabSize());
            int n = Generator.effectiveSteps(steps, m.config().seqLen());
            LlamaForward f = new LlamaForward(m.config(), m.weights(), new ScalarMatVec(), n);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Generator.Result r = Generator.generate(f, tok, new Sampler(m.config().vocabSize(), 0f, 0.9f, 1),
                    tok.encode(prompt, true, false), n, out);
            return new Run(out.toString(StandardCharsets.UTF_8), r);
        }
    }

    @Test
    void aidreamsIsPlainMhaWithContext128() {
        try (Model m = ModelLoader.load(SharedData.model("aidreams260K.bin"))) {
            ModelConfig c = m.config();
            assertThat(new int[] {c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.vocabSize(),
                    c.seqLen()}).containsExactly(64, 172, 4, 4, 4, 512, 128);
            assertThat(c.kvMul()).isEqualTo(1);
            assertThat(c.sharedClassifier()).isTrue();
        }
    }

    @Test
    void aidreamsGeneratesItsOwnKindOfText() {
        Run r = run("aidreams260K.bin", "aidreams_tok512.bin", "", 0);
        // the shared README quotes run.c's output of this model (an opening quote mark included)
        assertThat(r.text()).startsWith("\"Echoes of vectors unfold, a gentle hum of precision,");
        assertThat(r.result().positionsRun()).isBetween(2, 128);
    }

    @Test
    void stepsBeyondTheContextAreCappedAtSeqLen() {
        Run capped = run("aidreams260K.bin", "aidreams_tok512.bin", "Echoes", 100_000);
        Run exact = run("aidreams260K.bin", "aidreams_tok512.bin", "Echoes", 128);
        assertThat(Generator.effectiveSteps(100_000, 128)).isEqualTo(128);
        assertThat(capped.result().positionsRun()).isLessThanOrEqualTo(128);
        assertThat(capped.text()).isEqualTo(exact.text());
    }

    @Test
    void unsharedGqa4SyntheticModelLoadsAndGenerates() {
        try (Model m = ModelLoader.load(SharedData.model("synthetic/synth_tiny_unshared_gqa4.bin"))) {
            ModelConfig c = m.config();
            assertThat(c.sharedClassifier()).isFalse();
            assertThat(c.kvMul()).isEqualTo(4);
            assertThat(c.seqLen()).isEqualTo(128);
            assertThat(m.weights().classifier()).isNotSameAs(m.weights().tokenEmbedding());
            assertThat(m.weights().classifier().name()).isEqualTo("wcls");
        }
        Run r = run("synthetic/synth_tiny_unshared_gqa4.bin", "tok512.bin", "Once upon", 40);
        assertThat(r.text()).startsWith("Once upon").endsWith("\n");
        assertThat(r.result().positionsRun()).isBetween(4, 40);
    }

    @Test
    void aPromptLongerThanStepsIsCutAtStepsPositions() {
        String prompt = "Once upon a time, there was a little girl named Lily. She loved to play outside.";
        Run full = run("stories260K.bin", "tok512.bin", prompt, 256);
        Run cut = run("stories260K.bin", "tok512.bin", prompt, 6);
        // run.c prints one piece per position: 6 positions show the prompt's first 6 tokens (after BOS) and no more
        assertThat(cut.result().positionsRun()).isEqualTo(6);
        assertThat(cut.result().promptTokens()).isEqualTo(6);
        assertThat(cut.result().generatedTokens()).isZero();
        String shown = cut.text().substring(0, cut.text().length() - 1);
        assertThat(cut.text()).endsWith("\n");
        assertThat(prompt).startsWith(shown);
        assertThat(shown.length()).isBetween(6, prompt.length() - 20);
        assertThat(full.text()).startsWith(prompt);
    }
}
