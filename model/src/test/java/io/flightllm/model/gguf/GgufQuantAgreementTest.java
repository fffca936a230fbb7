package io.flightllm.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.DType;
import io.flightllm.model.Model;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How far GGUF F16/BF16/Q8_0/Q4_0 copies of a model drift from its FP32 .bin, measured with the golden forward pass
 * from BOS (empty prompt): (1) along the FP32 greedy sequence, the fraction of positions where both models' argmax
 * agree and the largest absolute logit difference; (2) the first position where each model's own greedy sequence
 * differs. Prints the table of docs/gguf.md (and writes it to target/gguf-agreement.md); asserts loose bounds only.
 */
class GgufQuantAgreementTest {
    static final DType[] TYPES = {DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0};

    /** @param firstDivergence position whose greedy token differs, or -1 when none does within {@code positions} */
    record Agreement(String model, DType type, int positions, int top1Agree, float maxAbsLogitError,
                     float maxAbsLogit, int firstDivergence) {
        double top1() {
            return (double) top1Agree / positions;
        }

        String row() {
            return String.format(Locale.ROOT, "| %s | %s | %d/%d = %.4f | %.3g | %.3g | %s |", model, type, top1Agree,
                    positions, top1(), maxAbsLogitError, maxAbsLogit,
                    firstDivergence < 0 ? "none" : Integer.toString(firstDivergence));
        }
    }

    @TempDir
    Path dir;

    static Agreement measure(String name, Model ref, Model q, DType type, int steps) {
        LlamaForward fr = new LlamaForward(ref.config(), ref.weights(), new ScalarMatVec(), steps);
        LlamaForward fq = new LlamaForward(q.config(), q.weights(), new ScalarMatVec(), steps);
        List<Integer> refGreedy = new ArrayList<>();
        int token = ref.config().bosId();
        int agree = 0;
        int positions = 0;
        float maxErr = 0;
        float maxLogit = 0;
        for (int pos = 0; pos < steps; pos++) {
            float[] lr = fr.forward(token, pos);
            float[] lq = fq.forward(token, pos);
            for (int i = 0; i < lr.length; i++) {
                maxErr = Math.max(maxErr, Math.abs(lr[i] - lq[i]));
                maxLogit = Math.max(maxLogit, Math.abs(lr[i]));
            }
            int next = GgufTestModels.argmax(lr);
            positions++;
            if (next == GgufTestModels.argmax(lq)) {
                agree++;
            }
            refGreedy.add(next);
            if (ref.config().isStopToken(next)) {
                break;
            }
            token = next;
        }
        // the quantized model's own greedy run
        LlamaForward own = new LlamaForward(q.config(), q.weights(), new ScalarMatVec(), steps);
        int diverge = -1;
        token = q.config().bosId();
        for (int pos = 0; pos < refGreedy.size(); pos++) {
            int next = GgufTestModels.argmax(own.forward(token, pos));
            if (next != refGreedy.get(pos)) {
                diverge = pos;
                break;
            }
            token = next;
        }
        return new Agreement(name, type, positions, agree, maxErr, maxLogit, diverge);
    }

    static List<Agreement> table(String model, Path dir) {
        List<Agreement> rows = new ArrayList<>();
        try (Model ref = ModelLoader.load(SharedData.model(model))) {
            int steps = Math.min(256, ref.config().seqLen());
            for (DType t : TYPES) {
                try (Model q = ModelLoader.load(GgufTestModels.write(model, null, t, dir))) {
                    rows.add(measure(model, ref, q, t, steps));
                }
            }
        }
        return rows;
    }

    @Test
    void quantizedCopiesStayCloseToTheFp32Model() throws Exception {
        List<Agreement> rows = new ArrayList<>(table("stories260K.bin", dir));
        rows.addAll(table("synthetic/synth_tiny_unshared_gqa4.bin", dir));
        StringBuilder md = new StringBuilder("| model | GGUF type | top-1 agreement | max abs logit error "
                + "| max abs FP32 logit | first greedy divergence |\n|---|---|---|---|---|---|\n");
        rows.forEach(r -> md.append(r.row()).append('\n'));
        System.out.print(md);
        Path target = SharedData.repoRoot().resolve("model/target");
        if (Files.isDirectory(target)) {
            Files.writeString(target.resolve("gguf-agreement.md"), md);
        }
        for (Agreement r : rows) {
            switch (r.type()) {
                case F32 -> {
                    // F32 GGUF holds the same bits: exact agreement
                    assertThat(r.maxAbsLogitError()).as(r.row()).isZero();
                    assertThat(r.firstDivergence()).as(r.row()).isEqualTo(-1);
                }
                case F16 -> assertThat(r.top1()).as(r.row()).isGreaterThanOrEqualTo(0.95);
                case BF16, Q8_0 -> assertThat(r.top1()).as(r.row()).isGreaterThanOrEqualTo(0.85);
                case Q4_0 -> assertThat(r.top1()).as(r.row()).isGreaterThanOrEqualTo(0.5);
                default -> throw new AssertionError(r.type());
            }
            if (r.type() != DType.F32) {
                // quantization must change something, or the type was not applied
                assertThat(r.maxAbsLogitError()).as(r.row()).isPositive();
                assertThat(r.maxAbsLogitError()).as(r.row()).isLessThan(r.maxAbsLogit());
            }
        }
    }
}
