package io.flightllm.twin.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.model.Model;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.twin.FastTwin;
import io.flightllm.twin.TestModels;
import io.flightllm.twin.eval.NumericsAblation.Step;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ablation is only evidence if its two ends are the real things: with every INT8 step off and FP32 weights it is
 * the FP32 reference, and with every step on it is the twin (up to summation order), closely enough that leaving out
 * any single step shows.
 */
class NumericsAblationTest {
    private static final int CTX = 64;
    private static Model model;
    private static CompressedModel w8;
    private static int[] tokens;

    @BeforeAll
    static void setUp() {
        model = TestModels.stories260K();
        w8 = ModelCompression.compress(model, null, AccuracyTable.rtn(8, 0, 16), "W8 RTN");
        tokens = Corpus.sample(model, 1, CTX, 7, 1.0f, 1.0f).sequences().getFirst();
        assertThat(tokens.length).isGreaterThan(40);
    }

    @AfterAll
    static void tearDown() {
        model.close();
    }

    @Test
    void everyStepOffWithFp32WeightsIsTheReference() {
        NumericsAblation a = NumericsAblation.fp32(new ModelWeightSource(model), w8, CTX, Set.of(),
                NumericsAblation.Granularity.CONTRACT);
        LogitModel ref = LogitModel.of(new LlamaForward(model.config(), model.weights(), new ScalarMatVec(), CTX),
                "reference");
        assertThat(maxAbsDiff(a, ref)).isLessThan(1e-4);
    }

    @Test
    void everyStepOnIsTheTwinAndEachStepLeftOutShows() {
        Set<Step> all = EnumSet.allOf(Step.class);
        try (LogitModel twin = LogitModel.of(new FastTwin(w8, 1, CTX), "twin")) {
            double same = maxAbsDiff(NumericsAblation.of(w8, CTX, all), twin);
            assertThat(same).isLessThan(1e-4); // measured 5.7e-6: the twin up to summation order
            for (Step s : Step.values()) {
                EnumSet<Step> without = EnumSet.allOf(Step.class);
                without.remove(s);
                double d = maxAbsDiff(NumericsAblation.of(w8, CTX, without), twin);
                assertThat(d).as("without %s", s).isGreaterThan(0.05); // measured 0.85 to 1.15
            }
        }
    }

    @Test
    void stepsParseAndPrint() {
        assertThat(Step.parse("LQKVP")).isEqualTo(EnumSet.allOf(Step.class));
        assertThat(Step.parse("--K--")).containsExactly(Step.K);
        assertThat(Step.describe(EnumSet.of(Step.LINEAR_INPUTS, Step.P))).isEqualTo("L---P");
        assertThatThrownBy(() -> Step.parse("LQK")).hasMessageContaining("5 characters");
        assertThatThrownBy(() -> Step.parse("LKQVP")).hasMessageContaining("character 2 must be Q or '-'");
    }

    @Test
    void aKScaleGroupMustDivideThePaddedHead() {
        assertThatThrownBy(() -> NumericsAblation.of(w8, CTX, Set.of(Step.K),
                new NumericsAblation.Granularity(3, 0)))
                .hasMessageContaining("k scale group 3 must divide the padded head size 16");
    }

    private static double maxAbsDiff(LogitModel a, LogitModel b) {
        double m = 0;
        for (int i = 0; i + 1 < tokens.length; i++) {
            float[] x = a.forward(tokens[i], i).clone();
            float[] y = b.forward(tokens[i], i);
            for (int j = 0; j < x.length; j++) {
                m = Math.max(m, Math.abs(x[j] - y[j]));
            }
        }
        return m;
    }
}
