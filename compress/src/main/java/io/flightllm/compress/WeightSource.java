package io.flightllm.compress;

import io.flightllm.model.ModelConfig;

/**
 * FP32 weights handed out one tensor at a time, so the pipeline never holds a whole model: a loaded checkpoint
 * ({@link ModelWeightSource}) or weights generated on the fly ({@link RandomWeightSource}). Matrices are [out][in]
 * row-major in the source layout (real head size, RoPE pairs interleaved, no padding).
 */
public interface WeightSource {
    ModelConfig config();

    /** [vocab][embed_dim] (= [vocab][dim] unless the model projects in and out). */
    float[] tokenEmbedding();

    float[] attnNorm(int layer);

    float[] ffnNorm(int layer);

    float[] finalNorm();

    /** The matrix of {@code kind} in {@code layer} (layer ignored for the classifier). */
    float[] matrix(int layer, LinearKind kind);

    /** The attention LayerNorm's bias [dim] (OPT), or null (RMSNorm models: the default). */
    default float[] attnNormBias(int layer) {
        return null;
    }

    /** The FFN LayerNorm's bias [dim] (OPT), or null. */
    default float[] ffnNormBias(int layer) {
        return null;
    }

    /** The final LayerNorm's bias [dim] (OPT), or null. */
    default float[] finalNormBias() {
        return null;
    }

    /** The FP32 bias [out] of linear {@code kind} in {@code layer} in the source layout (no head padding), or null. */
    default float[] bias(int layer, LinearKind kind) {
        return null;
    }

    /** The learned position table [seq_len][dim], row p = position p (OPT, HF's offset applied), or null (RoPE). */
    default float[] positionEmbedding() {
        return null;
    }

    /** OPT's project_in [dim][embed_dim] (applied after the token lookup), or null when the model has none. */
    default float[] projectIn() {
        return null;
    }

    /** OPT's project_out [embed_dim][dim] (applied before the classifier), or null when the model has none. */
    default float[] projectOut() {
        return null;
    }

    /** A short description for recipes and messages. */
    String describe();
}
