package io.flightllm.model.forward;

import io.flightllm.model.CMath;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.Weights;

/**
 * The fp32 reference forward pass of an OPT decoder, following Hugging Face's {@code modeling_opt.py}
 * ({@code OPTDecoder}, {@code OPTDecoderLayer}, {@code OPTAttention}; docs/opt.md maps each step to its HF code):
 * token embedding (word_embed_proj_dim wide), {@code project_in} when that width differs from the hidden size, plus the
 * learned position embedding (the loader has already applied HF's offset of 2); per layer, pre-norm
 * x + attn(LN(x)) and x + fc2(relu(fc1(LN(x)))), or post-norm LN(x + attn(x)) and LN(x + fc2(relu(fc1(x)))); q
 * scaled by head_dim^-0.5 after its bias; then the final LayerNorm (when the model has one), {@code project_out} and the
 * classifier.
 *
 * <p>The golden order is the LLaMA path's: every matrix product goes through the {@link MatVec} (sequential dots with
 * {@link ScalarMatVec}), each bias is added to the finished dot product, sums in LayerNorm and attention run in
 * ascending index order, softmax is run.c's. The same code runs one position ({@link #forward}) and a prefill chunk
 * (rows of a batch), so batched prefill performs exactly the per-position operations.
 */
public final class OptForward extends DecoderForward {
    private final float scaling;
    private final boolean pre;
    private final Norm[] attnNorm;
    private final Norm[] ffnNorm;
    private final Norm finalNorm;
    private final Bias[] bias;
    /** One position's activations (forward) and a prefill chunk's, allocated on first use. */
    private final Rows single;
    private Rows batch;
    private final float[] headX;
    private final float[] headE;

    /** A LayerNorm's weight and bias, read once (small). */
    private record Norm(float[] weight, float[] bias) {
        static Norm of(Tensor w, Tensor b) {
            return w == null ? null : new Norm(w.toFloatArray(), b.toFloatArray());
        }
    }

    /** One layer's biases (null where the model has none). */
    private record Bias(float[] q, float[] k, float[] v, float[] o, float[] fc1, float[] fc2) {
    }

    /**
     * @param contextLength positions to allocate in the KV cache (at most the model's seq_len)
     */
    public OptForward(ModelConfig config, Weights weights, MatVec matVec, int contextLength) {
        super(config, weights, matVec, contextLength, ModelConfig.Family.OPT);
        // HF: self.scaling = head_dim ** -0.5 (a Python float), multiplied into an FP32 tensor as an FP32 scalar
        scaling = (float) StrictMath.pow(c.headSize(), -0.5);
        pre = c.normBefore();
        int n = c.nLayers();
        attnNorm = new Norm[n];
        ffnNorm = new Norm[n];
        bias = new Bias[n];
        for (int l = 0; l < n; l++) {
            LayerWeights lw = w.layers().get(l);
            attnNorm[l] = Norm.of(lw.attnNorm(), lw.attnNormBias());
            ffnNorm[l] = Norm.of(lw.ffnNorm(), lw.ffnNormBias());
            bias[l] = new Bias(floats(lw.bq()), floats(lw.bk()), floats(lw.bv()), floats(lw.bo()), floats(lw.b1()),
                    floats(lw.b2()));
        }
        finalNorm = c.finalNorm() ? Norm.of(w.finalNorm(), w.finalNormBias()) : null;
        single = new Rows(c, 1);
        headX = new float[c.dim()];
        headE = new float[c.embedDim()];
    }

    private static float[] floats(Tensor t) {
        return t == null ? null : t.toFloatArray();
    }

    @Override
    public float[] forward(int token, int pos) {
        checkPosition(token, pos);
        return head(run(single, new int[] {token}, 0, pos, 1));
    }

    @Override
    float[] prefillChunk(int[] tokens, int offset, int pos0, int n, int capacity) {
        if (batch == null) {
            batch = new Rows(c, capacity);
        }
        return run(batch, tokens, offset, pos0, n);
    }

