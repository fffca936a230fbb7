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
 * reference (scalar, run.c order) in the same run, plus batched-prefill tok/s. Run with the test classpath and the
 * Vector API module: {@code ./mvnw -o -q -pl twin -am test-compile dependency:build-classpath
 * -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test}, then {@code java --add-modules jdk.incubator.vector -Xmx8g
 * -cp $(cat /tmp/cp.txt):twin/target/classes:twin/target/test-classes io.flightllm.twin.TwinBench [stories|mid|big]}.
 */
public final class TwinBench {
    private TwinBench() {
    }

    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "stories";
        boolean big = !which.equals("stories");
        try (Model m = switch (which) {
            case "big" -> TestModels.randomLlama(2048, 5632, 4, 32, 4, 64, 32000, 256, 1);
            case "mid" -> TestModels.randomLlama(1024, 2816, 2, 16, 4, 64, 8000, 256, 1);
            default -> TestModels.stories260K();
        }) {
            String name = switch (which) {
                case "big" -> "random LLaMA 2048/5632/4L/32H/4KV/32000";
                case "mid" -> "random LLaMA 1024/2816/2L/16H/4KV/8000";
                default -> "stories260K";
            };
            int refSteps = big ? 4 : 256;
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
                System.out.printf("%s %-16s threads 2: prefill %.1f tok/s (64 tokens, batches of %d)%n", name,
                        r.label(), prefillTokS(cm, 64), FastTwin.MAX_BATCH);
                for (int threads : new int[] {1, 2}) {
                    double tokS = twinTokS(cm, threads, big ? 16 : 256);
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

    /**
     * Positions 0..steps-1 on a fresh instance, three passes, the fastest counts (the first pass warms the JIT; the
     * machine may be shared, so the best pass is the least disturbed one).
     */
    private static double referenceTokS(Model m, int steps) {
        double t = Double.MAX_VALUE;
        for (int pass = 0; pass < 3; pass++) {
            LlamaForward f = new LlamaForward(m.config(), m.weights(), new ScalarMatVec(), steps);
            long t0 = System.nanoTime();
            for (int p = 0; p < steps; p++) {
                f.forward((p * 31 + 1) % m.config().vocabSize(), p);
            }
            t = Math.min(t, (System.nanoTime() - t0) / 1e9);
        }
        return steps / t;
    }

    private static double prefillTokS(CompressedModel cm, int n) {
        int[] toks = new int[n];
        for (int i = 0; i < n; i++) {
            toks[i] = (i * 31 + 1) % cm.config().vocabSize();
        }
        double t = Double.MAX_VALUE;
        for (int pass = 0; pass < 3; pass++) {
            try (FastTwin twin = new FastTwin(cm, 2, n)) {
                long t0 = System.nanoTime();
                twin.prefill(toks, 0);
                t = Math.min(t, (System.nanoTime() - t0) / 1e9);
            }
        }
        return n / t;
    }

    private static double twinTokS(CompressedModel cm, int threads, int steps) {
        double t = Double.MAX_VALUE;
        for (int pass = 0; pass < 3; pass++) {
            try (FastTwin twin = new FastTwin(cm, threads, steps)) {
                long t0 = System.nanoTime();
                for (int p = 0; p < steps; p++) {
                    twin.forward((p * 31 + 1) % cm.config().vocabSize(), p);
                }
                t = Math.min(t, (System.nanoTime() - t0) / 1e9);
            }
        }
        return steps / t;
    }
}
