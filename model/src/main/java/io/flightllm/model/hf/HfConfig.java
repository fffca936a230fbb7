package io.flightllm.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code config.json} of a Hugging Face LLaMA checkpoint ({@code LlamaForCausalLM}, model_type "llama") or OPT
 * checkpoint ({@code OPTForCausalLM}, model_type "opt"; see {@link #readOpt}), turned into a {@link ModelConfig}. RoPE theta is read from the top level (older transformers) or from
 * {@code rope_parameters} (newer); any RoPE scaling other than "default" is refused, since the forward pass implements
 * plain RoPE only.
 */
public final class HfConfig {
    /** config.json files are a few KiB; anything near this is not a config. */
    static final long MAX_BYTES = 16L << 20;
    static final String ARCHITECTURE = "LlamaForCausalLM";
    static final String OPT_ARCHITECTURE = "OPTForCausalLM";

    private HfConfig() {
    }

    public static ModelConfig read(Path file) {
        JsonNode root = Json.object(file, "top level", Json.read(file, MAX_BYTES));
        if (isOpt(file, root)) {
            return readOpt(file, root);
        }
        checkArchitecture(file, root);
        String act = Json.optionalString(file, root, "hidden_act", "silu");
        if (!act.equals("silu")) {
            throw ModelFormatException.field(file, "hidden_act", '"' + act + '"', "\"silu\" (LLaMA's SwiGLU)");
        }
        for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
            if (Json.optionalBoolean(file, root, bias, false)) {
                throw ModelFormatException.field(file, bias, true, "false (LLaMA layers without biases)");
            }
        }
        int dim = Json.requiredInt(file, root, "hidden_size");
        int hidden = Json.requiredInt(file, root, "intermediate_size");
        int layers = Json.requiredInt(file, root, "num_hidden_layers");
        int heads = Json.requiredInt(file, root, "num_attention_heads");
        int kvHeads = Json.optionalInt(file, root, "num_key_value_heads", heads);
        int vocab = Json.requiredInt(file, root, "vocab_size");
        int seqLen = Json.requiredInt(file, root, "max_position_embeddings");
        double eps = Json.requiredNumber(file, root, "rms_norm_eps");
        double theta = ropeTheta(file, root);
        if (heads <= 0) {
            throw ModelFormatException.field(file, "num_attention_heads", heads, "a positive integer");
        }
        int headDim;
        if (Json.absent(root, "head_dim")) {
            if (dim % heads != 0) {
                throw ModelFormatException.field(file, "hidden_size", dim,
                        "a multiple of num_attention_heads = " + heads + " (or an explicit head_dim)");
            }
            headDim = dim / heads;
        } else {
            headDim = Json.requiredInt(file, root, "head_dim");
        }
        boolean tied = Json.optionalBoolean(file, root, "tie_word_embeddings", false);
        int bos = Json.optionalInt(file, root, "bos_token_id", 1);
        List<Integer> eos = eosIds(file, root);
        ModelConfig c = new ModelConfig(ModelConfig.Family.LLAMA, dim, hidden, layers, heads, kvHeads, vocab, seqLen,
                headDim, (float) eps, (float) theta, ModelConfig.NormKind.RMS_NORM, ModelConfig.MlpKind.SWIGLU,
                ModelConfig.PositionKind.ROPE, false, false, tied, bos, eos);
        c.validate(file);
        for (int id : eos) {
            if (id < 0 || id >= vocab) {
                throw ModelFormatException.field(file, "eos_token_id", id, "in [0, vocab_size = " + vocab + ")");
            }
        }
        return c;
    }

    /** model_type "opt", or no model_type and architectures holding OPTForCausalLM. */
    private static boolean isOpt(Path file, JsonNode root) {
        String type = Json.optionalString(file, root, "model_type", null);
        if (type != null) {
            return type.equals("opt");
        }
        JsonNode arch = root.get("architectures");
        if (arch != null && arch.isArray()) {
            for (JsonNode a : arch) {
                if (a.isTextual() && a.textValue().equals(OPT_ARCHITECTURE)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * An OPT config with transformers' {@code OPTConfig} defaults for absent fields: hidden_size 768, ffn_dim 3072,
     * 12 layers and heads, vocab 50272, 2048 positions, do_layer_norm_before true, _remove_final_layer_norm false,
     * word_embed_proj_dim = hidden_size, enable_bias true, layer_norm_elementwise_affine true, activation "relu",
     * bos/eos 2, tie_word_embeddings true (PretrainedConfig's default). LayerNorm eps is torch's default 1e-5 (OPT
     * has no config field for it). Activations other than ReLU and norms without weights are refused.
     */
    static ModelConfig readOpt(Path file, JsonNode root) {
        String act = Json.optionalString(file, root, "activation_function", "relu");
        if (!act.equals("relu")) {
            throw ModelFormatException.field(file, "activation_function", '"' + act + '"', "\"relu\" (OPT's MLP)");
        }
        if (!Json.optionalBoolean(file, root, "layer_norm_elementwise_affine", true)) {
            throw ModelFormatException.field(file, "layer_norm_elementwise_affine", false,
                    "true (LayerNorm with weight and bias, as every released OPT)");
        }
        int dim = Json.optionalInt(file, root, "hidden_size", 768);
        int hidden = Json.optionalInt(file, root, "ffn_dim", 3072);
        int layers = Json.optionalInt(file, root, "num_hidden_layers", 12);
        int heads = Json.optionalInt(file, root, "num_attention_heads", 12);
        int vocab = Json.optionalInt(file, root, "vocab_size", 50272);
        int seqLen = Json.optionalInt(file, root, "max_position_embeddings", 2048);
        int embedDim = Json.absent(root, "word_embed_proj_dim") ? dim
                : Json.requiredInt(file, root, "word_embed_proj_dim");
        boolean before = Json.optionalBoolean(file, root, "do_layer_norm_before", true);
        boolean removeFinal = Json.optionalBoolean(file, root, "_remove_final_layer_norm", false);
        boolean bias = Json.optionalBoolean(file, root, "enable_bias", true);
        boolean tied = Json.optionalBoolean(file, root, "tie_word_embeddings", true);
        if (heads <= 0 || dim % heads != 0) {
            throw ModelFormatException.field(file, "hidden_size", dim,
                    "a multiple of num_attention_heads = " + heads + " (OPT's head_dim is hidden_size / heads)");
        }
        if (embedDim <= 0 || embedDim > ModelConfig.MAX_DIM) {
            throw ModelFormatException.field(file, "word_embed_proj_dim", embedDim, "in [1, " + ModelConfig.MAX_DIM
                    + "]");
        }
        if (seqLen > ModelConfig.MAX_DIM - 2) {
            throw ModelFormatException.field(file, "max_position_embeddings", seqLen, "at most "
                    + (ModelConfig.MAX_DIM - 2));
        }
        int bos = Json.optionalInt(file, root, "bos_token_id", 2);
        JsonNode eosNode = root.get("eos_token_id");
        List<Integer> eos = eosNode == null ? List.of(2) : eosIds(file, root);
        ModelConfig c = new ModelConfig(ModelConfig.Family.OPT, dim, hidden, layers, heads, heads, vocab, seqLen,
                dim / heads, 1e-5f, 0f, ModelConfig.NormKind.LAYER_NORM, ModelConfig.MlpKind.RELU,
                ModelConfig.PositionKind.LEARNED, bias, bias, tied, bos, eos, embedDim, before,
                before && !removeFinal);
        c.validate(file);
        for (int id : eos) {
            if (id < 0 || id >= vocab) {
                throw ModelFormatException.field(file, "eos_token_id", id, "in [0, vocab_size = " + vocab + ")");
            }
        }
        return c;
    }

    private static void checkArchitecture(Path file, JsonNode root) {
        String type = Json.optionalString(file, root, "model_type", null);
        if (type != null && !type.equals("llama")) {
            throw ModelFormatException.field(file, "model_type", '"' + type + '"', "\"llama\" or \"opt\"");
        }
        JsonNode arch = root.get("architectures");
        boolean llamaArch = false;
        if (arch != null && !arch.isNull()) {
            if (!arch.isArray()) {
                throw ModelFormatException.field(file, "architectures", Json.describe(arch), "a list of names");
            }
            for (JsonNode a : arch) {
                llamaArch |= a.isTextual() && a.textValue().equals(ARCHITECTURE);
            }
            if (!llamaArch) {
                throw ModelFormatException.field(file, "architectures", Json.describe(arch),
                        "a list holding \"" + ARCHITECTURE + "\"");
            }
        }
        if (type == null && !llamaArch) {
            throw ModelFormatException.field(file, "model_type", "missing",
                    "\"llama\" (or architectures holding \"" + ARCHITECTURE + "\")");
        }
    }

    /**
     * rope_theta from {@code rope_parameters} (newer configs) or the top level (older ones), default 10000; refuses any
     * scaling type but "default" in rope_scaling or rope_parameters.
     */
    private static double ropeTheta(Path file, JsonNode root) {
        if (!Json.absent(root, "rope_scaling")) {
            checkDefaultRope(file, "rope_scaling", Json.object(file, "rope_scaling", root.get("rope_scaling")));
        }
        Double top = Json.absent(root, "rope_theta") ? null : Json.requiredNumber(file, root, "rope_theta");
        Double nested = null;
        if (!Json.absent(root, "rope_parameters")) {
            JsonNode rp = Json.object(file, "rope_parameters", root.get("rope_parameters"));
            checkDefaultRope(file, "rope_parameters", rp);
            if (!Json.absent(rp, "rope_theta")) {
                nested = Json.requiredNumber(file + " rope_parameters", rp, "rope_theta");
            }
        }
        if (top != null && nested != null && top.doubleValue() != nested.doubleValue()) {
            throw ModelFormatException.field(file, "rope_parameters.rope_theta", nested,
                    "the same value as the top-level rope_theta = " + top);
        }
        return nested != null ? nested : top != null ? top : 10000.0;
    }

    private static void checkDefaultRope(Path file, String field, JsonNode node) {
        String kind = Json.optionalString(file + " " + field, node, "rope_type",
                Json.optionalString(file + " " + field, node, "type", "default"));
        if (!kind.equals("default")) {
            throw ModelFormatException.field(file, field + ".rope_type", '"' + kind + '"',
                    "\"default\" or no " + field + " (RoPE scaling such as linear, dynamic, yarn or llama3 is not "
                            + "supported)");
        }
    }

    private static List<Integer> eosIds(Path file, JsonNode root) {
        JsonNode n = root.get("eos_token_id");
        if (n == null) {
            return List.of(2); // transformers' LlamaConfig default
        }
        if (n.isNull()) {
            return List.of();
        }
        if (n.isArray()) {
            if (n.size() > 1024) {
                throw ModelFormatException.field(file, "eos_token_id", n.size() + " ids", "at most 1024 ids");
            }
            List<Integer> out = new ArrayList<>();
            for (JsonNode e : n) {
                out.add(Json.asInt(file, "eos_token_id", e));
            }
            return out;
        }
        return List.of(Json.asInt(file, "eos_token_id", n));
    }
}
