package io.flightllm.model.forward;

import io.flightllm.model.ModelConfig;
import io.flightllm.model.Sampler;
import io.flightllm.model.Weights;

/**
 * What every fp32 reference pass shares, whatever the family: the KV cache, the argument checks, the chunking of a
 * batched prefill, multi-head attention over the cache (run.c's loops) and the residual add. A family
 * ({@link LlamaForward}, {@link OptForward}) supplies one position ({@link #forward}), one prefill chunk and the head
 * after the last layer; {@link #create} picks the family from the config.
 */
public abstract sealed class DecoderForward implements Forward permits LlamaForward, OptForward {
    /** Positions per batched prefill pass: bounds the batch buffers (8 rows of hidden_dim floats each). */
    public static final int PREFILL_CHUNK = 64;

    protected final ModelConfig c;
    protected final Weights w;
    protected final MatVec mv;
    protected final int contextLength;
    protected final float[] logits;
    private final float[] att;
    // KV cache: per layer [position][kvDim]
    private final float[][] keyCache;
    private final float[][] valueCache;

    DecoderForward(ModelConfig config, Weights weights, MatVec matVec, int contextLength, ModelConfig.Family family) {
        if (config.family() != family) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " runs " + family + " models, not "
                    + config.family());
        }
        this.c = config;
        this.w = weights;
        this.mv = matVec;
        this.contextLength = Math.min(contextLength, config.seqLen());
        att = new float[this.contextLength];
        logits = new float[c.vocabSize()];
        keyCache = new float[c.nLayers()][Math.multiplyExact(this.contextLength, c.kvDim())];
        valueCache = new float[c.nLayers()][Math.multiplyExact(this.contextLength, c.kvDim())];
    }

    /** The fp32 reference pass of {@code config}'s family. */
    public static DecoderForward create(ModelConfig config, Weights weights, MatVec matVec, int contextLength) {
        return switch (config.family()) {
            case LLAMA -> new LlamaForward(config, weights, matVec, contextLength);
            case OPT -> new OptForward(config, weights, matVec, contextLength);
        };
    }

    @Override
    public String name() {
        return "fp32 reference, " + mv.name() + " kernels";
    }

    @Override
    public ModelConfig config() {
        return c;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    protected void checkPosition(int token, int pos) {
        if (pos < 0 || pos >= contextLength) {
            throw new IllegalArgumentException("position " + pos + " outside the context [0, " + contextLength + ")");
        }
        checkToken(token);
    }

    private void checkToken(int token) {
        if (token < 0 || token >= c.vocabSize()) {
            throw new IllegalArgumentException("token " + token + " outside the vocabulary [0, " + c.vocabSize() + ")");
        }
    }

    /**
     * Runs {@code count} forced tokens {@code tokens[0..count)} at positions {@code startPos ..} with every matrix
     * applied to the whole batch at once ({@link MatVec#applyBatch}), so the weights are read once per chunk of
     * {@link #PREFILL_CHUNK} positions instead of once per position. Each position goes through exactly the operations
     * of {@link #forward} in the same order, so the KV cache and the returned logits are the bits {@code forward}
     * would produce whenever the kernel's batch and single-row products agree (true for every kernel here).
     * The classifier runs only for the last position, and only if {@code wantLogits}.
     *
     * @return the logits of position {@code startPos + count - 1} (a reused array), or null without {@code wantLogits}
     */
    @Override
    public final float[] prefill(int[] tokens, int startPos, int count, boolean wantLogits) {
        if (count < 1 || count > tokens.length) {
            throw new IllegalArgumentException("prefill of " + count + " tokens from an array of " + tokens.length);
        }
        if (startPos < 0 || startPos + count > contextLength) {
            throw new IllegalArgumentException("positions [" + startPos + ", " + (startPos + count)
                    + ") outside the context [0, " + contextLength + ")");
        }
        for (int i = 0; i < count; i++) {
            checkToken(tokens[i]);
        }
        int capacity = Math.min(PREFILL_CHUNK, contextLength);
        float[] last = null;
        for (int done = 0; done < count; ) {
            int n = Math.min(capacity, count - done);
            last = prefillChunk(tokens, done, startPos + done, n, capacity);
            done += n;
        }
        if (!wantLogits) {
            return null;
        }
        return head(last);
    }

    /**
     * Runs positions {@code pos0 .. pos0 + n) (tokens from {@code tokens[offset..]}) through every layer in batches
     * of at most {@code capacity} rows and returns the residual stream of the last one (a reused row).
     */
    abstract float[] prefillChunk(int[] tokens, int offset, int pos0, int n, int capacity);

    /** Everything after the last layer for the residual row {@code x} (read, not kept): the logits. */
    abstract float[] head(float[] x);

    /** Stores the k and v of position {@code pos} in layer {@code l}'s cache. */
    protected void cache(int l, int pos, float[] k, float[] v) {
        int kvDim = c.kvDim();
        System.arraycopy(k, 0, keyCache[l], pos * kvDim, kvDim);
        System.arraycopy(v, 0, valueCache[l], pos * kvDim, kvDim);
    }

    /**
     * Multi-head attention of {@code q} over positions 0..pos, into {@code xb} (run.c's loops, head by head): each
     * score is the dot product in ascending index order divided by {@code scoreDivisor}, softmax in FP32, then the
     * probability-weighted sum of the cached values in ascending position order.
     */
    protected void attention(int l, int pos, float scoreDivisor, float[] q, float[] xb) {
        int hs = c.headSize();
        int kvDim = c.kvDim();
        int kvMul = c.kvMul();
        float[] kc = keyCache[l];
        float[] vc = valueCache[l];
        for (int h = 0; h < c.nHeads(); h++) {
            int qo = h * hs;
            int kvo = (h / kvMul) * hs;
            for (int t = 0; t <= pos; t++) {
                int ko = t * kvDim + kvo;
                float score = 0.0f;
                for (int i = 0; i < hs; i++) {
                    score += q[qo + i] * kc[ko + i];
                }
                score /= scoreDivisor;
                att[t] = score;
            }
            Sampler.softmax(att, pos + 1);
            int xo = h * hs;
            for (int i = 0; i < hs; i++) {
                xb[xo + i] = 0.0f;
            }
            for (int t = 0; t <= pos; t++) {
                int vo = t * kvDim + kvo;
                float a = att[t];
                for (int i = 0; i < hs; i++) {
                    xb[xo + i] += a * vc[vo + i];
                }
            }
        }
    }

    /**
     * Activations of one position or a prefill chunk, one row per position: the residual stream x, scratch rows of
     * the model width, q/k/v, the MLP's hidden rows (hb2 for SwiGLU's up projection only), the embedding-width row
     * for models that project in and out, and one position-embedding row for learned positions.
     */
    static final class Rows {
        final float[][] x;
        final float[][] xb;
        final float[][] xb2;
        final float[][] q;
        final float[][] k;
        final float[][] v;
        final float[][] hb;
        final float[][] hb2;
        final float[][] e;
        final float[] pe;

        Rows(ModelConfig c, int capacity) {
            x = new float[capacity][c.dim()];
            xb = new float[capacity][Math.max(c.dim(), c.qDim())];
            xb2 = new float[capacity][c.dim()];
            q = new float[capacity][c.qDim()];
            k = new float[capacity][c.kvDim()];
            v = new float[capacity][c.kvDim()];
            hb = new float[capacity][c.hiddenDim()];
            hb2 = c.mlp() == ModelConfig.MlpKind.SWIGLU ? new float[capacity][c.hiddenDim()] : null;
            e = c.projects() ? new float[capacity][c.embedDim()] : null;
            pe = c.positions() == ModelConfig.PositionKind.LEARNED ? new float[c.dim()] : null;
        }
    }

    protected static void residual(float[] x, float[] delta, int n) {
        for (int i = 0; i < n; i++) {
            x[i] += delta[i];
        }
    }
}
