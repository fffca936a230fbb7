package io.flightllm.compress.flm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.RandomWeightSource;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.Consumer;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny pre-norm OPT in a version 4 .flm: round trip, and every new payload checked against the config. */
class FlmOptTest {
    static final ModelConfig OPT = new ModelConfig(ModelConfig.Family.OPT, 40, 72, 2, 5, 5, 50, 24, 8, 1e-5f, 0f,
            ModelConfig.NormKind.LAYER_NORM, ModelConfig.MlpKind.RELU, ModelConfig.PositionKind.LEARNED, true, true,
            true, 2, List.of(2), 40, true, true);

    @TempDir
    Path dir;
    Path good;
    Path f;
    CompressedModel model;

    @BeforeEach
    void write() throws IOException {
        model = new ModelCompressor(CompressionProfile.named("w4s8"), LinearCompressor.roundToNearest(), "rtn")
                .toModel(new RandomWeightSource(OPT, 7), null, (l, k, d, t) -> { });
        good = dir.resolve("opt.flm");
        FlmWriter.write(model, good);
        f = dir.resolve("bad.flm");
        Files.copy(good, f);
    }

    private AbstractThrowableAssert<?, ? extends Throwable> refused() {
        return assertThatThrownBy(() -> FlmReader.read(f)).isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(f.toString()).hasMessageContaining("expected");
    }

    private void edit(Consumer<ObjectNode> e) throws IOException {
        Files.copy(good, f, StandardCopyOption.REPLACE_EXISTING);
        FlmTestFiles.editManifest(f, e);
    }

    @Test
    void roundTripKeepsEveryArray() throws IOException {
        CompressedModel back = FlmReader.read(good);
        FlmTestFiles.assertSameModel(model, back);
        assertThat(back.positionEmbedding()).isEqualTo(model.positionEmbedding()).hasSize(24 * 40);
        assertThat(back.finalNormBias()).isEqualTo(model.finalNormBias()).isNotNull();
        for (int i = 0; i < 2; i++) {
            CompressedLayer a = model.layers().get(i);
            CompressedLayer b = back.layers().get(i);
            assertThat(b.attnNormBias()).isEqualTo(a.attnNormBias()).isNotNull();
            assertThat(b.ffnNormBias()).isEqualTo(a.ffnNormBias()).isNotNull();
            assertThat(b.w3()).isNull();
            assertThat(b.wq().bias()).isEqualTo(a.wq().bias()).hasSize(80);
            assertThat(b.w2().bias()).isEqualTo(a.w2().bias()).hasSize(40);
        }
        ObjectNode m = FlmTestFiles.manifest(good);
        assertThat(m.get("format_version").asInt()).isEqualTo(4);
        assertThat(m.get("config").get("norm_before").asBoolean()).isTrue();
        assertThat(m.get("layers").get(0).get("linears")).hasSize(6);
        // a LLaMA file carries none of the new payloads
        ObjectNode llama = FlmTestFiles.manifest(writeLlama());
        assertThat(llama.get("position_embedding").isNull()).isTrue();
        assertThat(llama.get("layers").get(0).get("attn_norm_bias").isNull()).isTrue();
        assertThat(llama.get("config").has("norm_before")).isFalse();
    }

    private Path writeLlama() {
        Path p = dir.resolve("llama.flm");
        FlmWriter.write(FlmTestFiles.tinyModel("w8"), p);
        return p;
    }

    @Test
    void missingOrMisSizedBiasPayloadsAreRefused() throws IOException {
        edit(m -> ((ObjectNode) m.get("layers").get(1).get("linears").get(2)).putNull("bias"));
        refused().hasMessageContaining("manifest field layers[1].linears[2].bias is missing; expected a payload of "
                + "320 bytes (rows x 4 bytes (config.attention_bias true");
        edit(m -> ((ObjectNode) m.get("layers").get(0)).putNull("ffn_norm_bias"));
        refused().hasMessageContaining("manifest field layers[0].ffn_norm_bias is missing; expected a payload of 160 "
                + "bytes");
        edit(m -> m.putNull("final_norm_bias"));
        refused().hasMessageContaining("manifest field final_norm_bias is missing");
        // the final norm bias pointing at a layer's norm bias payload: used twice
        edit(m -> m.put("final_norm_bias", "layers.0.attn_norm_bias"));
        refused().hasMessageContaining("a payload no other field refers to");
        // a bias where the config has none (mlp_bias false)
        edit(m -> ((ObjectNode) m.get("config")).put("mlp_bias", false));
        refused().hasMessageContaining("layers[0].linears[4].bias is \"layers.0.w1.bias\"; expected null");
    }

    @Test
    void aPositionTableOfTheWrongLengthIsRefused() throws IOException {
        edit(m -> ((ObjectNode) m.get("config")).put("seq_len", 20));
        refused().hasMessageContaining("payload position_embedding length (manifest field position_embedding) is "
                + "3840; expected 3200 = config.seq_len x config.dim x 4 bytes");
        edit(m -> m.putNull("position_embedding"));
        refused().hasMessageContaining("manifest field position_embedding is missing; expected a payload of 3840");
    }

