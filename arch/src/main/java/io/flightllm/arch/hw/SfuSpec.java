package io.flightllm.arch.hw;

/**
 * The special function unit of one core (softmax, norms, SiLU, element-wise ops, RoPE, quantize-row).
 *
 * @param lanes         FP32 elements processed per cycle per pass
 * @param normPasses    passes over the data for RMSNorm/LayerNorm (statistics, then scale)
 * @param softmaxPasses passes for softmax (max and sum of exp, then normalize)
 */
public record SfuSpec(int lanes, int normPasses, int softmaxPasses) {
    void check(Checks c) {
        c.atLeast("sfu.lanes", lanes, 1);
        c.atLeast("sfu.normPasses", normPasses, 1);
        c.atLeast("sfu.softmaxPasses", softmaxPasses, 1);
    }
}
