package io.flightllm.compress;

import io.flightllm.compress.algo.AttentionMask;
import io.flightllm.model.ModelConfig;
import java.util.List;

/**
 * A model in the accelerator's numerics: every linear layer (the classifier included) as a {@link CompressedLinear},
 * embeddings and norms in FP32, plus how it was made. This is what a {@code .flm} file holds and what the CPU twin,
 * the compiler and the evaluation read.
 *
 * <p>Head padding (numerics contract): heads narrower than 16 are zero-padded to {@link #paddedHeadSize()} in q, k and
 * v (rows of wq/wk/wv, laid out head by head) and in the columns of wo. Everything else keeps the model's shapes
 * (padded to multiples of 16 inside each {@link CompressedLinear}).
 *
 * @param config        the source model's config (real dims; head_size is the real head size), except that OPT's
 *                      project_in/out are folded into the token table and the classifier (embed_dim = dim)
 * @param tokenEmbedding FP32 [vocab][dim], row-major
 * @param positionEmbedding FP32 [seqLen][dim], row-major: the learned position p is row p (OPT; HF's table from its
 *                      offset 2 on), added to the token's row on the host; null for RoPE models
 * @param finalNorm     FP32 [dim], or null exactly when {@code config.finalNorm()} is false (post-norm OPT)
 * @param finalNormBias FP32 [dim] or null (always null without a final norm)
 * @param classifier    [vocab][dim] (always its own compressed tensor, also when the source shares it)
 * @param recipe        a human-readable description of the compression (method, bits, densities), for reports
 * @param attentionMask block-sparse attention of prompt (prefill) rows, or null for dense causal attention; decode
 *                      steps always attend densely
 */
public record CompressedModel(ModelConfig config, float[] tokenEmbedding, float[] positionEmbedding,
                              List<CompressedLayer> layers,
                              float[] finalNorm, float[] finalNormBias, CompressedLinear classifier, String recipe,
                              AttentionMask attentionMask) {

    public CompressedModel {
        layers = List.copyOf(layers);
    }

    /** A RoPE model (no position table) with dense causal attention (no prefill mask). */
    public CompressedModel(ModelConfig config, float[] tokenEmbedding, List<CompressedLayer> layers, float[] finalNorm,
                           float[] finalNormBias, CompressedLinear classifier, String recipe) {
        this(config, tokenEmbedding, null, layers, finalNorm, finalNormBias, classifier, recipe, null);
    }

    /** The same model whose prompt (prefill) rows attend through {@code mask} (null: dense causal attention). */
    public CompressedModel withAttentionMask(AttentionMask mask) {
        return new CompressedModel(config, tokenEmbedding, positionEmbedding, layers, finalNorm, finalNormBias, classifier,
                recipe, mask);
    }

    /** The head size in the compressed layout: the real one rounded up to a multiple of 16. */
    public int paddedHeadSize() {
        return CompressedLinear.ceil16(config.headSize());
    }

    /**
     * The host's input row of {@code token} at position {@code pos} into {@code out[0..dim)}: its embedding row, plus
     * (learned positions) the position row, one FP32 add per element in that order. The twins and the simulator's
     * host loop share this rule.
     */
    public void inputRow(int token, int pos, float[] out) {
        int dim = config.dim();
        System.arraycopy(tokenEmbedding, token * dim, out, 0, dim);
        if (positionEmbedding != null) {
            int at = pos * dim;
            for (int i = 0; i < dim; i++) {
                out[i] = out[i] + positionEmbedding[at + i];
            }
        }
    }

    /** Every linear layer, classifier last. */
    public List<CompressedLinear> linears() {
        java.util.List<CompressedLinear> out = new java.util.ArrayList<>();
        for (CompressedLayer l : layers) {
            out.addAll(l.linears());
        }
        out.add(classifier);
        return out;
    }
}