    @Test
    void olderVersionsPostNormAndProjectionsAreRefused() throws IOException {
        edit(m -> m.put("format_version", 3));
        byte[] b = Files.readAllBytes(f);
        b[4] = 3; // the header agrees: version 3 had no OPT payloads
        Files.write(f, b);
        refused().hasMessageContaining("position_embedding is present in format version 3; expected absent before "
                + "version 4");
        edit(m -> ((ObjectNode) m.get("config")).put("embed_dim", 32));
        refused().hasMessageContaining("config.embed_dim (HF word_embed_proj_dim) is 32; expected 40")
                .hasMessageContaining("holds no project_in/project_out");
        edit(m -> ((ObjectNode) m.get("config")).put("mlp", "SWIGLU"));
        refused().hasMessageContaining("config.mlp is SWIGLU; expected RELU for OPT");
    }

    /** Post-norm OPT (no final norm, projections folded by compress): round trip; final_norm checked against config. */
    @Test
    void postNormWithoutAFinalNormRoundTripsAndFinalNormIsCheckedAgainstTheConfig() throws IOException {
        ModelConfig post = new ModelConfig(ModelConfig.Family.OPT, 40, 72, 2, 5, 5, 50, 24, 8, 1e-5f, 0f,
                ModelConfig.NormKind.LAYER_NORM, ModelConfig.MlpKind.RELU, ModelConfig.PositionKind.LEARNED, true,
                true, true, 2, List.of(2), 24, false, false);
        CompressedModel pm = new ModelCompressor(CompressionProfile.named("w4s8"), LinearCompressor.roundToNearest(),
                "rtn").toModel(new RandomWeightSource(post, 7), null, (l, k, d, t) -> { });
        Path p = dir.resolve("post.flm");
        FlmWriter.write(pm, p);
        CompressedModel back = FlmReader.read(p);
        FlmTestFiles.assertSameModel(pm, back);
        assertThat(back.config()).isEqualTo(post.withEmbedDim(40).withSharedClassifier(false));
        assertThat(back.finalNorm()).isNull();
        assertThat(back.finalNormBias()).isNull();
        assertThat(back.tokenEmbedding()).isEqualTo(pm.tokenEmbedding()).hasSize(50 * 40);
        ObjectNode man = FlmTestFiles.manifest(p);
        assertThat(man.get("format_version").asInt()).isEqualTo(4);
        assertThat(man.get("final_norm").isNull()).isTrue();
        assertThat(man.get("config").get("final_norm").asBoolean()).isFalse();
        assertThat(man.get("config").get("norm_before").asBoolean()).isFalse();
        // a final norm where the config has none: the pre-norm file claiming final_norm false
        edit(m -> ((ObjectNode) m.get("config")).put("final_norm", false));
        refused().hasMessageContaining("manifest field final_norm is \"final_norm\"; expected null")
                .hasMessageContaining("config.final_norm false");
        // a post-norm file whose config claims a final norm it does not store
        Files.copy(p, f, StandardCopyOption.REPLACE_EXISTING);
        FlmTestFiles.editManifest(f, m -> ((ObjectNode) m.get("config")).put("final_norm", true));
        refused().hasMessageContaining("manifest field final_norm is missing; expected a payload of 160 bytes")
                .hasMessageContaining("config.final_norm true");
        // the writer refuses a model whose final norm disagrees with its config
        CompressedModel withNorm = new CompressedModel(pm.config(), pm.tokenEmbedding(), pm.positionEmbedding(),
                pm.layers(), model.finalNorm(), null, pm.classifier(), pm.recipe(), null);
        assertThatThrownBy(() -> FlmWriter.write(withNorm, dir.resolve("y.flm")))
                .hasMessageContaining("the final norm present; config final_norm is false");
        // the compressed form never holds projections, whatever the writer is handed
        CompressedModel projecting = new CompressedModel(post, pm.tokenEmbedding(), pm.positionEmbedding(),
                pm.layers(), null, null, pm.classifier(), pm.recipe(), null);
        assertThatThrownBy(() -> FlmWriter.write(projecting, dir.resolve("z.flm")))
                .hasMessageContaining("config field embed_dim (HF word_embed_proj_dim) is 24; expected 40");
        assertThat(dir.resolve("z.flm")).doesNotExist();
    }

    @Test
    void theWriterRefusesAnOptModelWithoutItsParts() {
        CompressedModel noPositions = new CompressedModel(model.config(), model.tokenEmbedding(), null,
                model.layers(), model.finalNorm(), model.finalNormBias(), model.classifier(), model.recipe(), null);
        assertThatThrownBy(() -> FlmWriter.write(noPositions, dir.resolve("x.flm")))
                .hasMessageContaining("the position table missing");
        assertThat(dir.resolve("x.flm")).doesNotExist();
    }
}
