package io.flightllm.model;

import java.util.ArrayList;
import java.util.List;

/**
 * All tensors of a model. {@code classifier} is the token embedding itself when the model shares it.
 * {@code positionEmbedding} (learned positions, [seq_len, dim]: row p is position p, any offset of the file already
 * applied by the loader), {@code finalNormBias}, {@code projectIn} ([dim, embed_dim]) and {@code projectOut}
 * ([embed_dim, dim]) are null for LLaMA; {@code finalNorm} is null when the model has none (post-norm OPT).
 */
public record Weights(Tensor tokenEmbedding, Tensor positionEmbedding, List<LayerWeights> layers, Tensor finalNorm,
                      Tensor finalNormBias, Tensor classifier, Tensor projectIn, Tensor projectOut) {

    public Weights {
        layers = List.copyOf(layers);
    }

    /** Weights without input/output projections (every LLaMA). */
    public Weights(Tensor tokenEmbedding, Tensor positionEmbedding, List<LayerWeights> layers, Tensor finalNorm,
                   Tensor finalNormBias, Tensor classifier) {
        this(tokenEmbedding, positionEmbedding, layers, finalNorm, finalNormBias, classifier, null, null);
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
        add(out, projectIn);
        add(out, projectOut);
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
        expect(source, tokenEmbedding, c.vocabSize(), c.embedDim());
        if (layers.size() != c.nLayers()) {
            throw ModelFormatException.field(source, "layers", layers.size(), Integer.toString(c.nLayers()));
        }
        boolean opt = c.family() == ModelConfig.Family.OPT;
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
            if (c.norm() == ModelConfig.NormKind.LAYER_NORM) {
                expect(source, l.attnNormBias(), 1, c.dim());
                expect(source, l.ffnNormBias(), 1, c.dim());
            }
            if (c.attentionBias()) {
                expect(source, l.bq(), 1, c.qDim());
                expect(source, l.bk(), 1, c.kvDim());
                expect(source, l.bv(), 1, c.kvDim());
                expect(source, l.bo(), 1, c.dim());
            }
            if (c.mlpBias()) {
                expect(source, l.b1(), 1, c.hiddenDim());
                expect(source, l.b2(), 1, c.dim());
            }
        }
        if (c.finalNorm()) {
            expect(source, finalNorm, 1, c.dim());
            if (c.norm() == ModelConfig.NormKind.LAYER_NORM) {
                expect(source, finalNormBias, 1, c.dim());
            }
        } else if (finalNorm != null) {
            throw new ModelFormatException(source + ": the config has no final norm but the weights hold "
                    + finalNorm.name());
        }
        if (c.positions() == ModelConfig.PositionKind.LEARNED) {
            expect(source, positionEmbedding, c.seqLen(), c.dim());
        }
        if (c.projects()) {
            expect(source, projectIn, c.dim(), c.embedDim());
            expect(source, projectOut, c.embedDim(), c.dim());
        } else if (projectIn != null || projectOut != null) {
            throw new ModelFormatException(source + ": project_in/project_out given but embed_dim = dim = " + c.dim());
        }
        expect(source, classifier, c.vocabSize(), c.embedDim());
        if (opt && c.sharedClassifier() && classifier != tokenEmbedding) {
            throw new ModelFormatException(source + ": the config ties the classifier to the embedding but a "
                    + "separate classifier was given");
        }
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
