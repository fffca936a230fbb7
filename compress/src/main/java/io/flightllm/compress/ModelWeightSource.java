package io.flightllm.compress;

import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;

/** The weights of a loaded checkpoint (dequantized to FP32 tensor by tensor, as asked). */
public final class ModelWeightSource implements WeightSource {
    private final Model model;

    public ModelWeightSource(Model model) {
        this.model = model;
    }

    @Override
    public ModelConfig config() {
        return model.config();
    }

    @Override
    public float[] tokenEmbedding() {
        return model.weights().tokenEmbedding().toFloatArray();
    }

    @Override
    public float[] attnNorm(int layer) {
        return model.weights().layers().get(layer).attnNorm().toFloatArray();
    }

    @Override
    public float[] ffnNorm(int layer) {
        return model.weights().layers().get(layer).ffnNorm().toFloatArray();
    }

    @Override
    public float[] finalNorm() {
        return model.weights().finalNorm().toFloatArray();
    }

    @Override
    public float[] matrix(int layer, LinearKind kind) {
        if (kind == LinearKind.CLASSIFIER) {
            return model.weights().classifier().toFloatArray();
        }
        LayerWeights l = model.weights().layers().get(layer);
        Tensor t = switch (kind) {
            case Q -> l.wq();
            case K -> l.wk();
            case V -> l.wv();
            case O -> l.wo();
            case W1 -> l.w1();
            case W2 -> l.w2();
            case W3 -> l.w3();
            case CLASSIFIER -> throw new AssertionError();
        };
        return t.toFloatArray();
    }

    @Override
    public String describe() {
        return model.source().getFileName() + " (" + model.format() + ")";
    }
}
