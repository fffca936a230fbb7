package io.flightllm.twin.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.RoundToNearest;
import io.flightllm.compress.CalibrationStats;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.Tensor;
import io.flightllm.twin.TestCompressor;
import io.flightllm.twin.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluation's compression driver, calibration recorder, bits-per-weight arithmetic and table writer. */
class CompressionDriverTest {
    @Test
    void storedBitsOfHandBuiltLayers() {
        float[] w = new float[16 * 16];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % 7) - 3;
        }
        CompressedLinear dense = RoundToNearest.compress("d", w, 16, 16, 8, 16, BlockDensity.uniform(16, 16, 16),
                null, null);
        // 256 values x 8 + no positions + one N byte + 16 scales x 16 bits
        assertThat(BitsPerWeight.storedBits(dense)).isEqualTo(256 * 8 + 8 + 16 * 16);
        CompressedLinear half = RoundToNearest.compress("h", w, 16, 16, 4, 16, BlockDensity.uniform(16, 16, 8),
                null, null);
        // 128 values x 4 + 128 positions x 4 + one N byte + 16 scales
        assertThat(BitsPerWeight.storedBits(half)).isEqualTo(128 * 4 + 128 * 4 + 8 + 16 * 16);
        // the same layer with one 16-bit mask per 16-column segment instead of positions: 16 masks x 16 bits
        CompressedLinear masked = half.withIndexEncoding(io.flightllm.arch.numerics.IndexEncoding.MASK16);
        assertThat(BitsPerWeight.storedBits(masked)).isEqualTo(128 * 4 + 16 * 16 + 8 + 16 * 16);
    }

    @Test
    void denseCountIsTheSourceModelsLinearParameters() {
        try (Model m = TestModels.stories260K()) {
            long sum = m.weights().classifier().rows() * m.weights().classifier().cols();
            for (LayerWeights lw : m.weights().layers()) {
                for (Tensor t : List.of(lw.wq(), lw.wk(), lw.wv(), lw.wo(), lw.w1(), lw.w2(), lw.w3())) {
                    sum += t.rows() * t.cols();
                }
            }
            assertThat(BitsPerWeight.denseLinearWeights(m.config())).isEqualTo(sum);
        }
    }

    @Test
    void driverMatchesTheTwinsTestCompressorForRoundToNearest() {
        // Two independent head-padding implementations must give identical layers for the same RTN recipe.
        try (Model m = TestModels.stories260K()) {
            CompressedModel ours = ModelCompression.compress(m, null, AccuracyTable.rtn(4, 32, 8), "ours");
            CompressedModel theirs = TestCompressor.compress(m, TestCompressor.Recipe.of("w4", 4, 32,
                    TestCompressor.DensityPlan.uniform(8)));
            List<CompressedLinear> a = ours.linears();
            List<CompressedLinear> b = theirs.linears();
            assertThat(a).hasSameSizeAs(b);
            for (int i = 0; i < a.size(); i++) {
                assertThat(a.get(i).rows()).isEqualTo(b.get(i).rows());
                assertThat(a.get(i).cols()).isEqualTo(b.get(i).cols());
                assertThat(a.get(i).values()).as(a.get(i).name()).isEqualTo(b.get(i).values());
                assertThat(a.get(i).positions()).isEqualTo(b.get(i).positions());
                assertThat(a.get(i).scaleBits()).isEqualTo(b.get(i).scaleBits());
            }
            double bpw = BitsPerWeight.of(ours);
            // 4-bit values + 4-bit positions at half density, plus head padding and scales: above 4, below 8
            assertThat(bpw).isBetween(4.0, 8.0);
        }
    }

    @Test
    void calibrationSeesEveryTokenAndPadsTheWoInputs() {
        try (Model m = TestModels.stories260K()) {
            Corpus c = Corpus.sample(m, 2, 16, Corpus.CALIBRATION_SEED_BASE, 1.0f, 1.0f);
            Map<String, CalibrationStats> s = Calibration.collect(m, c, true);
            assertThat(s).hasSize(7 * m.config().nLayers() + 1);
            assertThat(s.values()).allSatisfy(st -> assertThat(st.tokens()).isEqualTo(c.tokens()));
            // q, k and v read the same normalized row
            assertThat(s.get("layers.0.wq").columnSumSq()).containsExactly(s.get("layers.0.wk").columnSumSq());
            CalibrationStats wo = s.get("layers.2.wo");
            int hs = m.config().headSize();
            int hsp = CompressedLinear.ceil16(hs);
            assertThat(wo.cols()).isEqualTo(m.config().nHeads() * hsp);
            for (int j = 0; j < wo.cols(); j++) {
                if (j % hsp >= hs) {
                    assertThat(wo.columnSumSq()[j]).as("padded column %d", j).isZero();
                } else {
                    assertThat(wo.columnSumSq()[j]).as("real column %d", j).isPositive();
                }
            }
            assertThat(s.get("layers.1.w2").cols()).isEqualTo(m.config().hiddenDim());
            assertThat(s.get("classifier").hasHessian()).isTrue();
        }
    }

    @Test
    void tableWriterKeepsHandWrittenTextAroundTheGeneratedSection(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("accuracy.md");
        AccuracyTable.write(f, "first\n");
        assertThat(Files.readString(f)).contains("first").contains(AccuracyTable.BEGIN);
        String edited = "# Title\nintro\n" + Files.readString(f).substring(Files.readString(f)
                .indexOf(AccuracyTable.BEGIN)) + "\n## Findings\nkept\n";
        Files.writeString(f, edited);
        AccuracyTable.write(f, "second\n");
        String now = Files.readString(f);
        assertThat(now).startsWith("# Title\nintro\n").contains("second").doesNotContain("first")
                .endsWith(AccuracyTable.END + "\n\n## Findings\nkept\n");
    }
}
