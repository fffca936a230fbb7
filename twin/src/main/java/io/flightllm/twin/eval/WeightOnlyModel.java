package io.flightllm.twin.eval;

import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.WeightSource;
import io.flightllm.model.DType;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.Weights;
import io.flightllm.model.forward.DecoderForward;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.forward.ScalarMatVec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A diagnostic: the compressed model's weights dequantized to FP32 (head padding removed) and run by the FP32
 * reference forward pass, optionally with every linear's input row fake-quantized by the activation quantizer
 * (INT8, one FP32 scale per row, as the twin does). Against the twin of the same {@link CompressedModel} it separates
 * the error of the weights, of the INT8 linear inputs, and of the rest of the twin's arithmetic (INT8 q and KV cache,
 * INT8 attention probabilities, arch exp).
 */
public final class WeightOnlyModel {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private WeightOnlyModel() {
    }

    public static LogitModel of(CompressedModel m, int contextLength, String label) {
        return of(m, contextLength, label, false);
    }

    /** @param quantizeInputs fake-quantize each linear's input row (INT8 values times the row scale) */
    public static LogitModel of(CompressedModel m, int contextLength, String label, boolean quantizeInputs) {
        MatVec mv = quantizeInputs ? int8Inputs(new ScalarMatVec()) : new ScalarMatVec();
        return LogitModel.of(new LlamaForward(m.config(), weights(m), mv, contextLength), label);
    }

    /** The compressed model's weights dequantized to FP32 in the source layout (head padding removed). */
    static Weights weights(CompressedModel m) {
        ModelConfig c = m.config();
        if (c.family() != ModelConfig.Family.LLAMA) {
            throw new IllegalArgumentException("the weight-only diagnostic handles LLaMA models, not " + c.family());
        }
        Arena arena = Arena.ofAuto();
        int hs = c.headSize();
        int hsp = m.paddedHeadSize();
        List<LayerWeights> layers = new ArrayList<>();
        for (CompressedLayer l : m.layers()) {
            layers.add(LayerWeights.llama(vector(arena, "attn_norm", l.attnNorm()),
                    tensor(arena, l.wq(), headRows(c.nHeads(), hs, hsp), identity(c.dim())),
                    tensor(arena, l.wk(), headRows(c.nKvHeads(), hs, hsp), identity(c.dim())),
                    tensor(arena, l.wv(), headRows(c.nKvHeads(), hs, hsp), identity(c.dim())),
                    tensor(arena, l.wo(), identity(c.dim()), headRows(c.nHeads(), hs, hsp)),
                    vector(arena, "ffn_norm", l.ffnNorm()),
                    tensor(arena, l.w1(), identity(c.hiddenDim()), identity(c.dim())),
                    tensor(arena, l.w2(), identity(c.dim()), identity(c.hiddenDim())),
                    tensor(arena, l.w3(), identity(c.hiddenDim()), identity(c.dim()))));
        }
        Tensor emb = matrix(arena, "token_embedding", m.tokenEmbedding(), c.vocabSize(), c.dim());
        Tensor cls = tensor(arena, m.classifier(), identity(c.vocabSize()), identity(c.dim()));
        return new Weights(emb, null, layers, vector(arena, "final_norm", m.finalNorm()), null, cls);
    }

    /** {@code inner} with every input row fake-quantized by the twin's activation quantizer first. */
    static MatVec int8Inputs(MatVec inner) {
        return new FakeQuantInputs(inner);
    }

    /**
     * The FP32 reference forward pass (scalar kernels) over FP32 weights from a source, e.g. a smoothed model: with
     * exact smoothing its logits equal the original model's up to float rounding.
     */
    public static LogitModel ofSource(WeightSource source, int contextLength, String label) {
        Weights w = weights(source);
        return LogitModel.of(DecoderForward.create(io.flightllm.compress.ModelSupport.compressedConfig(
                source.config()), w, new ScalarMatVec(), contextLength), label);
    }

