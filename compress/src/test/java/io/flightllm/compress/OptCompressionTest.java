package io.flightllm.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pre-norm OPT through the pipeline: biases (q/k/v padded per head), LayerNorm biases, the position table, no w3. */
class OptCompressionTest {
    /** dim 40, ffn 72, 2 layers, 5 heads of 8 (padded to 16), vocab 50, 24 positions. */
    static final ModelConfig OPT = opt(40, 72, 2, 5, 50, 24, true, 40, true);

    static ModelConfig opt(int dim, int ffn, int layers, int heads, int vocab, int seqLen, boolean normBefore,
                           int embedDim, boolean finalNorm) {
        return new ModelConfig(ModelConfig.Family.OPT, dim, ffn, layers, heads, heads, vocab, seqLen, dim / heads,
                1e-5f, 0f, ModelConfig.NormKind.LAYER_NORM, ModelConfig.MlpKind.RELU,
                ModelConfig.PositionKind.LEARNED, true, true, true, 2, List.of(2), embedDim, normBefore, finalNorm)
                .validate("test config");
    }

    static CompressedModel compress(ModelConfig c, String profile, ModelCompressor.Progress progress) {
        return new ModelCompressor(CompressionProfile.named(profile), LinearCompressor.roundToNearest(), "rtn")
                .toModel(new RandomWeightSource(c, 3), null, progress);
    }

    @Test
    void optKeepsBiasesNormBiasesAndPositionsAndHasNoW3() {
        List<String> seen = new ArrayList<>();
        int[] total = new int[1];
        CompressedModel m = compress(OPT, "w8", (l, k, d, t) -> {
            seen.add(k.tensorName(l));
            total[0] = t;
        });
        RandomWeightSource src = new RandomWeightSource(OPT, 3);
        assertThat(total[0]).isEqualTo(2 * 6 + 1).isEqualTo(ModelCompressor.totalMatrices(OPT));
        assertThat(seen).hasSize(13).doesNotContain("layers.0.w3", "layers.1.w3").endsWith("classifier");
        assertThat(m.positionEmbedding()).isEqualTo(src.positionEmbedding()).hasSize(24 * 40);
        assertThat(m.finalNormBias()).isEqualTo(src.finalNormBias());
        assertThat(m.classifier().bias()).isNull();
        for (int l = 0; l < 2; l++) {
            CompressedLayer cl = m.layers().get(l);
            assertThat(cl.w3()).isNull();
            assertThat(cl.linears()).hasSize(6);
            assertThat(cl.attnNormBias()).isEqualTo(src.attnNormBias(l));
            assertThat(cl.ffnNormBias()).isEqualTo(src.ffnNormBias(l));
            // q, k, v: 5 heads of 8 real rows then 8 zero rows, exactly as the weight rows
            for (CompressedLinear qkv : List.of(cl.wq(), cl.wk(), cl.wv())) {
                LinearKind k = LinearKind.fromId(qkv.name().substring(qkv.name().length() - 1));
                float[] b = src.bias(l, k);
                assertThat(qkv.rows()).isEqualTo(80);
                for (int r = 0; r < 80; r++) {
                    int h = r / 16;
                    int i = r % 16;
                    assertThat(qkv.bias()[r]).as(qkv.name() + " row " + r).isEqualTo(i < 8 ? b[h * 8 + i] : 0f);
                    if (i >= 8) {
                        for (int c = 0; c < 40; c++) {
                            assertThat(qkv.weight(r, c)).isZero();
                        }
                    }
                }
            }
            assertThat(cl.wo().bias()).isEqualTo(src.bias(l, LinearKind.O));
            assertThat(cl.w1().bias()).isEqualTo(src.bias(l, LinearKind.W1)).hasSize(72);
            assertThat(cl.w2().bias()).isEqualTo(src.bias(l, LinearKind.W2)).hasSize(40);
        }
    }

    @Test
    void byteCountsIncludeBiasesPositionsAndNormBiases() {
        WeightBytes b = new ModelCompressor(CompressionProfile.named("w8"), LinearCompressor.roundToNearest(), "rtn")
                .run(new RandomWeightSource(OPT, 3), null, new BytesTable.DiscardingSink(), (l, k, d, t) -> { });
        // q, k, v padded (3 x 80), o 40, fc1 72, fc2 40 per layer
        assertThat(b.biases()).isEqualTo(4L * 2 * (3 * 80 + 40 + 72 + 40));
        assertThat(b.embeddingBytes()).isEqualTo(4L * (50 * 40 + 24 * 40));
        assertThat(b.normBytes()).isEqualTo(4L * (2 * 4 * 40 + 2 * 40));
        assertThat(b.denseParams()).isEqualTo(2L * (4 * 40 * 40 + 2 * 72 * 40) + 50 * 40);
    }

    @Test
    void postNormProjectingAndNormlessOptAreRefusedNamingTheField() {
        assertThatThrownBy(() -> compress(opt(40, 72, 2, 5, 50, 24, false, 40, false), "w8", (l, k, d, t) -> { }))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("config field norm_before (HF do_layer_norm_before) is false; expected true")
                .hasMessageContaining("post-norm OPT (opt-350m) is not supported");
        assertThatThrownBy(() -> compress(opt(40, 72, 2, 5, 50, 24, true, 32, true), "w8", (l, k, d, t) -> { }))
                .hasMessageContaining("config field embed_dim (HF word_embed_proj_dim) is 32; expected 40")
                .hasMessageContaining("project_in/project_out");
        assertThatThrownBy(() -> compress(opt(40, 72, 2, 5, 50, 24, true, 40, false), "w8", (l, k, d, t) -> { }))
                .hasMessageContaining("config field final_norm (HF _remove_final_layer_norm) is false");
    }

    @Test
    void aSourceWithoutABiasTheConfigPromisesIsRefused() {
        WeightSource noBias = new ForwardingWeightSource(new RandomWeightSource(OPT, 3)) {
            @Override
            public float[] bias(int layer, LinearKind kind) {
                return kind == LinearKind.V && layer == 1 ? null : super.bias(layer, kind);
            }
        };
        assertThatThrownBy(() -> new ModelCompressor(CompressionProfile.named("w8"), LinearCompressor.roundToNearest(),
                "rtn").toModel(noBias, null, (l, k, d, t) -> { }))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("layers.1.wv.bias is missing");
    }
}
