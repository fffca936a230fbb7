package io.flightllm.twin;

import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.ModelSupport;
import io.flightllm.model.ModelConfig;

/**
 * The dimensions both twins work with, checked once against a {@link CompressedModel}: real dims from the config and
 * the padded head layout (q, k, v rows and wo columns per head padded to {@link #hsp}).
 *
 * @param hs  the real head size (RoPE pairs and 1/sqrt(hs) use it)
 * @param hsp the padded head size (a multiple of 16)
 * @param ctx positions in the KV cache and the RoPE table
 * @param opt OPT: LayerNorm with bias, learned positions (no RoPE), biases on the linears, ReLU fc1/fc2
 *            (w1/w2, no w3); otherwise LLaMA
 * @param preNorm   pre-norm layers, x + f(norm(x)); false: post-norm, norm(x + f(x)) (OPT's opt-350m)
 * @param finalNorm a norm before the classifier (absent in post-norm OPT)
 */
record TwinShape(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int hs, int hsp, int ctx,
                 float eps, float theta, boolean opt, boolean preNorm, boolean finalNorm) {

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
        ModelSupport.Refusal refusal = ModelSupport.check(c);
        if (refusal != null) {
            throw new IllegalArgumentException("the CPU twin runs " + ModelSupport.SUPPORTED + ": "
                    + refusal.message());
        }
        if (contextLength <= 0) {
            throw new IllegalArgumentException("context length " + contextLength + " must be positive");
        }
        TwinShape s = new TwinShape(c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.vocabSize(),
                c.headSize(), m.paddedHeadSize(), Math.min(contextLength, c.seqLen()), c.normEps(), c.ropeTheta(),
                ModelSupport.isOpt(c), c.normBefore(), c.finalNorm());
        if (m.layers().size() != s.layers) {
            throw new IllegalArgumentException("compressed model has " + m.layers().size() + " layers; config says "
                    + s.layers);
        }
        if (m.tokenEmbedding().length != (long) s.vocab * s.dim) {
            throw new IllegalArgumentException("token embedding holds " + m.tokenEmbedding().length
                    + " values; expected vocab x dim = " + (long) s.vocab * s.dim);
        }
        for (CompressedLayer l : m.layers()) {
            expect(c, l.wq(), LinearKind.Q, s.qRows(), s.dim);
            expect(c, l.wk(), LinearKind.K, s.kvRows(), s.dim);
            expect(c, l.wv(), LinearKind.V, s.kvRows(), s.dim);
            expect(c, l.wo(), LinearKind.O, s.dim, s.qRows());
            expect(c, l.w1(), LinearKind.W1, s.hidden, s.dim);
            expect(c, l.w2(), LinearKind.W2, s.dim, s.hidden);
            if (s.opt) {
                if (l.w3() != null) {
                    throw new IllegalArgumentException(l.w3().name() + ": present; an OPT layer has no w3");
                }
                vector(l.attnNormBias(), s.dim, "attention norm bias");
                vector(l.ffnNormBias(), s.dim, "ffn norm bias");
            } else {
                expect(c, l.w3(), LinearKind.W3, s.hidden, s.dim);
            }
            vector(l.attnNorm(), s.dim, "attention norm");
            vector(l.ffnNorm(), s.dim, "ffn norm");
        }
        if (s.finalNorm) {
            vector(m.finalNorm(), s.dim, "final norm");
        } else if (m.finalNorm() != null || m.finalNormBias() != null) {
            throw new IllegalArgumentException("final norm: present; expected none (config final_norm is false)");
        }
        if (s.opt && s.finalNorm) {
            vector(m.finalNormBias(), s.dim, "final norm bias");
        }
        if (s.opt) {
            if (m.positionEmbedding() == null || m.positionEmbedding().length != (long) c.seqLen() * s.dim) {
                throw new IllegalArgumentException("position table: " + (m.positionEmbedding() == null ? "missing"
                        : m.positionEmbedding().length + " values") + "; expected seq_len x dim = "
                        + (long) c.seqLen() * s.dim);
            }
        }
        expect(c, m.classifier(), LinearKind.CLASSIFIER, s.vocab, s.dim);
        return s;
    }

    private static void expect(ModelConfig c, CompressedLinear l, LinearKind kind, int rows, int cols) {
        if (l == null) {
            throw new IllegalArgumentException("a linear layer (" + kind.id() + ") of shape [" + rows + ", " + cols
                    + "] is missing");
        }
        if ((l.bias() != null) != ModelSupport.hasBias(c, kind)) {
            throw new IllegalArgumentException(l.name() + ": bias " + (l.bias() == null ? "missing" : "present")
                    + "; expected " + (ModelSupport.hasBias(c, kind) ? "one" : "none") + " (config attention_bias "
                    + c.attentionBias() + ", mlp_bias " + c.mlpBias() + ")");
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
