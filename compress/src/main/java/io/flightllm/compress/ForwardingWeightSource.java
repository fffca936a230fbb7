package io.flightllm.compress;

import io.flightllm.model.ModelConfig;

/** A {@link WeightSource} that hands out another source's tensors; subclasses override the ones they change. */
public class ForwardingWeightSource implements WeightSource {
    private final WeightSource inner;

    public ForwardingWeightSource(WeightSource inner) {
        this.inner = inner;
    }

    @Override
    public ModelConfig config() {
        return inner.config();
    }

    @Override
    public float[] tokenEmbedding() {
        return inner.tokenEmbedding();
    }

    @Override
    public float[] attnNorm(int layer) {
        return inner.attnNorm(layer);
    }

    @Override
    public float[] ffnNorm(int layer) {
        return inner.ffnNorm(layer);
    }

    @Override
    public float[] finalNorm() {
        return inner.finalNorm();
    }

    @Override
    public float[] matrix(int layer, LinearKind kind) {
        return inner.matrix(layer, kind);
    }

    @Override
    public float[] attnNormBias(int layer) {
        return inner.attnNormBias(layer);
    }

    @Override
    public float[] ffnNormBias(int layer) {
        return inner.ffnNormBias(layer);
    }

    @Override
    public float[] finalNormBias() {
        return inner.finalNormBias();
    }

    @Override
    public float[] bias(int layer, LinearKind kind) {
        return inner.bias(layer, kind);
    }

    @Override
    public float[] positionEmbedding() {
        return inner.positionEmbedding();
    }

    @Override
    public float[] projectIn() {
        return inner.projectIn();
    }

    @Override
    public float[] projectOut() {
        return inner.projectOut();
    }

    @Override
    public String describe() {
        return inner.describe();
    }
}
