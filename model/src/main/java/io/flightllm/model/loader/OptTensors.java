package io.flightllm.model.loader;

import io.flightllm.model.LayerWeights;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.Weights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The tensors of a Hugging Face OPT checkpoint ({@code OPTForCausalLM}) under their HF names: {@code
 * model.decoder.*} (or {@code decoder.*}: some checkpoints were saved from {@code OPTModel} without the {@code model.}
 * prefix), {@code lm_head.weight} when the head is not tied. The learned position table has max_position_embeddings + 2
 * rows (HF's {@code OPTLearnedPositionalEmbedding} offset); the weights expose rows 2.. as the table, so position p
 * reads row p + 2 of the file.
 */
final class OptTensors {
    /** HF's OPTLearnedPositionalEmbedding.offset. */
    static final int POSITION_OFFSET = 2;

    private OptTensors() {
    }

    static SafetensorsLoader.Loaded load(ModelConfig c, SafetensorsLoader.Loader l, Path dir) {
        String d = l.has("model.decoder.embed_tokens.weight") || !l.has("decoder.embed_tokens.weight")
                ? "model.decoder." : "decoder.";
        int dim = c.dim();
        String hs = "hidden_size";
        Tensor emb = l.get(d + "embed_tokens.weight", c.vocabSize(), c.embedDim(), "vocab_size, word_embed_proj_dim");
        Tensor pos = l.get(d + "embed_positions.weight", c.seqLen() + POSITION_OFFSET, dim,
                "max_position_embeddings + 2, hidden_size");
        pos = pos.rowSlice(pos.name() + "[" + POSITION_OFFSET + ":]", POSITION_OFFSET, c.seqLen());
        List<LayerWeights> layers = new ArrayList<>(c.nLayers());
        for (int i = 0; i < c.nLayers(); i++) {
            String p = d + "layers." + i + ".";
            String a = p + "self_attn.";
            boolean b = c.attentionBias();
            layers.add(new LayerWeights(
                    l.get(p + "self_attn_layer_norm.weight", 1, dim, hs),
                    l.get(p + "self_attn_layer_norm.bias", 1, dim, hs),
                    l.get(a + "q_proj.weight", dim, dim, "hidden_size, hidden_size"),
                    l.get(a + "k_proj.weight", dim, dim, "hidden_size, hidden_size"),
                    l.get(a + "v_proj.weight", dim, dim, "hidden_size, hidden_size"),
                    l.get(a + "out_proj.weight", dim, dim, "hidden_size, hidden_size"),
                    b ? l.get(a + "q_proj.bias", 1, dim, hs) : null,
                    b ? l.get(a + "k_proj.bias", 1, dim, hs) : null,
                    b ? l.get(a + "v_proj.bias", 1, dim, hs) : null,
                    b ? l.get(a + "out_proj.bias", 1, dim, hs) : null,
                    l.get(p + "final_layer_norm.weight", 1, dim, hs),
                    l.get(p + "final_layer_norm.bias", 1, dim, hs),
                    l.get(p + "fc1.weight", c.hiddenDim(), dim, "ffn_dim, hidden_size"),
                    l.get(p + "fc2.weight", dim, c.hiddenDim(), "hidden_size, ffn_dim"),
                    null,
                    b ? l.get(p + "fc1.bias", 1, c.hiddenDim(), "ffn_dim") : null,
                    b ? l.get(p + "fc2.bias", 1, dim, hs) : null));
        }
        Tensor norm = null;
        Tensor normBias = null;
        if (c.finalNorm()) {
            norm = l.get(d + "final_layer_norm.weight", 1, dim, hs);
            normBias = l.get(d + "final_layer_norm.bias", 1, dim, hs);
        }
        Tensor in = null;
        Tensor out = null;
        if (c.projects()) {
            in = l.get(d + "project_in.weight", dim, c.embedDim(), "hidden_size, word_embed_proj_dim");
            out = l.get(d + "project_out.weight", c.embedDim(), dim, "word_embed_proj_dim, hidden_size");
        }
        // tie_word_embeddings (the default): HF ties lm_head to embed_tokens and ignores a stored lm_head
        Tensor cls = c.sharedClassifier() ? emb
                : l.get("lm_head.weight", c.vocabSize(), c.embedDim(), "vocab_size, word_embed_proj_dim; "
                        + "tie_word_embeddings is false");
        return new SafetensorsLoader.Loaded(c,
                new Weights(emb, pos, layers, norm, normBias, cls, in, out).validate(c, dir));
    }
}
