package io.flightllm.twin;

import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.model.Model;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.twin.TestCompressor.DensityPlan;
import io.flightllm.twin.TestCompressor.Recipe;

/**
 * A timing harness (not a unit test): decode tok/s, GB/s and GMAC/s of the FastTwin with 1 and 2 threads against the
 * FP32 reference forward pass in the same run, plus batched-prefill tok/s. Each figure is the median of
 * {@value #PASSES} passes on fresh instances (one extra warm-up pass first); the machine may be shared, so also note
 * its load. GB/s is given twice: for the accelerator's packed size (b-bit values, 4-bit positions, FP16 scales) and
 * for the bytes this twin actually streams (int8 values, or the nibble copy of dense 2..4-bit groups).
 *
 * <p>The reference uses {@code io.flightllm.model.forward.VectorMatVec} (threads as the twin) when it is on the class
 * path, else the scalar run.c-order {@link ScalarMatVec} (single thread, much slower); the output says which.
 *
 * <p>Run with the test classpath and the Vector API module: {@code ./mvnw -o -q -pl twin -am test-compile
 * dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test}, then {@code java --add-modules
 * jdk.incubator.vector -Xmx8g -cp $(cat /tmp/cp.txt):twin/target/classes:twin/target/test-classes
 * io.flightllm.twin.TwinBench [stories|mid|big]}.
 */
