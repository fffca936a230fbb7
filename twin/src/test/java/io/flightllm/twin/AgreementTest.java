package io.flightllm.twin;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.compress.CompressedModel;
import io.flightllm.model.Model;
import io.flightllm.twin.TestCompressor.DensityPlan;
import io.flightllm.twin.TestCompressor.Recipe;
import org.junit.jupiter.api.Test;

/**
 * Measured agreement of compressed stories260K (twin numerics: INT8 activations, INT8 KV cache) with the FP32
 * reference. Printed for the report; the bounds are loose sanity checks, not accuracy claims.
 */
class AgreementTest {
    private static final int STEPS = 128;

    @Test
    void w8a8DenseTracksTheReference() {
        try (Model m = TestModels.stories260K()) {
            Agreement w8 = measure(m, Recipe.of("W8A8 dense G=K16", 8, 0, DensityPlan.dense()));
            Agreement w8g = measure(m, Recipe.of("W8A8 dense G=16", 8, 16, DensityPlan.dense()));
            Agreement w4 = measure(m, Recipe.of("W4A8 dense G=32", 4, 32, DensityPlan.dense()));
            Agreement mix = measure(m, Recipe.of("W4A8 mix 0.5 G=32", 4, 32, DensityPlan.mixHalf()));
            assertThat(w8.top1()).isGreaterThan(0.8);
            assertThat(w8.meanKl()).isLessThan(0.1);
            // coarser numerics agree less: the measurement must be able to tell them apart
            assertThat(mix.meanKl()).isGreaterThan(w8.meanKl());
            assertThat(w4.meanKl()).isGreaterThan(w8g.meanKl());
        }
    }

    private static Agreement measure(Model m, Recipe r) {
        CompressedModel cm = TestCompressor.compress(m, r);
        Agreement a = Agreement.measure(m, cm, STEPS);
        System.out.printf("stories260K %-20s vs fp32 over %d greedy positions: top-1 %.4f, mean KL %.5f nats%n",
                r.label(), a.positions(), a.top1(), a.meanKl());
        return a;
    }
}
