package io.flightllm.twin;

import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.model.Model;
import io.flightllm.model.bench.RandomLlama;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.forward.VectorMatVec;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A timing harness (not a unit test) for a kernel change on a shared machine: two builds of the twin's classes (e.g.
 * main's and a branch's {@code twin/target/classes}), each loaded child-first in its own class loader, and the fp32
 * reference decode one token each in turn in one JVM, so a change of load hits all three alike. Prints the median and
 * best per-token time of each after the first eighth, and fails if the two twins' logits ever differ.
 *
 * <p>Run as {@link TwinBench} says, with arguments {@code THREADS STEPS PROFILE CLASSES_A CLASSES_B}, e.g.
 * {@code 2 160 w8 /tmp/old/classes twin/target/classes}.
 */
public final class TwinAbBench {
    private TwinAbBench() {
    }

    /** Loads io.flightllm.twin from its own directory first, everything else from the parent. */
    private static final class ChildFirst extends URLClassLoader {
        ChildFirst(URL dir, ClassLoader parent) {
            super(new URL[] {dir}, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("io.flightllm.twin.")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                return c != null ? c : findClass(name);
            }
        }
    }

    public static void main(String[] a) throws Exception {
        int threads = Integer.parseInt(a[0]);
        int steps = Integer.parseInt(a[1]);
        String[] names = {"A " + a[3], "B " + a[4]};
        try (Model m = RandomLlama.create(RandomLlama.Shape.parse("tinyllama-4l"), 42);
             MatVec mv = new VectorMatVec(threads)) {
            CompressedModel cm = new ModelCompressor(CompressionProfile.named(a[2]), LinearCompressor.roundToNearest(),
                    "rtn").toModel(new ModelWeightSource(m), null, (l, k, d, t) -> { });
            Object[] twins = new Object[2];
            Method[] forward = new Method[2];
            for (int i = 0; i < 2; i++) {
                ClassLoader cl = new ChildFirst(Path.of(a[3 + i]).toUri().toURL(), TwinAbBench.class.getClassLoader());
                Class<?> c = cl.loadClass("io.flightllm.twin.FastTwin"); // by name: not on this class path
                twins[i] = c.getConstructor(CompressedModel.class, int.class, int.class).newInstance(cm, threads, 256);
                forward[i] = c.getMethod("forward", int.class, int.class);
            }
            LlamaForward ref = new LlamaForward(m.config(), m.weights(), mv, 256);
            double[][] ms = new double[3][steps];
            for (int pos = 0; pos < steps; pos++) {
                int tok = 7 + pos;
                long t0 = System.nanoTime();
                ref.forward(tok, pos % 256);
                ms[0][pos] = (System.nanoTime() - t0) / 1e6;
                float[][] logits = new float[2][];
                for (int i = 0; i < 2; i++) {
                    t0 = System.nanoTime();
                    logits[i] = ((float[]) forward[i].invoke(twins[i], tok, pos % 256)).clone();
                    ms[i + 1][pos] = (System.nanoTime() - t0) / 1e6;
                }
                if (!Arrays.equals(logits[0], logits[1])) {
                    throw new AssertionError("the two twins' logits differ at position " + pos);
                }
            }
            double refMedian = 0;
            for (int i = 0; i < 3; i++) {
                double[] s = Arrays.copyOfRange(ms[i], steps / 8, steps);
                Arrays.sort(s);
                double median = s[s.length / 2];
                if (i == 0) {
                    refMedian = median;
                }
                System.out.printf("%-40s threads %d: median %7.2f ms = %6.1f tok/s (best %6.1f), x fp32 %.2f%n",
                        i == 0 ? "fp32" : names[i - 1], threads, median, 1000 / median, 1000 / s[0],
                        refMedian / median);
            }
            for (Object t : twins) {
                ((AutoCloseable) t).close();
            }
        }
    }
}
