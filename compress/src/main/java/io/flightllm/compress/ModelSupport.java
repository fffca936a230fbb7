package io.flightllm.compress;

import io.flightllm.model.ModelConfig;
import java.util.List;

/**
 * Which model configs the compressed form (compression, {@code .flm}, the CPU twin, the compiler) holds, in one place:
 * LLaMA (RMSNorm, SwiGLU, RoPE, no biases) and OPT (LayerNorm with bias, ReLU fc1/fc2, learned positions, biases on
 * every linear but the classifier; pre- or post-norm layers, a final LayerNorm or none) without project_in/out.
 * Everything else is refused with the config field that rules it out. The compressor's input rule,
 * {@link #checkSource}, also takes OPT with project_in/out: it folds them ({@link ProjectionFold}).
 */
public final class ModelSupport {
    /** What is supported, for messages. */
    public static final String SUPPORTED = "LLaMA (RMSNorm, SwiGLU, RoPE, no biases) or OPT, pre- or post-norm "
            + "(LayerNorm, ReLU, learned positions; project_in/out are folded by compress)";

    private ModelSupport() {
    }

    /** A refusal: the config field, its value and what would be accepted. */
    public record Refusal(String field, Object value, String expected) {
        public String message() {
            return "config field " + field + " is " + value + "; expected " + expected;
        }
    }

    /** Null when {@code c} is supported, else the first field that rules it out. */
    public static Refusal check(ModelConfig c) {
        return switch (c.family()) {
            case LLAMA -> {
                if (c.norm() != ModelConfig.NormKind.RMS_NORM) {
                    yield new Refusal("norm", c.norm(), "RMS_NORM for LLAMA");
                }
                if (c.mlp() != ModelConfig.MlpKind.SWIGLU) {
                    yield new Refusal("mlp", c.mlp(), "SWIGLU for LLAMA");
                }
                if (c.positions() != ModelConfig.PositionKind.ROPE) {
                    yield new Refusal("positions", c.positions(), "ROPE for LLAMA");
                }
                if (c.attentionBias() || c.mlpBias()) {
                    yield new Refusal("attention_bias/mlp_bias", c.attentionBias() + "/" + c.mlpBias(),
                            "false/false for LLAMA (no biases)");
                }
                yield common(c);
            }
            case OPT -> {
                if (c.norm() != ModelConfig.NormKind.LAYER_NORM) {
                    yield new Refusal("norm", c.norm(), "LAYER_NORM for OPT");
                }
                if (c.mlp() != ModelConfig.MlpKind.RELU) {
                    yield new Refusal("mlp", c.mlp(), "RELU for OPT");
                }
                if (c.positions() != ModelConfig.PositionKind.LEARNED) {
                    yield new Refusal("positions", c.positions(), "LEARNED for OPT");
                }
                yield common(c);
            }
        };
    }

    private static Refusal common(ModelConfig c) {
        if (c.projects()) {
            return new Refusal("embed_dim (HF word_embed_proj_dim)", c.embedDim(), c.dim() + " (= dim: the "
                    + "compressed form holds no project_in/project_out; compress folds them into the token table and "
                    + "the classifier)");
        }
        if (c.family() == ModelConfig.Family.LLAMA && !(c.normBefore() && c.finalNorm())) {
            return new Refusal("norm_before/final_norm", c.normBefore() + "/" + c.finalNorm(), "true/true for LLAMA");
        }
        return null;
    }

    /**
     * The compressor's input rule: {@link #check} of the config the compressed model will have, i.e. an OPT model's
     * project_in/project_out are accepted because compression folds them ({@link ProjectionFold}); LLaMA has none.
     */
    public static Refusal checkSource(ModelConfig c) {
        return check(compressedConfig(c));
    }

    /**
     * The config of {@code c}'s compressed form: OPT's projections folded (embed_dim = dim; the folded classifier is no
     * longer the token table, so it is not shared), otherwise {@code c}.
     */
    public static ModelConfig compressedConfig(ModelConfig c) {
        return isOpt(c) && c.projects() ? c.withEmbedDim(c.dim()).withSharedClassifier(false) : c;
    }

    /** True for models with LayerNorm biases, per-linear biases and a learned position table (OPT). */
    public static boolean isOpt(ModelConfig c) {
        return c.family() == ModelConfig.Family.OPT;
    }

    /** The decoder-layer linears of {@code c} in their fixed order: q, k, v, o, w1, w2, and w3 where the MLP has it. */
    public static List<LinearKind> layerKinds(ModelConfig c) {
        return c.mlp() == ModelConfig.MlpKind.SWIGLU ? LinearKind.LAYER_KINDS : LinearKind.LAYER_KINDS.subList(0, 6);
    }

    /** Whether linear {@code kind} of {@code c} carries an FP32 bias (OPT's enable_bias; never the classifier). */
    public static boolean hasBias(ModelConfig c, LinearKind kind) {
        return switch (kind) {
            case Q, K, V, O -> c.attentionBias();
            case W1, W2 -> c.mlpBias();
            case W3, CLASSIFIER -> false;
        };
    }
}
