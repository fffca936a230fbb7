package io.flightllm.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * OPT through the pipeline: biases (q/k/v padded per head), LayerNorm biases, the position table, no w3; post-norm
 * without a final norm, and project_in/out folded.
 */
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

    /**
     * The compressor's input rule takes post-norm OPT (no final norm) and folds project_in/out; the compressed form's
     * rule (ModelSupport.check: .flm, twins, compiler) still refuses projections, naming the field.
     */
    @Test
    void postNormAndProjectingOptCompressWithTheProjectionsFolded() {
        ModelConfig post = opt(40, 72, 2, 5, 50, 24, false, 24, false);
        RandomWeightSource src = new RandomWeightSource(post, 3);
        CompressedModel m = compress(post, "w8", (l, k, d, t) -> { });
        assertThat(m.config()).isEqualTo(post.withEmbedDim(40).withSharedClassifier(false));
        assertThat(m.finalNorm()).isNull();
        assertThat(m.finalNormBias()).isNull();
        assertThat(m.tokenEmbedding()).hasSize(50 * 40)
                .isEqualTo(ProjectionFold.foldIn(src.tokenEmbedding(), src.projectIn(), 50, 24, 40));
        assertThat(m.classifier().cols()).isEqualTo(40);
        assertThat(m.recipe()).contains("project_in/out (embed_dim 24) folded into the token table and the classifier");
        WeightBytes b = new ModelCompressor(CompressionProfile.named("w8"), LinearCompressor.roundToNearest(), "rtn")
                .run(src, null, new BytesTable.DiscardingSink(), (l, k, d, t) -> { });
        assertThat(b.normBytes()).isEqualTo(4L * 2 * 4 * 40); // no final norm
        assertThat(b.embeddingBytes()).isEqualTo(4L * (50 * 40 + 24 * 40)); // the folded table is dim wide
        assertThat(ModelSupport.check(post)).isNotNull();
        assertThat(ModelSupport.check(post).message()).contains("config field embed_dim (HF word_embed_proj_dim) is "
                + "24; expected 40").contains("compress folds them");
        assertThat(ModelSupport.checkSource(post)).isNull();
        assertThat(ModelSupport.check(post.withEmbedDim(40))).isNull();
        // pre-norm without a final norm compresses too (allowed by the contract), its classifier reading x
        assertThat(compress(opt(40, 72, 2, 5, 50, 24, true, 40, false), "w8", (l, k, d, t) -> { }).finalNorm())
                .isNull();
        // a projecting source without its projections is refused naming the tensor
        WeightSource noIn = new ForwardingWeightSource(src) {
            @Override
            public float[] projectIn() {
                return null;
            }
        };
        assertThatThrownBy(() -> new ModelCompressor(CompressionProfile.named("w8"), LinearCompressor.roundToNearest(),
                "rtn").toModel(noIn, null, (l, k, d, t) -> { }))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("project_in is missing");
    }

    /** Rows are folded in parallel blocks: the same bits as one sequential pass; the folded tables are copies. */
    @Test
    void theParallelFoldIsTheSequentialOneAndHandsOutCopies() {
        int rows = 333; // several blocks and a partial one
        int e = 24;
        int d = 40;
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        float[] w = new float[rows * e];
        float[] pin = new float[d * e];
        float[] pout = new float[e * d];
        for (float[] a : new float[][] {w, pin, pout}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
            }
        }
        float[] in = new float[rows * d];
        float[] out = new float[rows * d];
        for (int t = 0; t < rows; t++) {
            for (int i = 0; i < d; i++) {
                double a = 0;
                double b = 0;
                for (int j = 0; j < e; j++) {
                    a += (double) pin[i * e + j] * w[t * e + j];
                    b += (double) w[t * e + j] * pout[j * d + i];
                }
                in[t * d + i] = (float) a;
                out[t * d + i] = (float) b;
            }
        }
        assertThat(ProjectionFold.foldIn(w, pin, rows, e, d)).containsExactly(in);
        assertThat(ProjectionFold.foldOut(w, pout, rows, e, d)).containsExactly(out);
        WeightSource folded = ProjectionFold.of(new RandomWeightSource(opt(40, 72, 2, 5, 50, 24, false, 24, false), 3));
        float[] first = folded.tokenEmbedding();
        float[] cls = folded.matrix(-1, LinearKind.CLASSIFIER);
        java.util.Arrays.fill(first, 0f);
        java.util.Arrays.fill(cls, 0f);
        assertThat(folded.tokenEmbedding()).isNotEqualTo(first).hasSize(50 * 40);
        assertThat(folded.matrix(-1, LinearKind.CLASSIFIER)).isNotEqualTo(cls).hasSize(50 * 40);
    }

    @Test
    void theFoldSumsInDoubleInAscendingOrderAndRoundsOnce() {
        // 1 + 2^-30 - 1 in FP32 steps is 0; in double it is 2^-30 exactly, rounded once
        float[] e = {1f, 0x1.0p-30f, -1f};
        float[] p = {1f, 1f, 1f};
        assertThat(ProjectionFold.foldIn(e, p, 1, 3, 1)).containsExactly(0x1.0p-30f);
        assertThat(ProjectionFold.foldOut(e, p, 1, 3, 1)).containsExactly(0x1.0p-30f);
        // the sides: foldIn multiplies by P_in [dim][embed], foldOut by P_out [embed][dim]
        float[] pin = {1f, 2f, 3f, 4f, 5f, 6f}; // [2][3]
        assertThat(ProjectionFold.foldIn(new float[] {1f, 0f, 0f}, pin, 1, 3, 2)).containsExactly(1f, 4f);
        assertThat(ProjectionFold.foldOut(new float[] {1f, 0f, 0f}, pin, 1, 3, 2)).containsExactly(1f, 2f);
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
