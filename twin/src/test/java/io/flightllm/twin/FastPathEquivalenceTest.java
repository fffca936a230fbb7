package io.flightllm.twin;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.model.Model;
import io.flightllm.twin.TestCompressor.DensityPlan;
import io.flightllm.twin.TestCompressor.Recipe;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * FastTwin == GoldenTwin on recipes chosen to drive each decode path of {@link LinearPlan}: groups of N = 8 blocks
 * in pairs (GATHER), N = 4 and mixed-density groups walked block by block (SPARSE) next to nibble-packed dense
 * ones, nibble-packed dense groups with an odd block count (DENSE4), sets of 2..4-bit groups (dense, 8:16 or mixed,
 * expanded) read together from the group-interleaved copy (ILV4), contiguous int8
 * groups (DENSE8). Each case first checks that the intended path really occurs, so the comparison is not vacuous.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FastPathEquivalenceTest {
    private Model wide;

    @BeforeAll
    void load() {
        // dim 128, hidden 344 (K16 352: 22 blocks), 4 heads of 32, GQA 4:2
        wide = TestModels.randomLlama(128, 344, 1, 4, 2, 32, 300, 64, 43);
    }

    @AfterAll
    void close() {
        wide.close();
    }

    record Case(Recipe recipe, byte kind) {
        @Override
        public String toString() {
            return recipe.label();
        }
    }

    Stream<Case> cases() {
        return Stream.of(
                new Case(Recipe.of("W4 N=8 G=64", 4, 64, DensityPlan.uniform(8)), LinearPlan.GATHER),
                new Case(Recipe.of("W8 N=8 G=K16", 8, 0, DensityPlan.uniform(8)), LinearPlan.GATHER),
                new Case(new Recipe("W8/W2 N=8 G=32", new int[] {8, 2}, 32, DensityPlan.uniform(8)),
                        LinearPlan.GATHER),
                new Case(Recipe.of("W8 N=4 G=K16", 8, 0, DensityPlan.uniform(4)), LinearPlan.SPARSE),
                new Case(Recipe.of("W4 mix G=64", 4, 64, DensityPlan.mixHalf()), LinearPlan.SPARSE),
                new Case(Recipe.of("W3 dense G=48", 3, 48, DensityPlan.dense()), LinearPlan.DENSE4),
                new Case(Recipe.of("W4 dense G=16", 4, 16, DensityPlan.dense()), LinearPlan.ILV4),
                new Case(new Recipe("W2/W3 dense G=32", new int[] {2, 3}, 32, DensityPlan.dense()),
                        LinearPlan.ILV4),
                new Case(Recipe.of("W4 N=8 G=16", 4, 16, DensityPlan.uniform(8)), LinearPlan.ILV4),
                new Case(Recipe.of("W3 mix 0.5 G=16", 3, 16, DensityPlan.mixHalf()), LinearPlan.ILV4),
                new Case(Recipe.of("W8 dense G=48", 8, 48, DensityPlan.dense()), LinearPlan.DENSE8));
    }

    @ParameterizedTest(name = "dim 128 {0}")
    @MethodSource("cases")
    void fastPathEqualsGolden(Case c) {
        CompressedModel cm = TestCompressor.compress(wide, c.recipe());
        long groups = 0;
        for (CompressedLinear l : cm.linears()) {
            for (byte k : LinearPlan.of(l).kind()) {
                groups += k == c.kind() ? 1 : 0;
            }
        }
        assertThat(groups).as("groups of kind " + c.kind() + " in " + c.recipe()).isPositive();
        TwinEquivalenceTest.checkEquivalence(cm, TwinEquivalenceTest.tokens(36, 300, 17), c.recipe().toString());
    }
}
