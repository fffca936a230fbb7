package io.flightllm.model.bench;

import io.flightllm.model.DType;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.Weights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.LongStream;

/**
 * A LLaMA model with random FP32 weights in off-heap memory, for benchmarks: no file to download, the same bytes on
 * every run. Values come from a counter-based hash (SplitMix64's finalizer of seed, tensor and index), so the fill
 * runs in parallel chunks and does not depend on the thread count. Matrices are uniform in +-sqrt(3 / fan_in)
 * (variance 1 / fan_in), the embedding in [-1, 1], norm weights are 1; the classifier is shared.
 */
public final class RandomLlama {
    /** Named shapes for {@code bench --random-shape}. */
    public enum Shape {
        /** TinyLlama-1.1B's widths with 4 layers: about 965 MB of FP32 weights, far larger than any cache. */
        TINYLLAMA_4L(2048, 5632, 4, 32, 4, 32000, 2048),
        /** A small shape for smoke tests. */
        TINY(128, 344, 2, 4, 2, 512, 256);

        final int dim;
        final int hidden;
        final int layers;
        final int heads;
        final int kvHeads;
        final int vocab;
        final int seqLen;

        Shape(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen) {
            this.dim = dim;
            this.hidden = hidden;
            this.layers = layers;
            this.heads = heads;
            this.kvHeads = kvHeads;
            this.vocab = vocab;
            this.seqLen = seqLen;
        }

        public ModelConfig config() {
            return ModelConfig.llama(dim, hidden, layers, heads, kvHeads, vocab, seqLen, true).validate(cliName());
        }

        /** The name on the command line: lower case with dashes. */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Shape parse(String s) {
            for (Shape sh : values()) {
                if (sh.cliName().equals(s)) {
                    return sh;
                }
            }
            throw new IllegalArgumentException("unknown random shape '" + s + "'; expected one of "
                    + java.util.Arrays.stream(values()).map(Shape::cliName).toList());
        }
    }

    private static final long CHUNK = 1 << 20;

    private RandomLlama() {
    }

    /** The model; closing it frees the memory. */
    public static Model create(Shape shape, long seed) {
        ModelConfig c = shape.config();
        Arena arena = Arena.ofShared();
        try {
            int[] index = {0};
            Filler f = (name, rows, cols, scale) -> tensor(arena, name, rows, cols, scale, seed, index[0]++);
            Tensor emb = f.make("token_embedding", c.vocabSize(), c.dim(), 1.0f);
            List<LayerWeights> layers = new ArrayList<>();
            float sDim = (float) Math.sqrt(3.0 / c.dim());
            float sHidden = (float) Math.sqrt(3.0 / c.hiddenDim());
            for (int l = 0; l < c.nLayers(); l++) {
                String p = "layers." + l + ".";
                layers.add(LayerWeights.llama(
                        f.make(p + "rms_att", 1, c.dim(), Float.NaN),
                        f.make(p + "wq", c.qDim(), c.dim(), sDim),
                        f.make(p + "wk", c.kvDim(), c.dim(), sDim),
                        f.make(p + "wv", c.kvDim(), c.dim(), sDim),
                        f.make(p + "wo", c.dim(), c.qDim(), (float) Math.sqrt(3.0 / c.qDim())),
                        f.make(p + "rms_ffn", 1, c.dim(), Float.NaN),
                        f.make(p + "w1", c.hiddenDim(), c.dim(), sDim),
                        f.make(p + "w2", c.dim(), c.hiddenDim(), sHidden),
                        f.make(p + "w3", c.hiddenDim(), c.dim(), sDim)));
            }
            Tensor fin = f.make("rms_final", 1, c.dim(), Float.NaN);
            Weights w = new Weights(emb, null, layers, fin, null, emb).validate(c, "random " + shape.cliName());
            return new Model(Path.of("random-" + shape.cliName()), "random FP32 (seed " + seed + ")", c, w, null,
                    arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    @FunctionalInterface
    private interface Filler {
        /** scale NaN = a norm weight (all ones). */
        Tensor make(String name, int rows, int cols, float scale);
    }

    private static Tensor tensor(Arena arena, String name, int rows, int cols, float scale, long seed, int index) {
        long n = (long) rows * cols;
        MemorySegment s = arena.allocate(4 * n, 64);
        long salt = seed * 0x9E3779B97F4A7C15L + (long) index * 0xD1B54A32D192ED03L;
        LongStream.range(0, (n + CHUNK - 1) / CHUNK).parallel().forEach(chunk -> {
            long end = Math.min(n, (chunk + 1) * CHUNK);
            for (long i = chunk * CHUNK; i < end; i++) {
                float v = Float.isNaN(scale) ? 1.0f : uniform(mix(salt + i)) * scale;
                s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
            }
        });
        return Tensor.of(name, DType.F32, rows, cols, s);
    }

    /** SplitMix64's output function: a well-mixed 64-bit hash of a counter. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The top 24 bits as a float in [-1, 1). */
    static float uniform(long h) {
        return (h >>> 40) * 0x1p-23f - 1.0f;
    }
}
