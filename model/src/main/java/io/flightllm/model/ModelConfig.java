package io.flightllm.model;

import java.util.List;

/**
 * The shape and semantics of a decoder-only transformer. One record serves every loader; the variation points are the
 * ones the LLaMA and OPT families need (norm kind, MLP kind, position encoding, biases), so a new family is a new loader,
 * not a new forward pass.
 *
 * @param headSize     per-head width (usually dim / nHeads; HF configs may set it explicitly)
 * @param normEps      epsilon of the (RMS) norm, exactly as stored (FP32)
 * @param ropeTheta    RoPE base frequency (FP32); ignored for learned positions
 * @param sharedClassifier true when the classifier is the token embedding
 * @param bosId        start token
 * @param eosIds       stop tokens from the model's metadata (empty for llama2.c checkpoints, which stop on BOS only)
 * @param embedDim     width of the token embedding and of the classifier's input (OPT's word_embed_proj_dim); equal
 *                     to {@code dim} unless the model projects in and out (OPT's project_in/project_out)
 * @param normBefore   true: pre-norm layers, x + f(norm(x)) (LLaMA, most OPT); false: post-norm, norm(x + f(x))
 *                     (OPT's do_layer_norm_before = false, opt-350m)
 * @param finalNorm    true when a norm follows the last layer (LLaMA always; OPT only with pre-norm layers and
 *                     without _remove_final_layer_norm)
 */
public record ModelConfig(
        Family family,
        int dim,
        int hiddenDim,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int vocabSize,
        int seqLen,
        int headSize,
        float normEps,
        float ropeTheta,
        NormKind norm,
        MlpKind mlp,
        PositionKind positions,
        boolean attentionBias,
        boolean mlpBias,
        boolean sharedClassifier,
        int bosId,
        List<Integer> eosIds,
        int embedDim,
        boolean normBefore,
        boolean finalNorm) {

    public enum Family { LLAMA, OPT }

    public enum NormKind { RMS_NORM, LAYER_NORM }

    public enum MlpKind { SWIGLU, RELU }

    public enum PositionKind { ROPE, LEARNED }

    /** Largest dimension we accept from a file: larger values are hostile or corrupt, not models. */
    public static final int MAX_DIM = 1 << 20;

    public ModelConfig {
        eosIds = List.copyOf(eosIds);
    }

    /** A model without input/output projections, with pre-norm layers and a final norm (every LLaMA). */
    public ModelConfig(Family family, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
                       int seqLen, int headSize, float normEps, float ropeTheta, NormKind norm, MlpKind mlp,
                       PositionKind positions, boolean attentionBias, boolean mlpBias, boolean sharedClassifier,
                       int bosId, List<Integer> eosIds) {
        this(family, dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen, headSize, normEps, ropeTheta, norm,
                mlp, positions, attentionBias, mlpBias, sharedClassifier, bosId, eosIds, dim, true, true);
    }

    /** This config with {@code sharedClassifier} replaced. */
    public ModelConfig withSharedClassifier(boolean shared) {
        return new ModelConfig(family, dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen, headSize, normEps,
                ropeTheta, norm, mlp, positions, attentionBias, mlpBias, shared, bosId, eosIds, embedDim, normBefore,
                finalNorm);
    }

    /**
     * This config with {@code embedDim} replaced: {@code withEmbedDim(dim())} is the config of a model whose
     * project_in/project_out were folded into its token table and classifier.
     */
    public ModelConfig withEmbedDim(int width) {
        return new ModelConfig(family, dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen, headSize, normEps,
                ropeTheta, norm, mlp, positions, attentionBias, mlpBias, sharedClassifier, bosId, eosIds, width,
                normBefore, finalNorm);
    }

    /** True when the token embedding is narrower or wider than the layers (OPT's project_in / project_out). */
    public boolean projects() {
        return embedDim != dim;
    }

    /** The llama2.c defaults: RMSNorm eps 1e-5, RoPE theta 10000, SwiGLU, BOS 1, no metadata stop tokens. */
    public static ModelConfig llama(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
                                    int seqLen, boolean sharedClassifier) {
        return new ModelConfig(Family.LLAMA, dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen,
                nHeads > 0 ? dim / nHeads : 0, 1e-5f, 10000.0f, NormKind.RMS_NORM, MlpKind.SWIGLU, PositionKind.ROPE,
                false, false, sharedClassifier, 1, List.of());
    }

    public int kvDim() {
        return nKvHeads * headSize;
    }

    public int qDim() {
        return nHeads * headSize;
    }

    /** Query heads per KV head (grouped-query attention). */
    public int kvMul() {
        return nHeads / nKvHeads;
    }

    /** Every stop token: BOS (as llama2.c run.c does) plus the metadata's EOS ids. */
    public boolean isStopToken(int token) {
        return token == bosId || eosIds.contains(token);
    }

    /**
     * Checks every dimension against the others and against sane limits; {@code source} names the file in messages.
     */
    public ModelConfig validate(Object source) {
        positive(source, "dim", dim);
        positive(source, "hidden_dim", hiddenDim);
        positive(source, "n_layers", nLayers);
        positive(source, "n_heads", nHeads);
        positive(source, "n_kv_heads", nKvHeads);
        positive(source, "vocab_size", vocabSize);
        positive(source, "seq_len", seqLen);
        positive(source, "head_size", headSize);
        positive(source, "embed_dim", embedDim);
        if (nLayers > 4096) {
            throw ModelFormatException.field(source, "n_layers", nLayers, "at most 4096");
        }
        if (nHeads % nKvHeads != 0) {
            throw ModelFormatException.field(source, "n_kv_heads", nKvHeads, "a divisor of n_heads = " + nHeads);
        }
        if (positions == PositionKind.ROPE && headSize % 2 != 0) {
            throw ModelFormatException.field(source, "head_size", headSize, "an even number for RoPE");
        }
        if ((long) nHeads * headSize > MAX_DIM) {
            throw ModelFormatException.field(source, "n_heads * head_size", (long) nHeads * headSize,
                    "at most " + MAX_DIM);
        }
        if (!(normEps > 0) || !Float.isFinite(normEps)) {
            throw ModelFormatException.field(source, "norm_eps", normEps, "a positive finite number");
        }
        if (positions == PositionKind.ROPE && (!(ropeTheta > 0) || !Float.isFinite(ropeTheta))) {
            throw ModelFormatException.field(source, "rope_theta", ropeTheta, "a positive finite number");
        }
        if (bosId < 0 || bosId >= vocabSize) {
            throw ModelFormatException.field(source, "bos_token_id", bosId, "in [0, " + vocabSize + ")");
        }
        return this;
    }

    private static void positive(Object source, String field, int value) {
        if (value <= 0 || value > MAX_DIM) {
            throw ModelFormatException.field(source, field, value, "in [1, " + MAX_DIM + "]");
        }
    }
}