    /**
     * The FP32 tensors of a source (source layout, no head padding; OPT's project_in/out folded, as compression does)
     * as the reference forward pass reads them.
     */
    static Weights weights(WeightSource unfolded) {
        WeightSource source = io.flightllm.compress.ProjectionFold.of(unfolded); // the FP32 model, no project_in/out
        ModelConfig c = source.config();
        Arena arena = Arena.ofAuto();
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            final int layer = l;
            java.util.function.BiFunction<LinearKind, String, Tensor> bias = (k, name) -> {
                float[] b = source.bias(layer, k);
                return b == null ? null : vector(arena, name, b);
            };
            float[] anb = source.attnNormBias(l);
            float[] fnb = source.ffnNormBias(l);
            float[] w3 = c.mlp() == ModelConfig.MlpKind.SWIGLU ? source.matrix(l, LinearKind.W3) : null;
            layers.add(new LayerWeights(vector(arena, "attn_norm", source.attnNorm(l)),
                    anb == null ? null : vector(arena, "attn_norm_bias", anb),
                    matrix(arena, "wq", source.matrix(l, LinearKind.Q), c.qDim(), c.dim()),
                    matrix(arena, "wk", source.matrix(l, LinearKind.K), c.kvDim(), c.dim()),
                    matrix(arena, "wv", source.matrix(l, LinearKind.V), c.kvDim(), c.dim()),
                    matrix(arena, "wo", source.matrix(l, LinearKind.O), c.dim(), c.qDim()),
                    bias.apply(LinearKind.Q, "bq"), bias.apply(LinearKind.K, "bk"), bias.apply(LinearKind.V, "bv"),
                    bias.apply(LinearKind.O, "bo"),
                    vector(arena, "ffn_norm", source.ffnNorm(l)),
                    fnb == null ? null : vector(arena, "ffn_norm_bias", fnb),
                    matrix(arena, "w1", source.matrix(l, LinearKind.W1), c.hiddenDim(), c.dim()),
                    matrix(arena, "w2", source.matrix(l, LinearKind.W2), c.dim(), c.hiddenDim()),
                    w3 == null ? null : matrix(arena, "w3", w3, c.hiddenDim(), c.dim()),
                    bias.apply(LinearKind.W1, "b1"), bias.apply(LinearKind.W2, "b2")));
        }
        float[] pos = source.positionEmbedding();
        float[] fnb = source.finalNormBias();
        float[] fn = source.finalNorm();
        return new Weights(matrix(arena, "token_embedding", source.tokenEmbedding(), c.vocabSize(), c.dim()),
                pos == null ? null : matrix(arena, "position_embedding", pos, c.seqLen(), c.dim()), layers,
                fn == null ? null : vector(arena, "final_norm", fn), fnb == null ? null : vector(arena, "final_norm_bias",
                fnb), matrix(arena, "classifier", source.matrix(-1, LinearKind.CLASSIFIER), c.vocabSize(), c.dim()),
                null, null);
    }

    /** x -> q(x) x s with the twin's activation quantizer, then the wrapped product. */
    private record FakeQuantInputs(MatVec inner) implements MatVec {
        @Override
        public void apply(Tensor w, float[] x, float[] out) {
            float[] xq = java.util.Arrays.copyOf(x, w.cols());
            NumericsAblation.fakeQuantize(xq, 0, xq.length);
            inner.apply(w, xq, out);
        }

        @Override
        public String name() {
            return "int8 inputs";
        }
    }

    /** Real index i to the padded index: heads of hs real entries laid out with stride hsp. */
    private static int[] headRows(int heads, int hs, int hsp) {
        int[] idx = new int[heads * hs];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i / hs * hsp + i % hs;
        }
        return idx;
    }

    private static int[] identity(int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        return idx;
    }

    private static Tensor tensor(Arena arena, CompressedLinear l, int[] rows, int[] cols) {
        float[] w = new float[rows.length * cols.length];
        for (int r = 0; r < rows.length; r++) {
            for (int k = 0; k < cols.length; k++) {
                w[r * cols.length + k] = l.dequantized(rows[r], cols[k]);
            }
        }
        return matrix(arena, l.name(), w, rows.length, cols.length);
    }

    private static Tensor vector(Arena arena, String name, float[] v) {
        return matrix(arena, name, v, 1, v.length);
    }

    private static Tensor matrix(Arena arena, String name, float[] v, int rows, int cols) {
        MemorySegment seg = arena.allocate(4L * v.length, 4);
        MemorySegment.copy(v, 0, seg, F32, 0, v.length);
        return Tensor.of(name, DType.F32, rows, cols, seg);
    }
}
