package io.flightllm.model.forward;

import io.flightllm.model.CMath;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Weights;

/**
 * The fp32 reference forward pass of a LLaMA-family decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU, shared
 * or separate classifier) with a KV cache, one token at a time.
 *
 * <p>Every operation is written in llama2.c run.c's order, with C's float semantics (see {@link CMath}); only the
 * matrix-vector products are delegated to a {@link MatVec}. {@link #prefill} runs the forced prompt positions with
 * batched products (one pass over the weights per chunk of positions; see {@link DecoderForward#prefill}). With {@link ScalarMatVec} the logits are the ones run.c
 * computes, bit for bit; a faster MatVec changes only the summation order inside the products.
 */
public final class LlamaForward extends DecoderForward {
    // activations
    private final float[] x;
    private final float[] xb;
    private final float[] xb2;
    private final float[] q;
    private final float[] k;
    private final float[] v;
    private final float[] hb;
    private final float[] hb2;
    // per-layer norm weights, read once (small)
    private final float[][] attNorm;
    private final float[][] ffnNorm;
    private final float[] finalNorm;
    // RoPE: 1 / theta^(2i / head_size), computed once
    private final float[] ropeFreq;
    private final float[] ropeCos;
    private final float[] ropeSin;
    /** Prefill activations, allocated on the first {@link #prefill}. */
    private Rows batch;

    /**
     * @param contextLength positions to allocate in the KV cache (at most the model's seq_len)
     */
    public LlamaForward(ModelConfig config, Weights weights, MatVec matVec, int contextLength) {
        super(config, weights, matVec, contextLength, ModelConfig.Family.LLAMA);
        int dim = c.dim();
        x = new float[dim];
        xb = new float[Math.max(dim, c.qDim())];
        xb2 = new float[dim];
        q = new float[c.qDim()];
        k = new float[c.kvDim()];
        v = new float[c.kvDim()];
        hb = new float[c.hiddenDim()];
        hb2 = new float[c.hiddenDim()];
        attNorm = new float[c.nLayers()][];
        ffnNorm = new float[c.nLayers()][];
        for (int l = 0; l < c.nLayers(); l++) {
            attNorm[l] = w.layers().get(l).attnNorm().toFloatArray();
            ffnNorm[l] = w.layers().get(l).ffnNorm().toFloatArray();
        }
        finalNorm = w.finalNorm().toFloatArray();
        int half = c.headSize() / 2;
        ropeFreq = new float[half];
        ropeCos = new float[half];
        ropeSin = new float[half];
        for (int i = 0; i < half; i++) {
            ropeFreq[i] = 1.0f / CMath.powf(c.ropeTheta(), (2 * i) / (float) c.headSize());
        }
    }

