package io.flightllm.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCompressorTest {
    private static final ModelCompressor.Progress QUIET = (l, k, d, t) -> { };

    @Test
    void headPaddingKeepsEachHeadsRowsInOrderAndZeroPadsTheRest() {
        // 2 heads of 4 (RoPE pairs (0,1), (2,3)) padded to 6, 3 columns
        float[] w = new float[8 * 3];
        for (int i = 0; i < w.length; i++) {
            w[i] = i + 1;
        }
        float[] p = HeadPadding.padRows(w, 2, 4, 6, 3);
        assertThat(p).hasSize(12 * 3);
        for (int r = 0; r < 12; r++) {
            int h = r / 6;
            int i = r % 6;
            for (int c = 0; c < 3; c++) {
                assertThat(p[r * 3 + c]).isEqualTo(i < 4 ? (h * 4 + i) * 3 + c + 1 : 0f);
            }
        }
        float[] o = HeadPadding.padColumns(w, 3, 2, 4, 6); // [3][8] -> [3][12]
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 12; c++) {
                int h = c / 6;
                int i = c % 6;
                assertThat(o[r * 12 + c]).isEqualTo(i < 4 ? r * 8 + h * 4 + i + 1 : 0f);
            }
        }
    }

    @Test
    void stories260KIsPaddedPerHeadAndEveryWeightIsTheRoundedSource() {
        CompressedModel cm;
        try (Model m = ModelLoader.load(SharedData.model("stories260K.bin"))) {
            cm = new ModelCompressor(CompressionProfile.named("w8"), LinearCompressor.roundToNearest(), "rtn")
                    .toModel(new ModelWeightSource(m), null, QUIET);
            ModelConfig c = m.config();
            assertThat(cm.paddedHeadSize()).isEqualTo(16);
            assertThat(cm.recipe()).contains("rtn").contains("w8").contains("stories260K.bin");
            for (int layer : new int[] {0, 4}) {
                CompressedLayer l = cm.layers().get(layer);
                assertThat(l.wq().rows()).isEqualTo(c.nHeads() * 16);
                assertThat(l.wk().rows()).isEqualTo(c.nKvHeads() * 16);
                assertThat(l.wo().cols()).isEqualTo(c.nHeads() * 16);
                checkPaddedRows(l.wq(), m.weights().layers().get(layer).wq(), c.headSize());
                checkPaddedRows(l.wv(), m.weights().layers().get(layer).wv(), c.headSize());
                Tensor wo = m.weights().layers().get(layer).wo();
                for (int r = 0; r < wo.rows(); r++) {
                    for (int cc = 0; cc < l.wo().cols(); cc++) {
                        int h = cc / 16;
                        int i = cc % 16;
                        float expect = i < c.headSize() ? wo.get(r, h * c.headSize() + i) : 0f;
                        // 8-bit RTN with one scale per row: error at most half a step
                        assertThat(l.wo().dequantized(r, cc)).isCloseTo(expect, within(l.wo().scale(r, 0) * 0.5001f));
                    }
                }
            }
            assertThat(cm.tokenEmbedding()).isEqualTo(m.weights().tokenEmbedding().toFloatArray());
            assertThat(cm.classifier().rows()).isEqualTo(c.vocabSize()); // shared: still its own tensor
        }
    }

    private static void checkPaddedRows(CompressedLinear l, Tensor src, int hs) {
        for (int r = 0; r < l.rows(); r++) {
            int h = r / 16;
            int i = r % 16;
            for (int c = 0; c < l.cols(); c++) {
                if (i >= hs) {
                    assertThat(l.weight(r, c)).isZero();
                } else {
                    float expect = src.get(h * hs + i, c);
                    assertThat(l.dequantized(r, c)).isCloseTo(expect, within(l.scale(r, 0) * 0.5001f));
                }
            }
        }
    }

    @Test
    void invalidChoicesAreRefusedListingTheValidOnes() {
        assertThatThrownBy(() -> new DensityPlan.Uniform(3)).hasMessageContaining("N = 3")
                .hasMessageContaining("[0, 2, 4, 8, 16]");
        assertThatThrownBy(() -> CompressionProfile.named("w4").withBits(5)).hasMessageContaining("5")
                .hasMessageContaining("[2, 3, 4, 8]");
        assertThatThrownBy(() -> CompressionProfile.named("w4").withLayerBits(List.of(4, 6)))
                .hasMessageContaining("[2, 3, 4, 8]");
        assertThatThrownBy(() -> CompressionProfile.named("w4").withGroupSize(24))
                .hasMessageContaining("multiple of 16");
        assertThatThrownBy(() -> CompressionProfile.named("w5")).hasMessageContaining("w8, w4, w3, w2, w4s8, mixed, paper");
        assertThatThrownBy(() -> new DensityPlan.Mixed(1.2, 64)).hasMessageContaining("[0, 1]");
    }

    @Test
    void groupSizeIsClampedToK16() {
        CompressionProfile p = CompressionProfile.named("w4");
        assertThat(p.groupFor(64)).isEqualTo(64);
        assertThat(p.groupFor(172)).isEqualTo(128);
        assertThat(p.groupFor(4096)).isEqualTo(128);
        assertThat(CompressionProfile.named("w8").groupFor(172)).isEqualTo(176);
    }

    @Test
    void paperProfileMakesQAndKSixtyPercentEightOfSixteenInSixtyFourRowBands() {
        // 10 heads of 64: q and k have 640 rows = 10 bands of 64 rows
        ModelConfig shape = ModelConfig.llama(640, 256, 2, 10, 10, 64, 16, false);
        RandomWeightSource src = new RandomWeightSource(shape, 3);
        CompressedModel m = new ModelCompressor(CompressionProfile.named("paper"), LinearCompressor.roundToNearest(),
                "rtn").toModel(src, null, QUIET);
        for (int layer = 0; layer < 2; layer++) {
            CompressedLayer l = m.layers().get(layer);
            for (CompressedLinear x : List.of(l.wq(), l.wk())) {
                assertThat(BlockDensity.mean(x.blockDensities())).as(x.name()).isCloseTo(0.7, within(1e-12));
                float[] w = src.matrix(layer, x == l.wq() ? LinearKind.Q : LinearKind.K);
                double maxSparseMass = 0;
                double minDenseMass = Double.MAX_VALUE;
                for (int band = 0; band < 10; band++) {
                    int n = x.density(band * 4, 0);
                    assertThat(n).isIn(8, 16);
                    for (int rb = band * 4; rb < band * 4 + 4; rb++) {
                        for (int cb = 0; cb < x.colBlocks(); cb++) {
                            assertThat(x.density(rb, cb)).isEqualTo(n);
                        }
                    }
                    double mass = 0;
                    for (int i = band * 64 * 640; i < (band + 1) * 64 * 640; i++) {
                        mass += Math.abs(w[i]);
                    }
                    if (n == 8) {
                        maxSparseMass = Math.max(maxSparseMass, mass);
                    } else {
                        minDenseMass = Math.min(minDenseMass, mass);
                    }
                }
                assertThat(maxSparseMass).isLessThanOrEqualTo(minDenseMass); // the weakest bands are pruned
            }
            for (CompressedLinear x : List.of(l.wv(), l.wo(), l.w1(), l.w2(), l.w3())) {
                assertThat(BlockDensity.mean(x.blockDensities())).as(x.name()).isEqualTo(1.0);
                assertThat(x.bits()).isEqualTo(4);
                assertThat(x.groupSize()).isEqualTo(128);
            }
        }
        assertThat(BlockDensity.mean(m.classifier().blockDensities())).isEqualTo(1.0);
    }

    @Test
    void mixedProfileAlternatesFourAndThreeBitLayers() {
        CompressedModel m = new ModelCompressor(CompressionProfile.named("mixed"), LinearCompressor.roundToNearest(),
                "rtn").toModel(new RandomWeightSource(ModelConfig.llama(32, 48, 3, 2, 2, 32, 8, false), 1), null,
                QUIET);
        assertThat(m.layers().stream().map(l -> l.w2().bits()).toList()).containsExactly(4, 3, 4);
        assertThat(m.layers().get(1).linears()).allMatch(l -> l.bits() == 3 && BlockDensity.mean(
                l.blockDensities()) == 0.5);
        assertThat(m.classifier().bits()).isEqualTo(4);
    }

    @Test
    void theCompressorSeesEachTargetAndItsCalibrationStatsAndIsChecked() {
        ModelConfig shape = ModelConfig.llama(32, 48, 2, 4, 2, 32, 8, false);
        List<String> seen = new ArrayList<>();
        CalibrationStats stats = new CalibrationStats(32, 7, new double[32], null);
        LinearCompressor recording = (t, w, rows, cols, s) -> {
            seen.add(t.name() + " " + rows + "x" + cols + " W" + t.bits() + " G" + t.groupSize() + " "
                    + (s == null ? "-" : s.tokens()));
            return LinearCompressor.roundToNearest().compress(t, w, rows, cols, s);
        };
        new ModelCompressor(CompressionProfile.named("w4"), recording, "rec").toModel(
                new RandomWeightSource(shape, 1), (layer, kind) -> kind == LinearKind.K ? stats : null, QUIET);
        assertThat(seen).hasSize(15).startsWith("layers.0.wq 64x32 W4 G32 -", "layers.0.wk 32x32 W4 G32 7",
                "layers.0.wv 32x32 W4 G32 -", "layers.0.wo 32x64 W4 G64 -", "layers.0.w1 48x32 W4 G32 -",
                "layers.0.w2 32x48 W4 G48 -").endsWith("classifier 32x32 W4 G32 -");

        LinearCompressor wrongBits = (t, w, rows, cols, s) -> RoundToNearest.compress(t.name(), w, rows, cols, 8,
                t.groupSize(), t.blockDensities(), null, null);
        assertThatThrownBy(() -> new ModelCompressor(CompressionProfile.named("w4"), wrongBits, "bad")
                .toModel(new RandomWeightSource(shape, 1), null, QUIET))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("the bad compressor returned");
    }

    @Test
    void mixedFamilyConfigsAreRefused() {
        // OPT's variation points on a LLaMA family config (pre-norm OPT itself compresses: OptCompressionTest)
        ModelConfig llamaWithLayerNorm = new ModelConfig(ModelConfig.Family.LLAMA, 32, 48, 1, 2, 2, 32, 8, 16, 1e-5f,
                1e4f, ModelConfig.NormKind.LAYER_NORM, ModelConfig.MlpKind.RELU, ModelConfig.PositionKind.LEARNED,
                true, true, true, 2, List.of(2));
        assertThatThrownBy(() -> new ModelCompressor(CompressionProfile.named("w8"),
                LinearCompressor.roundToNearest(), "rtn").toModel(new RandomWeightSource(llamaWithLayerNorm, 1), null,
                QUIET)).hasMessageContaining("config field norm is LAYER_NORM; expected RMS_NORM for LLAMA");
    }

    @Test
    void bytesTableOnATinyShapeMatchesTheLayoutArithmetic(@TempDir Path dir) {
        // every dim a multiple of 128, heads of 16 (no padding), so G = 128 divides every row
        ModelConfig tiny = ModelConfig.llama(128, 256, 2, 8, 8, 256, 16, false);
        List<BytesTable.Row> rows = BytesTable.measure(tiny, BytesTable.DEFAULT_PROFILES, 1, dir, null);
        assertThat(rows).extracting(BytesTable.Row::profile).containsExactly("w8", "w4", "w4s8", "mixed", "paper");
        long decoder = 2L * (4 * 128 * 128 + 3 * 256 * 128);
        long cls = 256L * 128;
        long params = decoder + cls;
        long blocks = params / 256;
        for (BytesTable.Row r : rows) {
            WeightBytes b = r.bytes();
            assertThat(b.denseParams()).isEqualTo(params);
            assertThat(b.densities()).isEqualTo(blocks);
            assertThat(b.embeddingBytes()).isEqualTo(4L * 256 * 128);
            assertThat(b.normBytes()).isEqualTo(4L * (2 * 2 * 128 + 128));
            assertThat(r.fileBytes()).isGreaterThan(b.linearBytes() + b.embeddingBytes() + b.normBytes());
        }
        // W8, one scale per row: values 1 byte each; a scale per row of every matrix
        long rowsTotal = 2L * (4 * 128 + 2 * 256 + 128) + 256;
        WeightBytes w8 = rows.get(0).bytes();
        assertThat(w8.values()).isEqualTo(params);
        assertThat(w8.scales()).isEqualTo(2 * rowsTotal);
        assertThat(w8.indices()).isZero();
        // W4 G128: half a byte per value, 2 bytes per 128 weights, 1 byte per 256: 4 + 1/8 + 1/32 bits
        assertThat(rows.get(1).bytes().bitsPerWeight()).isCloseTo(4.15625, within(1e-12));
        // W4 + 8:16 on the decoder (classifier dense): half the decoder values plus one 16-bit mask per 16 weights
        // (the cheaper encoding by default; 4-bit positions would cost decoder / 4 bytes and save nothing at 4 bits)
        WeightBytes s8 = rows.get(2).bytes();
        assertThat(s8.values()).isEqualTo(decoder / 4 + cls / 2);
        assertThat(s8.indices()).isEqualTo(decoder / 8);
        assertThat(s8.bitsPerWeight()).isCloseTo(4.15625 - 8.0 * (decoder / 8) / params, within(1e-12));
        // mixed: layer 0 at 4 bits, layer 1 at 3 bits, both 8:16; classifier 4-bit dense
        WeightBytes mx = rows.get(3).bytes();
        assertThat(mx.values()).isEqualTo(decoder / 2 / 2 * 4 / 8 + decoder / 2 / 2 * 3 / 8 + cls / 2);
        // paper: q, k at 0.7 mean density; 128 rows = 2 bands -> 1 sparse band (round(1.2)) = 0.75 here
        WeightBytes pp = rows.get(4).bytes();
        long qk = 2L * 2 * 128 * 128;
        assertThat(pp.values()).isEqualTo((params - qk) / 2 + qk * 3 / 4 / 2);
        assertThat(pp.indices()).isEqualTo(qk / 2 / 8); // masks for the sparse half of q and k
        assertThat(BytesTable.markdown(rows)).contains("| paper |");
    }
}
