package io.flightllm.twin;

import io.flightllm.compress.CompressedModel;
import io.flightllm.model.Model;
import io.flightllm.twin.TestCompressor.DensityPlan;
import io.flightllm.twin.TestCompressor.Recipe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.IntVector;

/**
 * A fixed FastTwin run (stories260K and an odd-shaped random model, sparse mixed precision and uniform 8:16, decode
 * and prefill, two threads) whose logits hash must not depend on the JVM's SIMD width. Run as a main in a forked JVM
 * with other flags.
 */
public final class SimdScenario {
    private SimdScenario() {
    }

    public static String logitsHash() {
        List<float[]> all = new ArrayList<>();
        try (Model stories = TestModels.stories260K();
             Model odd = TestModels.randomLlama(72, 100, 2, 3, 1, 24, 75, 64, 42)) {
            run(TestCompressor.compress(stories, new Recipe("mix", new int[] {8, 4, 3, 2}, 16,
                    DensityPlan.mixHalf())), TwinEquivalenceTest.tokens(40, 512, 11), all);
            // uniform 8:16 in pairs of blocks: the GATHER path (two FP32 vectors per pair at 256 bits, one at 512)
            run(TestCompressor.compress(stories, Recipe.of("W4 8:16", 4, 32, DensityPlan.uniform(8))),
                    TwinEquivalenceTest.tokens(24, 512, 14), all);
            // dense 4-bit G=16: group-interleaved sets (16 groups per set at 512 bits, 8 at 256)
            run(TestCompressor.compress(stories, Recipe.of("W4 G=16", 4, 16, DensityPlan.dense())),
                    TwinEquivalenceTest.tokens(24, 512, 15), all);
            run(TestCompressor.compress(odd, Recipe.of("W4 mix", 4, 48, DensityPlan.mixHalf())),
                    TwinEquivalenceTest.tokens(40, 75, 12), all);
        }
        return Logits.hash(all);
    }

    private static void run(CompressedModel cm, int[] toks, List<float[]> out) {
        try (FastTwin fast = new FastTwin(cm, 2, toks.length)) {
            for (int p = 0; p < toks.length; p++) {
                out.add(fast.forward(toks[p], p).clone());
            }
        }
        try (FastTwin fast = new FastTwin(cm, 2, toks.length)) {
            out.add(fast.prefill(Arrays.copyOf(toks, toks.length), 0).clone());
        }
    }

    public static void main(String[] args) {
        System.out.println("int-bits=" + IntVector.SPECIES_PREFERRED.vectorBitSize());
        System.out.println("hash=" + logitsHash());
    }
}
