package io.flightllm.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Named model shapes for work that needs no weights (compile --shapes-only, simulate, sweep, size tables).
 * The configs are the published ones; the context is the paper's evaluation maximum of 2048 where that is lower than
 * the model's own.
 */
public final class BuiltinModels {
    private static final Map<String, ModelConfig> SHAPES = new LinkedHashMap<>();

    static {
        // LLaMA2-7B: dim 4096, FFN 11008, 32 layers, 32 heads (MHA), vocab 32000, separate classifier.
        SHAPES.put("llama2-7b", ModelConfig.llama(4096, 11008, 32, 32, 32, 32000, 4096, false).validate("llama2-7b"));
        // the same widths with two layers: simulator benchmarks and tests at full width without 32 layers of work
        SHAPES.put("llama2-7b-2l", ModelConfig.llama(4096, 11008, 2, 32, 32, 32000, 4096, false)
                .validate("llama2-7b-2l"));
        // OPT-6.7B (facebook/opt-6.7b config.json): hidden 4096, ffn_dim 16384, 32 layers, 32 heads, vocab 50272,
        // 2048 positions, pre-norm LayerNorm (eps 1e-5), ReLU, biases, learned positions, classifier tied to the
        // embedding, </s> (2) starts and stops
        SHAPES.put("opt-6.7b", opt(4096, 16384, 32, 32, 50272, 2048).validate("opt-6.7b"));
        // its two-layer slice, as llama2-7b-2l: per-layer and per-step costs apart (docs/opt.md, "Timing")
        SHAPES.put("opt-6.7b-2l", opt(4096, 16384, 2, 32, 50272, 2048).validate("opt-6.7b-2l"));
    }

    /** An OPT shape as HfConfig.readOpt builds it for a pre-norm checkpoint without projections. */
    private static ModelConfig opt(int dim, int ffn, int layers, int heads, int vocab, int positions) {
        return new ModelConfig(ModelConfig.Family.OPT, dim, ffn, layers, heads, heads, vocab, positions, dim / heads,
                1e-5f, 0f, ModelConfig.NormKind.LAYER_NORM, ModelConfig.MlpKind.RELU, ModelConfig.PositionKind.LEARNED,
                true, true, true, 2, List.of(2), dim, true, true);
    }

    private BuiltinModels() {
    }

    public static List<String> names() {
        return List.copyOf(SHAPES.keySet());
    }

    public static boolean has(String name) {
        return SHAPES.containsKey(name.toLowerCase(Locale.ROOT));
    }

    public static ModelConfig get(String name) {
        ModelConfig c = SHAPES.get(name.toLowerCase(Locale.ROOT));
        if (c == null) {
            throw new IllegalArgumentException("unknown built-in model '" + name + "'; expected one of " + names()
                    + " or a model file");
        }
        return c;
    }
}
