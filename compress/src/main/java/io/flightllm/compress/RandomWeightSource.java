package io.flightllm.compress;

import io.flightllm.model.ModelConfig;
import java.util.SplittableRandom;

/**
 * Seeded random weights of any LLaMA or OPT shape, generated on the fly tensor by tensor (for size measurements of
 * models too large to keep, e.g. a LLaMA2-7B shape). Matrices are uniform in [-1/sqrt(in), 1/sqrt(in)); norms are 1;
 * OPT's biases (linears and LayerNorms) are uniform in [-0.1, 0.1) and its position table in [-1, 1); with
 * project_in/out the token table and the classifier are embed_dim wide (no final norm where the config has none). The same
 * (seed, tensor) always gives the same values.
 */
public final class RandomWeightSource implements WeightSource {
    private final ModelConfig config;
    private final long seed;

    public RandomWeightSource(ModelConfig config, long seed) {
        this.config = config;
        this.seed = seed;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public float[] tokenEmbedding() {
        return uniform(-1, config.vocabSize(), config.embedDim(), 1.0f);
    }

    @Override
    public float[] attnNorm(int layer) {
        return ones(config.dim());
    }

    @Override
    public float[] ffnNorm(int layer) {
        return ones(config.dim());
    }

    @Override
    public float[] finalNorm() {
        return config.finalNorm() ? ones(config.dim()) : null;
    }

    @Override
    public float[] matrix(int layer, LinearKind kind) {
        ModelConfig c = config;
        int[] shape = switch (kind) {
            case Q -> new int[] {c.qDim(), c.dim()};
            case K, V -> new int[] {c.kvDim(), c.dim()};
            case O -> new int[] {c.dim(), c.qDim()};
            case W1, W3 -> new int[] {c.hiddenDim(), c.dim()};
            case W2 -> new int[] {c.dim(), c.hiddenDim()};
            case CLASSIFIER -> new int[] {c.vocabSize(), c.embedDim()};
        };
        long tensorId = (long) layer * 16 + kind.ordinal();
        return uniform(tensorId, shape[0], shape[1], (float) (1.0 / Math.sqrt(shape[1])));
    }

    @Override
    public float[] attnNormBias(int layer) {
        return ModelSupport.isOpt(config) ? uniform((long) layer * 16 + 14, 1, config.dim(), 0.1f) : null;
    }

    @Override
    public float[] ffnNormBias(int layer) {
        return ModelSupport.isOpt(config) ? uniform((long) layer * 16 + 15, 1, config.dim(), 0.1f) : null;
    }

    @Override
    public float[] finalNormBias() {
        return ModelSupport.isOpt(config) && config.finalNorm() ? uniform(-3, 1, config.dim(), 0.1f) : null;
    }

    @Override
    public float[] bias(int layer, LinearKind kind) {
        if (!ModelSupport.hasBias(config, kind)) {
            return null;
        }
        return uniform((long) layer * 16 + 8 + kind.ordinal(), 1, ModelCompressor.sourceShape(config, kind)[0], 0.1f);
    }

    @Override
    public float[] positionEmbedding() {
        return config.positions() == ModelConfig.PositionKind.LEARNED
                ? uniform(-2, config.seqLen(), config.dim(), 1.0f) : null;
    }

    @Override
    public float[] projectIn() {
        return config.projects() ? uniform(-4, config.dim(), config.embedDim(),
                (float) (1.0 / Math.sqrt(config.embedDim()))) : null;
    }

    @Override
    public float[] projectOut() {
        return config.projects() ? uniform(-5, config.embedDim(), config.dim(), (float) (1.0 / Math.sqrt(config.dim())))
                : null;
    }

    private float[] uniform(long tensorId, int rows, int cols, float bound) {
        float[] w = new float[Math.multiplyExact(rows, cols)];
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + tensorId);
        for (int i = 0; i < w.length; i++) {
            w[i] = (r.nextInt() * 0x1.0p-31f) * bound;
        }
        return w;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1.0f);
        return a;
    }

    @Override
    public String describe() {
        return "random weights (seed " + seed + ")";
    }
}
