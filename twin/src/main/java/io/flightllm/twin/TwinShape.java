package io.flightllm.twin;

import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.model.ModelConfig;

/**
 * The dimensions both twins work with, checked once against a {@link CompressedModel}: real dims from the config and
 * the padded head layout (q, k, v rows and wo columns per head padded to {@link #hsp}).
 *
 * @param hs  the real head size (RoPE pairs and 1/sqrt(hs) use it)
 * @param hsp the padded head size (a multiple of 16)
 * @param ctx positions in the KV cache and the RoPE table
 */
record TwinShape(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int hs, int hsp, int ctx,
                 float eps, float theta) {

    int qRows() {
        return heads * hsp;
    }

    int kvRows() {
        return kvHeads * hsp;
    }

    int kvMul() {
        return heads / kvHeads;
    }

    static TwinShape of(CompressedModel m, int contextLength) {
        ModelConfig c = m.config();
        if (c.family() != ModelConfig.Family.LLAMA || c.norm() != ModelConfig.NormKind.RMS_NORM
                || c.mlp() != ModelConfig.MlpKind.SWIGLU || c.positions() != ModelConfig.PositionKind.ROPE) {
            throw new IllegalArgumentException("the CPU twin runs LLaMA-family models (RMSNorm, SwiGLU, RoPE), not "
                    + c.family() + "/" + c.norm() + "/" + c.mlp() + "/" + c.positions());
        }
        if (contextLength <= 0) {
            throw new IllegalArgumentException("context length " + contextLength + " must be positive");
        }
        TwinShape s = new TwinShape(c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.vocabSize(),
                c.headSize(), m.paddedHeadSize(), Math.min(contextLength, c.seqLen()), c.normEps(), c.ropeTheta());
        if (m.layers().size() != s.layers) {
            throw new IllegalArgumentException("compressed model has " + m.layers().size() + " layers; config says "
                    + s.layers);
        }
        if (m.tokenEmbedding().length != (long) s.vocab * s.dim) {
            throw new IllegalArgumentException("token embedding holds " + m.tokenEmbedding().length
                    + " values; expected vocab x dim = " + (long) s.vocab * s.dim);
        }
        for (CompressedLayer l : m.layers()) {
            expect(l.wq(), s.qRows(), s.dim);
            expect(l.wk(), s.kvRows(), s.dim);
            expect(l.wv(), s.kvRows(), s.dim);
            expect(l.wo(), s.dim, s.qRows());
            expect(l.w1(), s.hidden, s.dim);
            expect(l.w3(), s.hidden, s.dim);
            expect(l.w2(), s.dim, s.hidden);
            vector(l.attnNorm(), s.dim, "attention norm");
            vector(l.ffnNorm(), s.dim, "ffn norm");
        }
        vector(m.finalNorm(), s.dim, "final norm");
        expect(m.classifier(), s.vocab, s.dim);
        return s;
    }

    private static void expect(CompressedLinear l, int rows, int cols) {
        if (l == null) {
            throw new IllegalArgumentException("a linear layer of shape [" + rows + ", " + cols + "] is missing");
        }
        if (l.rows() != rows || l.cols() != cols) {
            throw new IllegalArgumentException(l.name() + ": shape [" + l.rows() + ", " + l.cols() + "]; expected ["
                    + rows + ", " + cols + "] (heads padded to a multiple of 16)");
        }
    }

    private static void vector(float[] v, int n, String what) {
        if (v == null || v.length != n) {
            throw new IllegalArgumentException(what + ": " + (v == null ? "missing" : v.length + " values")
                    + "; expected " + n);
        }
    }

    void checkStep(int token, int pos) {
        if (pos < 0 || pos >= ctx) {
            throw new IllegalArgumentException("position " + pos + " outside the context [0, " + ctx + ")");
        }
        if (token < 0 || token >= vocab) {
            throw new IllegalArgumentException("token " + token + " outside the vocabulary [0, " + vocab + ")");
        }
    }
}
