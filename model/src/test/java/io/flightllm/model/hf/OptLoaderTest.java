package io.flightllm.model.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;
import io.flightllm.model.Tensor;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.HfWriter;
import io.flightllm.model.testing.OptWriter;
import io.flightllm.model.testing.OptWriter.Spec;
import io.flightllm.model.tokenizer.Tokenizer;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OPT directories in HF layout load to the config and tensors they describe (positions offset by 2, tied or separate
 * head, project_in/out, either name prefix, a padded vocabulary), and broken ones fail naming the file, the tensor and
 * the expected shape.
 */
class OptLoaderTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    Path write(String name, Spec s) {
        Path dir = tmp.resolve(name);
        OptWriter.write(s, dir);
        return dir;
    }

    @Test
    void configAndTensorsAreHfs() {
        Spec s = Spec.preLn().embedDim(20).untied();
        try (Model m = ModelLoader.load(write("ok", s))) {
            ModelConfig c = m.config();
            assertThat(c.family()).isEqualTo(ModelConfig.Family.OPT);
            assertThat(c.dim()).isEqualTo(24);
            assertThat(c.embedDim()).isEqualTo(20);
            assertThat(c.projects()).isTrue();
            assertThat(c.hiddenDim()).isEqualTo(40);
            assertThat(c.headSize()).isEqualTo(8);
            assertThat(c.nKvHeads()).isEqualTo(c.nHeads());
            assertThat(c.vocabSize()).isEqualTo(s.vocab());
            assertThat(c.bosId()).isEqualTo(2);
            assertThat(c.isStopToken(2)).isTrue();
            assertThat(c.normEps()).isEqualTo(1e-5f);
            assertThat(c.normBefore()).isTrue();
            assertThat(c.finalNorm()).isTrue();
            assertThat(c.sharedClassifier()).isFalse();
            assertThat(m.weights().classifier().name()).isEqualTo("lm_head.weight");
            assertThat(m.weights().projectIn().name()).isEqualTo("model.decoder.project_in.weight");
            // position p is row p + 2 of the stored table
            Tensor pos = m.weights().positionEmbedding();
            assertThat(pos.rows()).isEqualTo(s.seqLen());
            assertThat(pos.name()).isEqualTo("model.decoder.embed_positions.weight[2:]");
            float[] stored = OptWriter.floats(OptWriter.entries(s)).get("model.decoder.embed_positions.weight");
            for (int p : new int[] {0, 5, s.seqLen() - 1}) {
                for (int j = 0; j < c.dim(); j++) {
                    assertThat(pos.get(p, j)).isEqualTo(stored[(p + 2) * c.dim() + j]);
                }
            }
            // the tokenizer comes from the directory; the model's padding rows are allowed
            Tokenizer tok = ModelLoader.tokenizer(m, null);
            assertThat(tok.vocabSize()).isEqualTo(s.tokenizerVocab()).isLessThan(c.vocabSize());
            assertThat(tok.bosId()).isEqualTo(2);
        }
    }

    @Test
    void postNormHasNoFinalNormAndTiedHeadIsTheEmbedding() {
        try (Model m = ModelLoader.load(write("post", Spec.preLn().postLn().prefix("")))) {
            assertThat(m.config().normBefore()).isFalse();
            assertThat(m.config().finalNorm()).isFalse();
            assertThat(m.weights().finalNorm()).isNull();
            assertThat(m.weights().classifier()).isSameAs(m.weights().tokenEmbedding());
            assertThat(m.weights().tokenEmbedding().name()).isEqualTo("decoder.embed_tokens.weight");
        }
    }

    AbstractThrowableAssert<?, ? extends Throwable> loading(Path dir) {
        return assertThatThrownBy(() -> ModelLoader.load(dir).close()).isInstanceOf(ModelFormatException.class);
    }

    Path withConfig(String name, Consumer<Map<String, Object>> edit) throws Exception {
        Spec s = Spec.preLn();
        Path dir = write(name, s);
        Map<String, Object> c = OptWriter.config(s);
        edit.accept(c);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
        return dir;
    }

    @Test
    void truncatedSafetensorsNamesTheFile() throws Exception {
        Path dir = write("truncated", Spec.preLn());
        Path file = dir.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() - 100);
        }
        loading(dir).hasMessageContaining(file.toString());
    }

    @Test
    void aConfigLyingAboutShapesNamesTheTensorAndTheExpectedShape() throws Exception {
        loading(withConfig("ffn", c -> c.put("ffn_dim", 48)))
                .hasMessageContaining("model.decoder.layers.0.fc1.weight")
                .hasMessageContaining("[40, 24]").hasMessageContaining("[48, 24]");
        loading(withConfig("pos", c -> c.put("max_position_embeddings", 40)))
                .hasMessageContaining("model.decoder.embed_positions.weight").hasMessageContaining("[42, 24]");
        loading(withConfig("proj", c -> c.put("word_embed_proj_dim", 16)))
                .hasMessageContaining("model.decoder.embed_tokens.weight").hasMessageContaining("16]");
        loading(withConfig("untied", c -> c.put("tie_word_embeddings", false)))
                .hasMessageContaining("\"lm_head.weight\"").hasMessageContaining("is missing");
        loading(withConfig("heads", c -> c.put("num_attention_heads", 5)))
                .hasMessageContaining("hidden_size").hasMessageContaining("num_attention_heads = 5");
        loading(withConfig("act", c -> c.put("activation_function", "gelu")))
                .hasMessageContaining("activation_function").hasMessageContaining("relu");
        loading(withConfig("affine", c -> c.put("layer_norm_elementwise_affine", false)))
                .hasMessageContaining("layer_norm_elementwise_affine");
    }

    @Test
    void aMissingTensorIsNamedWithItsShape() throws Exception {
        Spec s = Spec.preLn();
        Path dir = write("missing", s);
        List<HfWriter.Entry> entries = OptWriter.entries(s).stream()
                .filter(e -> !e.name().equals("model.decoder.layers.1.fc2.bias")).toList();
        HfWriter.writeSafetensors(dir.resolve("model.safetensors"), entries, Map.of());
        loading(dir).hasMessageContaining("\"model.decoder.layers.1.fc2.bias\" of shape [24]")
                .hasMessageContaining("is missing");
    }

    @Test
    void withoutTokenizerJsonTheSlowTokenizerFilesAreRead() throws Exception {
        Spec s = Spec.preLn();
        Path dir = write("slow", s);
        Files.delete(dir.resolve("tokenizer.json"));
        @SuppressWarnings("unchecked")
        Map<String, Object> model = (Map<String, Object>) OptWriter.tokenizerJson(s.merges()).get("model");
        Files.writeString(dir.resolve("vocab.json"), JSON.writeValueAsString(model.get("vocab")));
        @SuppressWarnings("unchecked")
        List<String> merges = (List<String>) model.get("merges");
        Files.write(dir.resolve("merges.txt"), merges);
        try (Model m = ModelLoader.load(dir)) {
            Tokenizer tok = ModelLoader.tokenizer(m, null);
            assertThat(tok.byteLevel()).isTrue();
            assertThat(tok.vocabSize()).isEqualTo(s.tokenizerVocab());
            assertThat(tok.encode("Once upon", true, false)[0]).isEqualTo(2);
        }
    }

    /** enable_bias false: no bias tensors are read, and the pass equals the same model with all biases zero. */
    @Test
    void withoutBiasesThePassEqualsZeroBiases() throws Exception {
        Spec s = Spec.preLn();
        java.util.function.Predicate<HfWriter.Entry> isBias = e -> e.name().endsWith("_proj.bias")
                || e.name().endsWith("fc1.bias") || e.name().endsWith("fc2.bias");
        Path zero = write("zero", s);
        List<HfWriter.Entry> zeroed = OptWriter.entries(s).stream().map(e -> isBias.test(e)
                ? new HfWriter.Entry(e.name(), e.dtype(), e.shape(), new byte[e.data().length]) : e).toList();
        HfWriter.writeSafetensors(zero.resolve("model.safetensors"), zeroed, Map.of());
        Path none = write("none", s);
        HfWriter.writeSafetensors(none.resolve("model.safetensors"),
                OptWriter.entries(s).stream().filter(isBias.negate()).toList(), Map.of());
        Map<String, Object> config = OptWriter.config(s);
        config.put("enable_bias", false);
        Files.writeString(none.resolve("config.json"), JSON.writeValueAsString(config));
        try (Model a = ModelLoader.load(zero); Model b = ModelLoader.load(none)) {
            assertThat(b.config().attentionBias()).isFalse();
            assertThat(b.weights().layers().get(0).bq()).isNull();
            var fa = io.flightllm.model.forward.DecoderForward.create(a.config(), a.weights(),
                    new io.flightllm.model.forward.ScalarMatVec(), 8);
            var fb = io.flightllm.model.forward.DecoderForward.create(b.config(), b.weights(),
                    new io.flightllm.model.forward.ScalarMatVec(), 8);
            for (int pos = 0; pos < 8; pos++) {
                int token = 2 + 37 * pos;
                assertThat(fb.forward(token, pos)).as("position %d", pos).isEqualTo(fa.forward(token, pos));
            }
        }
    }

    @Test
    void aTokenizerLargerThanTheModelIsRefused() throws Exception {
        Spec s = Spec.preLn();
        Path dir = write("bigtok", s);
        Files.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(OptWriter.tokenizerJson(80)));
        try (Model m = ModelLoader.load(dir)) {
            assertThatThrownBy(() -> ModelLoader.tokenizer(m, null)).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("the tokenizer has " + (4 + 256 + 80) + " tokens");
        }
    }
}
