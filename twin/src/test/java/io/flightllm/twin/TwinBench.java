package io.flightllm.twin;

import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.model.Model;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.twin.TestCompressor.DensityPlan;
import io.flightllm.twin.TestCompressor.Recipe;

/**
 * A timing harness (not a unit test): decode tok/s, packed-weight GB/s and GMAC/s of the FastTwin against the FP32
 * reference (scalar, run.c order) in the same run. Run with the test classpath and the Vector API module, e.g.
 * {@code java --add-modules jdk.incubator.vector -Xmx8g -cp <test classpath> io.flightllm.twin.TwinBench [big]}.
 */
public final class TwinBench {
    private TwinBench() {
    }

    public static void main(String[] args) {
        boolean big = args.length > 0 && args[0].equals("big");
        try (Model m = big ? TestModels.randomLlama(2048, 5632, 4, 32, 4, 64, 32000, 256, 1)
                : TestModels.stories260K()) {
            String name = big ? "random LLaMA 2048/5632/4L/32H/4KV/32000" : "stories260K";
            int refSteps = big ? 3 : 200;
            double ref = referenceTokS(m, refSteps);
            System.out.printf("%s fp32 reference (scalar): %.2f tok/s%n", name, ref);
            for (Recipe r : new Recipe[] {Recipe.of("W8 dense G=K16", 8, 0, DensityPlan.dense()),
                    Recipe.of("W4 dense G=128", 4, 128, DensityPlan.dense()),
                    Recipe.of("W4 mix 0.5 G=128", 4, 128, DensityPlan.mixHalf())}) {
                long t0 = System.nanoTime();
                CompressedModel cm = TestCompressor.compress(m, r);
                double compressS = (System.nanoTime() - t0) / 1e9;
                long bytes = 0;
                long macs = 0;
                for (CompressedLinear l : cm.linears()) {
                    bytes += packedBytes(l);
                    macs += l.keptCount();
                }
                for (int threads : new int[] {1, 2}) {
                    double tokS = twinTokS(cm, threads, big ? 24 : 400);
                    System.out.printf("%s %-16s threads %d: %8.2f tok/s, %6.2f GB/s packed weights (%.1f MB), "
                                    + "%6.2f GMAC/s (%.1f M kept MACs/token); %.1fx the fp32 reference "
                                    + "(compressed in %.1f s)%n", name, r.label(), threads, tokS, tokS * bytes / 1e9,
                            bytes / 1e6, tokS * macs / 1e9, macs / 1e6, tokS / ref, compressS);
                }
            }
        }
    }

    /** Bytes the accelerator streams per token for one layer: b-bit values, 4-bit positions, FP16 scales. */
    static long packedBytes(CompressedLinear l) {
        return (l.values().length * (long) l.bits() + 7) / 8 + (l.positions().length + 1) / 2
                + 2L * l.scaleBits().length;
    }

    private static double referenceTokS(Model m, int steps) {
        LlamaForward f = new LlamaForward(m.config(), m.weights(), new ScalarMatVec(), steps + 1);
        f.forward(1, 0); // warm-up
        long t0 = System.nanoTime();
        for (int p = 1; p <= steps; p++) {
            f.forward((p * 31) % m.config().vocabSize(), p);
        }
        return steps / ((System.nanoTime() - t0) / 1e9);
    }

    private static double twinTokS(CompressedModel cm, int threads, int steps) {
        int warm = Math.max(4, steps / 8);
        try (FastTwin t = new FastTwin(cm, threads, warm + steps)) {
            for (int p = 0; p < warm; p++) {
                t.forward((p * 31) % cm.config().vocabSize(), p);
            }
            long t0 = System.nanoTime();
            for (int p = warm; p < warm + steps; p++) {
                t.forward((p * 31) % cm.config().vocabSize(), p);
            }
            return steps / ((System.nanoTime() - t0) / 1e9);
        }
    }
}
