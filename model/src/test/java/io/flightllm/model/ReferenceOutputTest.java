package io.flightllm.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import io.flightllm.model.tokenizer.Llama2cTokenizerFile;
import io.flightllm.model.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** Verification level 1: the golden forward pass + sampler print exactly what llama2.c run.c printed. */
class ReferenceOutputTest {
    static byte[] generate(String model, String tokenizer, String prompt, int steps, float temperature, float topp,
                           long seed) {
        try (Model m = ModelLoader.load(SharedData.model(model))) {
            Tokenizer tok = Llama2cTokenizerFile.read(SharedData.model(tokenizer), m.config().vocabSize());
            int n = Generator.effectiveSteps(steps, m.config().seqLen());
            LlamaForward f = new LlamaForward(m.config(), m.weights(), new ScalarMatVec(), n);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Generator.generate(f, tok, new Sampler(m.config().vocabSize(), temperature, topp, seed),
                    tok.encode(prompt, true, false), n, out);
            return out.toByteArray();
        }
    }

    @Test
    void greedyEmptyPromptMatchesRunC() throws Exception {
        byte[] expected = Files.readAllBytes(SharedData.reference("stories260K_n256_empty.stdout"));
        assertThat(generate("stories260K.bin", "tok512.bin", "", 256, 0.0f, 0.9f, 1)).isEqualTo(expected);
    }

    @Test
    void topPSeededMatchesRunC() throws Exception {
        byte[] expected = Files.readAllBytes(SharedData.reference("stories260K_t1.0_p0.9_s133742_n256.stdout"));
        assertThat(generate("stories260K.bin", "tok512.bin", "", 256, 1.0f, 0.9f, 133742)).isEqualTo(expected);
    }

    @Test
    void aCorruptedReferenceIsDetected() throws Exception {
        // the checker's own test: one changed byte of the golden output must make the comparison fail
        byte[] expected = Files.readAllBytes(SharedData.reference("stories260K_n256_empty.stdout"));
        expected[expected.length / 2] ^= 1;
        assertThat(generate("stories260K.bin", "tok512.bin", "", 256, 0.0f, 0.9f, 1)).isNotEqualTo(expected);
    }
}
