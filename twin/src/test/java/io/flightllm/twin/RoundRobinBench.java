package io.flightllm.twin;

import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.IndexChoice;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.model.Model;
import io.flightllm.model.bench.RandomLlama;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.forward.VectorMatVec;
import java.util.Arrays;

/**
 * A timing harness (not a unit test) for a shared machine: the fp32 reference and the twin on several profiles decode
 * one token each in turn, so a change of load hits all of them alike (a `bench` run measures them minutes apart).
 * Prints the median per-token time of each and its ratio to fp32's.
 *
 * <p>Run as {@link TwinBench} says, with arguments {@code THREADS STEPS PROFILE[:INDEX_ENCODING]...}, e.g.
 * {@code 2 96 w8 w4 w4s8:positions4 w4s8:mask16 mixed}.
 */
public final class RoundRobinBench {
    private RoundRobinBench() {
    }

    public static void main(String[] a) {
        int threads = Integer.parseInt(a[0]);
        int steps = Integer.parseInt(a[1]);
        int n = a.length - 2;
        try (Model m = RandomLlama.create(RandomLlama.Shape.parse("tinyllama-4l"), 42);
             MatVec mv = new VectorMatVec(threads)) {
            FastTwin[] tw = new FastTwin[n];
            for (int i = 0; i < n; i++) {
                String[] spec = a[i + 2].split(":");
                CompressionProfile p = CompressionProfile.named(spec[0]);
                if (spec.length > 1) {
                    p = p.withIndex(IndexChoice.fromId(spec[1]));
                }
                CompressedModel cm = new ModelCompressor(p, LinearCompressor.roundToNearest(), "rtn")
                        .toModel(new ModelWeightSource(m), null, (l, k, d, t) -> { });
                tw[i] = new FastTwin(cm, threads, 256);
            }
            LlamaForward ref = new LlamaForward(m.config(), m.weights(), mv, 256);
            double[][] ms = new double[n + 1][steps];
            for (int pos = 0; pos < steps; pos++) {
                int tok = 7 + pos;
                long t0 = System.nanoTime();
                ref.forward(tok, pos % 256);
                ms[0][pos] = (System.nanoTime() - t0) / 1e6;
                for (int i = 0; i < n; i++) {
                    t0 = System.nanoTime();
                    tw[i].forward(tok, pos % 256);
                    ms[i + 1][pos] = (System.nanoTime() - t0) / 1e6;
                }
            }
            double refMedian = 0;
            for (int i = 0; i <= n; i++) {
                double[] s = Arrays.copyOfRange(ms[i], steps / 8, steps); // the first eighth warms up
                Arrays.sort(s);
                double median = s[s.length / 2];
                if (i == 0) {
                    refMedian = median;
                }
                System.out.printf("%-16s threads %d: median %7.2f ms = %7.1f tok/s (best %7.1f), x fp32 %.2f%n",
                        i == 0 ? "fp32" : a[i + 1], threads, median, 1000 / median, 1000 / s[0], refMedian / median);
            }
            for (FastTwin t : tw) {
                t.close();
            }
        }
    }
}
