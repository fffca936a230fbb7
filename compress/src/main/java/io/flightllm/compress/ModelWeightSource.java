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
        return floats(model.weights().finalNorm());
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
    public float[] attnNormBias(int layer) {
        return floats(model.weights().layers().get(layer).attnNormBias());
    }

    @Override
    public float[] ffnNormBias(int layer) {
        return floats(model.weights().layers().get(layer).ffnNormBias());
    }

    @Override
    public float[] finalNormBias() {
        return floats(model.weights().finalNormBias());
    }

    @Override
    public float[] bias(int layer, LinearKind kind) {
        if (kind == LinearKind.CLASSIFIER) {
            return null;
        }
        LayerWeights l = model.weights().layers().get(layer);
        return floats(switch (kind) {
            case Q -> l.bq();
            case K -> l.bk();
            case V -> l.bv();
            case O -> l.bo();
            case W1 -> l.b1();
            case W2 -> l.b2();
            case W3, CLASSIFIER -> null;
        });
    }

    @Override
    public float[] positionEmbedding() {
        return floats(model.weights().positionEmbedding());
    }

    @Override
    public float[] projectIn() {
        return floats(model.weights().projectIn());
    }

    @Override
    public float[] projectOut() {
        return floats(model.weights().projectOut());
    }

    private static float[] floats(Tensor t) {
        return t == null ? null : t.toFloatArray();
    }

    @Override
    public String describe() {
        return model.source().getFileName() + " (" + model.format() + ")";
    }
}