public final class TwinBench {
    private static final int PASSES = 5;

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
            int steps = big ? 32 : 256;
            double[] ref = new double[3];
            for (int threads : new int[] {1, 2}) {
                ref[threads] = referenceTokS(m, steps, threads);
                System.out.printf("%s fp32 reference (%s, threads %d): %.2f tok/s, %.2f GB/s fp32 weights%n", name,
                        referenceName(threads), threads, ref[threads], ref[threads] * fp32Bytes(m) / 1e9);
            }
            for (Recipe r : new Recipe[] {Recipe.of("W8 dense G=K16", 8, 0, DensityPlan.dense()),
                    Recipe.of("W4 dense G=128", 4, 128, DensityPlan.dense()),
                    Recipe.of("W4 8:16 G=128", 4, 128, DensityPlan.uniform(8)),
                    new Recipe("W4/W3 mix G=128", new int[] {4, 3}, 128, DensityPlan.dense()),
                    Recipe.of("W4 mix 0.5 G=128", 4, 128, DensityPlan.mixHalf())}) {
                long t0 = System.nanoTime();
                CompressedModel cm = TestCompressor.compress(m, r);
                double compressS = (System.nanoTime() - t0) / 1e9;
                long bytes = 0;
                long streamed = 0;
                long macs = 0;
                double bits = 0;
                for (CompressedLinear l : cm.linears()) {
                    bytes += packedBytes(l);
                    streamed += streamedBytes(l);
                    macs += l.keptCount();
                    bits += (double) l.bits() * l.keptCount();
                }
                System.out.printf("%s %-17s (%.2f bits/kept weight, compressed in %.1f s) threads 2: prefill %.1f "
                                + "tok/s (64 tokens, batches of %d)%n", name, r.label(), bits / macs, compressS,
                        prefillTokS(cm, 64), FastTwin.MAX_BATCH);
                for (int threads : new int[] {1, 2}) {
                    double tokS = twinTokS(cm, threads, steps);
                    System.out.printf("%s %-17s threads %d: %7.2f tok/s, %6.2f GB/s packed (%.1f MB), %6.2f GB/s "
                                    + "streamed (%.1f MB), %6.2f GMAC/s (%.1f M MACs/token); %.2fx fp32%n", name,
                            r.label(), threads, tokS, tokS * bytes / 1e9, bytes / 1e6, tokS * streamed / 1e9,
                            streamed / 1e6, tokS * macs / 1e9, macs / 1e6, tokS / ref[threads]);
                }
            }
        }
    }

    /** Bytes the accelerator streams per token for one layer, as the .flm stores it (values, indices, scales...). */
    static long packedBytes(CompressedLinear l) {
        return io.flightllm.compress.WeightBytes.of(l, l.denseCount()).linearBytes();
    }

    /** Bytes this twin's decode reads per token for one layer: values, sparse positions (a byte each), scales. */
    static long streamedBytes(CompressedLinear l) {
        LinearPlan plan = LinearPlan.of(l);
        long positions = 0;
        int rbs = l.rowBlocks();
        for (int rb = 0; rb < rbs; rb++) {
            for (int g = 0; g < plan.groups(); g++) {
                byte kind = plan.kind()[rb * plan.groups() + g];
                if (kind == LinearPlan.DENSE8 || kind == LinearPlan.DENSE4 || kind == LinearPlan.ILV4) {
                    continue; // no positions read (interleaved sets hold sparse blocks expanded)
                }
                int cb0 = g * plan.blocksPerGroup();
                for (int cb = cb0; cb < Math.min(plan.colBlocks(), cb0 + plan.blocksPerGroup()); cb++) {
                    int n = plan.density()[rb * plan.colBlocks() + cb];
                    positions += n == CompressedLinear.BLOCK ? 0 : (long) CompressedLinear.BLOCK * n;
                }
            }
        }
        long ilvScales = plan.ilv() == null ? 0 : 2L * plan.ilv().scales().length; // FP32 copies: 2 more bytes each
        return plan.streamedValueBytes() + positions + 2L * l.scaleBits().length + ilvScales;
    }

    private static long fp32Bytes(Model m) {
        long b = 0;
        for (var lw : m.weights().layers()) {
            b += lw.wq().byteSize() + lw.wk().byteSize() + lw.wv().byteSize() + lw.wo().byteSize()
                    + lw.w1().byteSize() + lw.w2().byteSize() + lw.w3().byteSize();
        }
        return b + m.weights().classifier().byteSize();
    }

    private static final String VECTOR_MATVEC = "io.flightllm.model.forward.VectorMatVec";

    private static MatVec referenceMatVec(int threads) {
        try {
            return (MatVec) Class.forName(VECTOR_MATVEC).getConstructor(int.class).newInstance(threads);
        } catch (ReflectiveOperationException e) {
            return new ScalarMatVec();
        }
    }

    private static String referenceName(int threads) {
        try (MatVec mv = referenceMatVec(threads)) {
            return mv.getClass().getSimpleName();
        }
    }

    private static double median(double[] t) {
        double[] c = t.clone();
        java.util.Arrays.sort(c);
        return c[c.length / 2];
    }

    /** Positions 0..steps-1 on a fresh instance per pass; a warm-up pass, then the median of {@link #PASSES}. */
    private static double referenceTokS(Model m, int steps, int threads) {
        boolean scalar = referenceMatVec(1) instanceof ScalarMatVec;
        int n = scalar ? Math.min(steps, 4) : steps;
        double[] t = new double[scalar ? 1 : PASSES];
        for (int pass = -1; pass < t.length; pass++) {
            try (MatVec mv = referenceMatVec(threads)) {
                LlamaForward f = new LlamaForward(m.config(), m.weights(), mv, n);
                long t0 = System.nanoTime();
                for (int p = 0; p < n; p++) {
                    f.forward((p * 31 + 1) % m.config().vocabSize(), p);
                }
                if (pass >= 0) {
                    t[pass] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        return n / median(t);
    }

    private static double prefillTokS(CompressedModel cm, int n) {
        int[] toks = new int[n];
        for (int i = 0; i < n; i++) {
            toks[i] = (i * 31 + 1) % cm.config().vocabSize();
        }
        double[] t = new double[PASSES];
        for (int pass = -1; pass < PASSES; pass++) {
            try (FastTwin twin = new FastTwin(cm, 2, n)) {
                long t0 = System.nanoTime();
                twin.prefill(toks, 0);
                if (pass >= 0) {
                    t[pass] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        return n / median(t);
    }

    private static double twinTokS(CompressedModel cm, int threads, int steps) {
        double[] t = new double[PASSES];
        for (int pass = -1; pass < PASSES; pass++) {
            try (FastTwin twin = new FastTwin(cm, threads, steps)) {
                long t0 = System.nanoTime();
                for (int p = 0; p < steps; p++) {
                    twin.forward((p * 31 + 1) % cm.config().vocabSize(), p);
                }
                if (pass >= 0) {
                    t[pass] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        return steps / median(t);
    }
}
