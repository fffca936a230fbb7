package io.flightllm.twin.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.compress.algo.InputQuantizationFit;
import io.flightllm.model.Model;
import io.flightllm.twin.TestModels;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The recorders behind the input-quantization-aware fit: FP32 targets paired token by token with quantized inputs. */
class InputFitRecordingTest {
    @Test
    void pairedRecordingAlignsTokensAndSeesTheUpstreamError() {
        try (Model m = TestModels.stories260K()) {
            Corpus calib = Corpus.sample(m, 2, 24, Corpus.CALIBRATION_SEED_BASE, 1f, 1f);
            Map<String, CalibrationStats> stats = Calibration.collect(m, calib, true);
            CompressedModel w8 = AccuracyTable.w8a8(m, stats, calib, "rtn", null);
            ModelWeightSource source = new ModelWeightSource(m);
            Map<String, InputQuantizationFit.Stats> plain = Calibration.collectInputFit(source, calib);
            Map<String, InputQuantizationFit.Stats> paired = Calibration.collectInputFit(source, w8, calib);
            assertThat(paired.keySet()).containsExactlyElementsOf(plain.keySet())
                    .startsWith("layers.0.wq", "layers.0.wk").endsWith("classifier");
            long tokens = calib.tokens();
            // layer 0's q/k/v read the normed embedding, which no quantized layer precedes: both passes give the
            // same rows for the same token, so the statistics are identical (a misaligned pairing would differ)
            for (String name : new String[] {"layers.0.wq", "layers.0.wk", "layers.0.wv"}) {
                assertThat(paired.get(name).quantized().tokens()).isEqualTo(tokens);
                assertThat(paired.get(name).cross()).isEqualTo(plain.get(name).cross());
                assertThat(paired.get(name).quantized().hessian()).isEqualTo(plain.get(name).quantized().hessian());
            }
            // downstream, the quantized model's inputs carry the upstream error
            for (String name : new String[] {"layers.0.wo", "layers.1.wq", "classifier"}) {
                assertThat(paired.get(name).cross()).isNotEqualTo(plain.get(name).cross());
            }
            // the plain collector's X~ statistics are those of the recorded inputs, quantized
            assertThat(plain.get("layers.1.w2").quantized().cols()).isEqualTo(m.config().hiddenDim());
            assertThat(plain.get("layers.0.wo").quantized().cols())
                    .isEqualTo(m.config().nHeads() * w8.paddedHeadSize());
        }
    }

    @Test
    void sequentialFitKeepsTheShapesAndChangesEveryBlock() {
        try (Model m = TestModels.stories260K()) {
            Corpus calib = Corpus.sample(m, 2, 24, Corpus.CALIBRATION_SEED_BASE, 1f, 1f);
            Map<String, CalibrationStats> stats = Calibration.collect(m, calib, true);
            CompressedModel gptq = AccuracyTable.w8a8(m, stats, calib, "gptq", null);
            CompressedModel seq = AccuracyTable.w8a8(m, stats, calib, "gptq-ia-seq", null);
            assertThat(seq.linears()).hasSameSizeAs(gptq.linears());
            for (int i = 0; i < seq.linears().size(); i++) {
                assertThat(seq.linears().get(i).name()).isEqualTo(gptq.linears().get(i).name());
                assertThat(seq.linears().get(i).values()).as(seq.linears().get(i).name())
                        .isNotEqualTo(gptq.linears().get(i).values());
            }
        }
    }
}
