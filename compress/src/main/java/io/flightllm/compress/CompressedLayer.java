package io.flightllm.compress;

/**
 * One decoder layer of a compressed model. Norm weights stay FP32 ({@code attnNorm}, {@code ffnNorm}; LayerNorm
 * biases where the family has them). The q, k, v projections have one row block per 16 output features of a padded
 * head and wo one column block per 16 input features of a padded head (see {@link CompressedModel#paddedHeadSize}).
 * LLaMA: w1 = gate, w3 = up, w2 = down; OPT: w1 = fc1, w2 = fc2, w3 = null.
 */
public record CompressedLayer(float[] attnNorm, float[] attnNormBias,
                              CompressedLinear wq, CompressedLinear wk, CompressedLinear wv, CompressedLinear wo,
                              float[] ffnNorm, float[] ffnNormBias,
                              CompressedLinear w1, CompressedLinear w2, CompressedLinear w3) {

    /** The linear layers of this layer, in a fixed order (q, k, v, o, w1, w2, w3 where present). */
    public java.util.List<CompressedLinear> linears() {
        java.util.List<CompressedLinear> out = new java.util.ArrayList<>(7);
        for (CompressedLinear l : new CompressedLinear[] {wq, wk, wv, wo, w1, w2, w3}) {
            if (l != null) {
                out.add(l);
            }
        }
        return out;
    }
}