    /** Runs token {@code token} at position {@code pos} and returns the logits (a reused array). */
    @Override
    public float[] forward(int token, int pos) {
        checkPosition(token, pos);
        int dim = c.dim();
        int hs = c.headSize();
        w.tokenEmbedding().readRow(token, x);
        float sqrtHeadSize = CMath.sqrtf(hs);
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights lw = w.layers().get(l);
            rmsnorm(xb, x, attNorm[l], dim, c.normEps());
            mv.apply(lw.wq(), xb, q);
            mv.apply(lw.wk(), xb, k);
            mv.apply(lw.wv(), xb, v);
            ropeAndCache(l, pos, q, k, v);
            attention(l, pos, sqrtHeadSize, q, xb);
            mv.apply(lw.wo(), xb, xb2);
            residual(x, xb2, dim);
            rmsnorm(xb, x, ffnNorm[l], dim, c.normEps());
            mv.apply(lw.w1(), xb, hb);
            mv.apply(lw.w3(), xb, hb2);
            swiglu(hb, hb2, c.hiddenDim());
            mv.apply(lw.w2(), hb, xb);
            residual(x, xb, dim);
        }
        return head(x);
    }

    @Override
    float[] head(float[] last) {
        int dim = c.dim();
        if (last != x) {
            System.arraycopy(last, 0, x, 0, dim);
        }
        rmsnorm(x, x, finalNorm, dim, c.normEps());
        mv.apply(w.classifier(), x, logits);
        return logits;
    }

    @Override
    float[] prefillChunk(int[] tokens, int offset, int pos0, int n, int capacity) {
        if (batch == null) {
            batch = new Rows(c, capacity);
        }
        Rows bt = batch;
        int dim = c.dim();
        float sqrtHeadSize = CMath.sqrtf(c.headSize());
        for (int b = 0; b < n; b++) {
            w.tokenEmbedding().readRow(tokens[offset + b], bt.x[b]);
        }
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights lw = w.layers().get(l);
            for (int b = 0; b < n; b++) {
                rmsnorm(bt.xb[b], bt.x[b], attNorm[l], dim, c.normEps());
            }
            mv.applyBatch(lw.wq(), bt.xb, bt.q, n);
            mv.applyBatch(lw.wk(), bt.xb, bt.k, n);
            mv.applyBatch(lw.wv(), bt.xb, bt.v, n);
            for (int b = 0; b < n; b++) {
                ropeAndCache(l, pos0 + b, bt.q[b], bt.k[b], bt.v[b]);
            }
            for (int b = 0; b < n; b++) {
                attention(l, pos0 + b, sqrtHeadSize, bt.q[b], bt.xb[b]);
            }
            mv.applyBatch(lw.wo(), bt.xb, bt.xb2, n);
            for (int b = 0; b < n; b++) {
                residual(bt.x[b], bt.xb2[b], dim);
                rmsnorm(bt.xb[b], bt.x[b], ffnNorm[l], dim, c.normEps());
            }
            mv.applyBatch(lw.w1(), bt.xb, bt.hb, n);
            mv.applyBatch(lw.w3(), bt.xb, bt.hb2, n);
            for (int b = 0; b < n; b++) {
                swiglu(bt.hb[b], bt.hb2[b], c.hiddenDim());
            }
            mv.applyBatch(lw.w2(), bt.hb, bt.xb, n);
            for (int b = 0; b < n; b++) {
                residual(bt.x[b], bt.xb[b], dim);
            }
        }
        return bt.x[n - 1];
    }

    /** RoPE on q and k for position {@code pos} (run.c's loop), then k and v into the cache. */
    private void ropeAndCache(int l, int pos, float[] q, float[] k, float[] v) {
        int kvDim = c.kvDim();
        int hs = c.headSize();
        for (int i = 0; i < ropeFreq.length; i++) {
            float val = pos * ropeFreq[i];
            ropeCos[i] = CMath.cosf(val);
            ropeSin[i] = CMath.sinf(val);
        }
        for (int i = 0; i < c.qDim(); i += 2) {
            int j = (i % hs) / 2;
            float fcr = ropeCos[j];
            float fci = ropeSin[j];
            rotate(q, i, fcr, fci);
            if (i < kvDim) {
                rotate(k, i, fcr, fci);
            }
        }
        cache(l, pos, k, v);
    }

    /** run.c's SwiGLU: silu(hb) * hb2, into hb. */
    private static void swiglu(float[] hb, float[] hb2, int n) {
        for (int i = 0; i < n; i++) {
            float val = hb[i];
            val *= (1.0f / (1.0f + CMath.expf(-val)));
            val *= hb2[i];
            hb[i] = val;
        }
    }

    private static void rotate(float[] vec, int i, float fcr, float fci) {
        float v0 = vec[i];
        float v1 = vec[i + 1];
        vec[i] = v0 * fcr - v1 * fci;
        vec[i + 1] = v0 * fci + v1 * fcr;
    }

    /** run.c's rmsnorm: ss in index order, ss / n + eps, 1 / sqrtf, then weight * (ss * x). */
    static void rmsnorm(float[] out, float[] x, float[] weight, int n, float eps) {
        float ss = 0.0f;
        for (int j = 0; j < n; j++) {
            ss += x[j] * x[j];
        }
        ss /= n;
        ss += eps;
        ss = 1.0f / CMath.sqrtf(ss);
        for (int j = 0; j < n; j++) {
            out[j] = weight[j] * (ss * x[j]);
        }
    }
}