    /** Every layer for rows {@code 0..n) of {@code r}; returns the last row's residual stream. */
    private float[] run(Rows r, int[] tokens, int offset, int pos0, int n) {
        int dim = c.dim();
        // HF OPTDecoder.forward: embed_tokens, project_in, + embed_positions
        for (int b = 0; b < n; b++) {
            w.tokenEmbedding().readRow(tokens[offset + b], c.projects() ? r.e[b] : r.x[b]);
        }
        if (c.projects()) {
            linear(w.projectIn(), null, r.e, r.x, n);
        }
        for (int b = 0; b < n; b++) {
            w.positionEmbedding().readRow(pos0 + b, r.pe);
            for (int i = 0; i < dim; i++) {
                r.x[b][i] = r.x[b][i] + r.pe[i];
            }
        }
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights lw = w.layers().get(l);
            Bias bl = bias[l];
            // HF OPTDecoderLayer.forward, self-attention block
            float[][] in = r.x;
            if (pre) {
                for (int b = 0; b < n; b++) {
                    layerNorm(r.xb[b], r.x[b], attnNorm[l], dim, c.normEps());
                }
                in = r.xb;
            }
            linear(lw.wq(), bl.q(), in, r.q, n);
            linear(lw.wk(), bl.k(), in, r.k, n);
            linear(lw.wv(), bl.v(), in, r.v, n);
            for (int b = 0; b < n; b++) {
                float[] q = r.q[b];
                for (int i = 0; i < q.length; i++) {
                    q[i] = q[i] * scaling; // HF: q_proj(x) * self.scaling, bias included
                }
                cache(l, pos0 + b, r.k[b], r.v[b]);
            }
            for (int b = 0; b < n; b++) {
                attention(l, pos0 + b, 1.0f, r.q[b], r.xb[b]); // scaling=1.0 in HF's attention call; x / 1f == x
            }
            linear(lw.wo(), bl.o(), r.xb, r.xb2, n);
            for (int b = 0; b < n; b++) {
                residual(r.x[b], r.xb2[b], dim);
                if (!pre) {
                    layerNorm(r.x[b], r.x[b], attnNorm[l], dim, c.normEps());
                }
            }
            // fully connected block
            in = r.x;
            if (pre) {
                for (int b = 0; b < n; b++) {
                    layerNorm(r.xb[b], r.x[b], ffnNorm[l], dim, c.normEps());
                }
                in = r.xb;
            }
            linear(lw.w1(), bl.fc1(), in, r.hb, n);
            for (int b = 0; b < n; b++) {
                relu(r.hb[b]);
            }
            linear(lw.w2(), bl.fc2(), r.hb, r.xb2, n);
            for (int b = 0; b < n; b++) {
                residual(r.x[b], r.xb2[b], dim);
                if (!pre) {
                    layerNorm(r.x[b], r.x[b], ffnNorm[l], dim, c.normEps());
                }
            }
        }
        return r.x[n - 1];
    }

    /** HF OPTDecoder's final_layer_norm and project_out, then OPTForCausalLM's lm_head. */
    @Override
    float[] head(float[] last) {
        float[] x = headX;
        System.arraycopy(last, 0, x, 0, c.dim());
        if (finalNorm != null) {
            layerNorm(x, x, finalNorm, c.dim(), c.normEps());
        }
        float[] in = x;
        if (c.projects()) {
            mv.apply(w.projectOut(), x, headE);
            in = headE;
        }
        mv.apply(w.classifier(), in, logits);
        return logits;
    }

    /** out[b] = W in[b] (+ bias): one row through {@link MatVec#apply}, more through {@link MatVec#applyBatch}. */
    private void linear(Tensor weight, float[] bias, float[][] in, float[][] out, int n) {
        if (n == 1) {
            mv.apply(weight, in[0], out[0]);
        } else {
            mv.applyBatch(weight, in, out, n);
        }
        if (bias != null) {
            for (int b = 0; b < n; b++) {
                float[] o = out[b];
                for (int i = 0; i < bias.length; i++) {
                    o[i] = o[i] + bias[i];
                }
            }
        }
    }

    private static void relu(float[] h) {
        for (int i = 0; i < h.length; i++) {
            h[i] = Math.max(h[i], 0.0f);
        }
    }

    /**
     * torch.nn.LayerNorm over n values in the golden order: mean = (sum in ascending order) / n, var = (sum of
     * (x - mean)^2 in ascending order) / n (biased, as PyTorch), y = ((x - mean) * (1 / sqrt(var + eps))) * w + b.
     * {@code out} may be {@code x}.
     */
    static void layerNorm(float[] out, float[] x, Norm norm, int n, float eps) {
        layerNorm(out, x, norm.weight(), norm.bias(), n, eps);
    }

    static void layerNorm(float[] out, float[] x, float[] weight, float[] bias, int n, float eps) {
        float sum = 0.0f;
        for (int j = 0; j < n; j++) {
            sum += x[j];
        }
        float mean = sum / n;
        float ss = 0.0f;
        for (int j = 0; j < n; j++) {
            float d = x[j] - mean;
            ss += d * d;
        }
        float var = ss / n;
        float rstd = 1.0f / CMath.sqrtf(var + eps);
        for (int j = 0; j < n; j++) {
            out[j] = ((x[j] - mean) * rstd) * weight[j] + bias[j];
        }
    }
}
