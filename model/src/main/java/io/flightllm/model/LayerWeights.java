package io.flightllm.model;

/**
 * One decoder layer. Matrices are [out][in] row-major. LLaMA: w1 = gate, w3 = up, w2 = down (llama2.c names).
 * OPT: w1 = fc1, w2 = fc2, w3 = null. Bias and norm-bias tensors are null where the family has none.
 */
public record LayerWeights(
        Tensor attnNorm, Tensor attnNormBias,
        Tensor wq, Tensor wk, Tensor wv, Tensor wo,
        Tensor bq, Tensor bk, Tensor bv, Tensor bo,
        Tensor ffnNorm, Tensor ffnNormBias,
        Tensor w1, Tensor w2, Tensor w3,
        Tensor b1, Tensor b2) {

    /** A LLaMA layer (no biases). */
    public static LayerWeights llama(Tensor attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor ffnNorm,
                                     Tensor w1, Tensor w2, Tensor w3) {
        return new LayerWeights(attnNorm, null, wq, wk, wv, wo, null, null, null, null, ffnNorm, null, w1, w2, w3,
                null, null);
    }
}
