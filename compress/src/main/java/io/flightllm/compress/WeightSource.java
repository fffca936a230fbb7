package io.flightllm.compress;

import io.flightllm.model.ModelConfig;

/**
 * FP32 weights handed out one tensor at a time, so the pipeline never holds a whole model: a loaded checkpoint
 * ({@link ModelWeightSource}) or weights generated on the fly ({@link RandomWeightSource}). Matrices are [out][in]
 * row-major in the source layout (real head size, RoPE pairs interleaved, no padding).
 */
public interface WeightSource {
    ModelConfig config();

    /** [vocab][dim]. */
    float[] tokenEmbedding();

    float[] attnNorm(int layer);

    float[] ffnNorm(int layer);

    float[] finalNorm();

    /** The matrix of {@code kind} in {@code layer} (layer ignored for the classifier). */
    float[] matrix(int layer, LinearKind kind);

    /** A short description for recipes and messages. */
    String describe();
}
