package io.flightllm.twin;

import io.flightllm.model.DType;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.Weights;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** FP32 models for twin tests: the shared stories260K and random LLaMA-shaped models built in memory. */
public final class TestModels {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TestModels() {
    }

    public static Model stories260K() {
        return ModelLoader.load(SharedData.model("stories260K.bin"));
    }

    /** A random LLaMA model (uniform weights scaled by 1/sqrt(fan-in), norms near 1), separate classifier. */
    public static Model randomLlama(int dim, int hidden, int layers, int heads, int kvHeads, int headSize, int vocab,
                                    int seqLen, long seed) {
        ModelConfig c = new ModelConfig(ModelConfig.Family.LLAMA, dim, hidden, layers, heads, kvHeads, vocab, seqLen,
                headSize, 1e-5f, 10000.0f, ModelConfig.NormKind.RMS_NORM, ModelConfig.MlpKind.SWIGLU,
                ModelConfig.PositionKind.ROPE, false, false, false, 1, List.of()).validate("random model");
        Arena arena = Arena.ofShared();
        SplittableRandom rnd = new SplittableRandom(seed);
        int q = heads * headSize;
        int kv = kvHeads * headSize;
        List<LayerWeights> ls = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            ls.add(LayerWeights.llama(norm(arena, rnd, "attn_norm", dim), matrix(arena, rnd, "wq", q, dim),
                    matrix(arena, rnd, "wk", kv, dim), matrix(arena, rnd, "wv", kv, dim),
                    matrix(arena, rnd, "wo", dim, q), norm(arena, rnd, "ffn_norm", dim),
                    matrix(arena, rnd, "w1", hidden, dim), matrix(arena, rnd, "w2", dim, hidden),
                    matrix(arena, rnd, "w3", hidden, dim)));
        }
        Tensor emb = fill(arena, rnd, "token_embedding", vocab, dim, 0.0f, 1.0f);
        Weights w = new Weights(emb, null, ls, norm(arena, rnd, "final_norm", dim), null,
                matrix(arena, rnd, "classifier", vocab, dim)).validate(c, "random model");
        return new Model(Path.of("random-llama-" + seed), "random", c, w, null, arena);
    }

    private static Tensor matrix(Arena arena, SplittableRandom rnd, String name, int rows, int cols) {
        return fill(arena, rnd, name, rows, cols, 0.0f, (float) (Math.sqrt(3.0 / cols)));
    }

    private static Tensor norm(Arena arena, SplittableRandom rnd, String name, int n) {
        return fill(arena, rnd, name, 1, n, 1.0f, 0.2f);
    }

    /** center + uniform(-half, half) per element. */
    private static Tensor fill(Arena arena, SplittableRandom rnd, String name, long rows, int cols, float center,
                               float half) {
        long n = rows * cols;
        MemorySegment seg = arena.allocate(4 * n, 4);
        for (long i = 0; i < n; i++) {
            seg.setAtIndex(F32, i, center + (float) ((rnd.nextDouble() * 2 - 1) * half));
        }
        return Tensor.of(name, DType.F32, rows, cols, seg);
    }
}
