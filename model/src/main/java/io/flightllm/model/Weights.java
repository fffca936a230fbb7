package io.flightllm.model;

import java.util.ArrayList;
import java.util.List;

/**
 * All tensors of a model. {@code classifier} is the token embedding itself when the model shares it.
 * {@code positionEmbedding} and {@code finalNormBias} are null for LLaMA.
 */
public record Weights(Tensor tokenEmbedding, Tensor positionEmbedding, List<LayerWeights> layers, Tensor finalNorm,
                      Tensor finalNormBias, Tensor classifier) {

    public Weights {
        layers = List.copyOf(layers);
    }

    /** Every distinct tensor, in file-independent order (embedding, layers, final norm, classifier if separate). */
    public List<Tensor> all() {
        List<Tensor> out = new ArrayList<>();
        add(out, tokenEmbedding);
        add(out, positionEmbedding);
        for (LayerWeights l : layers) {
            for (Tensor t : new Tensor[] {l.attnNorm(), l.attnNormBias(), l.wq(), l.wk(), l.wv(), l.wo(), l.bq(),
                    l.bk(), l.bv(), l.bo(), l.ffnNorm(), l.ffnNormBias(), l.w1(), l.w2(), l.w3(), l.b1(), l.b2()}) {
                add(out, t);
            }
        }
        add(out, finalNorm);
        add(out, finalNormBias);
        if (classifier != tokenEmbedding) {
            add(out, classifier);
        }
        return out;
    }

    private static void add(List<Tensor> out, Tensor t) {
        if (t != null) {
            out.add(t);
        }
    }

    /**
     * Checks that every tensor has the shape {@code config} implies; {@code source} names the file in messages.
     */
    public Weights validate(ModelConfig c, Object source) {
        expect(source, tokenEmbedding, c.vocabSize(), c.dim());
        if (layers.size() != c.nLayers()) {
            throw ModelFormatException.field(source, "layers", layers.size(), Integer.toString(c.nLayers()));
        }
        for (LayerWeights l : layers) {
            expect(source, l.attnNorm(), 1, c.dim());
            expect(source, l.wq(), c.qDim(), c.dim());
            expect(source, l.wk(), c.kvDim(), c.dim());
            expect(source, l.wv(), c.kvDim(), c.dim());
            expect(source, l.wo(), c.dim(), c.qDim());
            expect(source, l.ffnNorm(), 1, c.dim());
            expect(source, l.w1(), c.hiddenDim(), c.dim());
            expect(source, l.w2(), c.dim(), c.hiddenDim());
            if (c.mlp() == ModelConfig.MlpKind.SWIGLU) {
                expect(source, l.w3(), c.hiddenDim(), c.dim());
            }
        }
        expect(source, finalNorm, 1, c.dim());
        expect(source, classifier, c.vocabSize(), c.dim());
        return this;
    }

    private static void expect(Object source, Tensor t, long rows, int cols) {
        if (t == null) {
            throw new ModelFormatException(source + ": a tensor of shape [" + rows + ", " + cols + "] is missing");
        }
        if (t.rows() != rows || t.cols() != cols) {
            throw ModelFormatException.field(source, t.name() + " shape", "[" + t.rows() + ", " + t.cols() + "]",
                    "[" + rows + ", " + cols + "]");
        }
    }
}
