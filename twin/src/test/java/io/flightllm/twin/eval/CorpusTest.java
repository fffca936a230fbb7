package io.flightllm.twin.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.model.Model;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.twin.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {
    @Test
    void samplingIsDeterministicPerSeedAndSeedsDiffer() {
        try (Model m = TestModels.stories260K()) {
            Corpus a = Corpus.sample(m, 3, 32, 1, 1.0f, 1.0f);
            Corpus b = Corpus.sample(m, 3, 32, 1, 1.0f, 1.0f);
            Corpus shifted = Corpus.sample(m, 2, 32, 2, 1.0f, 1.0f); // seeds 2, 3
            Corpus calib = Corpus.sample(m, 3, 32, Corpus.CALIBRATION_SEED_BASE, 1.0f, 1.0f);
            assertThat(a.sequences()).hasSize(3);
            for (int i = 0; i < 3; i++) {
                assertThat(a.sequences().get(i)).containsExactly(b.sequences().get(i));
                assertThat(a.sequences().get(i)[0]).isEqualTo(m.config().bosId());
                assertThat(a.sequences().get(i).length).isLessThanOrEqualTo(32);
                assertThat(calib.sequences().get(i)).isNotEqualTo(a.sequences().get(i));
            }
            // sequence i is seed firstSeed + i, independent of the others
            assertThat(shifted.sequences().get(0)).containsExactly(a.sequences().get(1));
            assertThat(a.sequences().get(0)).isNotEqualTo(a.sequences().get(1));
            assertThat(a.sampled()).isEqualTo(3);
            assertThat(a.perplexityLabel()).isEqualTo("self-generated");
            Corpus mixed = a.plus(Corpus.fromText("Once upon a time", ModelLoader.loadTokenizer(
                    SharedData.model("tok512.bin"), 512), 16, 16, "text"));
            assertThat(mixed.sampled()).isEqualTo(3);
            assertThat(mixed.perplexityLabel()).isEqualTo("mixed: 3 self-generated + 1 text sequences");
            assertThat(a.description()).contains("self-generated").contains("seeds 1..3");
        }
    }

    @Test
    void samplingMatchesRunCsSeededOutputAtTopP() {
        // run.c -t 1.0 -p 0.9 -s 133742 on stories260K is a shared reference text: our sampled sequence must decode
        // to the same text (the corpus drives the same sampler and forward pass). run.c -n 256 runs 256 forward
        // passes and prints the token sampled after each: BOS + 256 tokens.
        try (Model m = TestModels.stories260K()) {
            Tokenizer tok = ModelLoader.loadTokenizer(SharedData.model("tok512.bin"), 512);
            int[] seq = Corpus.sample(m, 1, 257, 133742, 1.0f, 0.9f).sequences().getFirst();
            StringBuilder text = new StringBuilder();
            for (int i = 1; i < seq.length; i++) {
                text.append(new String(tok.decode(seq[i - 1], seq[i]), java.nio.charset.StandardCharsets.UTF_8));
            }
            String expected = Corpus.readUtf8(SharedData.reference("stories260K_t1.0_p0.9_s133742_n256.stdout"));
            assertThat(text.toString().strip()).isEqualTo(expected.strip());
        }
    }

    @Test
    void samplingIsCappedByTheModelsSeqLen() {
        try (Model m = ModelLoader.load(SharedData.model("aidreams260K.bin"))) {
            Corpus c = Corpus.sample(m, 2, 256, 1, 1.0f, 1.0f);
            assertThat(c.sequences()).allSatisfy(s -> assertThat(s.length).isLessThanOrEqualTo(128));
            assertThat(c.description()).contains("x 128 tokens");
        }
    }

    @Test
    void textIsCutIntoBosWindowsThatReassembleTheEncoding() throws IOException {
        Tokenizer tok = ModelLoader.loadTokenizer(SharedData.model("tok512.bin"), 512);
        String text = Corpus.readUtf8(SharedData.reference("stories260K_n256_empty.stdout"));
        int[] ids = tok.encode(text, false, false);
        Corpus c = Corpus.fromText(text, tok, 64, 512, "t");
        List<Integer> joined = new ArrayList<>();
        for (int[] s : c.sequences()) {
            assertThat(s[0]).isEqualTo(tok.bosId());
            assertThat(s.length).isLessThanOrEqualTo(64);
            for (int i = 1; i < s.length; i++) {
                joined.add(s[i]);
            }
        }
        assertThat(joined).containsExactly(java.util.Arrays.stream(ids).boxed().toArray(Integer[]::new));
        assertThat(c.sequences()).hasSize((ids.length + 62) / 63);
        assertThat(c.sampled()).isZero();
        assertThat(c.perplexityLabel()).isEqualTo("text");
        // capped by the model's seq_len
        assertThat(Corpus.fromText(text, tok, 256, 32, "t").sequences())
                .allSatisfy(s -> assertThat(s.length).isLessThanOrEqualTo(32));
    }

    @Test
    void malformedUtf8FileIsRejectedWithItsName(@TempDir Path dir) throws IOException {
        Tokenizer tok = ModelLoader.loadTokenizer(SharedData.model("tok512.bin"), 512);
        Path bad = dir.resolve("bad.txt");
        Files.write(bad, new byte[] {'a', ' ', (byte) 0xC3, '(', 'b'});
        assertThatThrownBy(() -> Corpus.fromFile(bad, tok, 64, 512))
                .hasMessageContaining("bad.txt").hasMessageContaining("UTF-8");
        Path good = dir.resolve("good.txt");
        Files.writeString(good, "Once upon a time, Lily saw a cat.");
        assertThat(Corpus.fromFile(good, tok, 64, 512).sequences()).hasSize(1);
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        assertThatThrownBy(() -> Corpus.fromFile(empty, tok, 64, 512)).hasMessageContaining("empty.txt")
                .hasMessageContaining("no tokens");
        assertThatThrownBy(() -> Corpus.fromFile(dir.resolve("missing.txt"), tok, 64, 512))
                .hasMessageContaining("missing.txt");
    }
}
