package io.flightllm.compiler.emit;

/**
 * Resource ids for {@link StreamBuilder}: on-chip areas (G = GLOBAL, A, S = SCALE), the two ping-pong slots of the
 * B/META/FSB/SCALE weight buffers, and one id per (layer, KV head) of the HBM KV cache.
 */
final class Res {
    static final int G_X = 0;
    static final int G_XN = 1;
    static final int G_NORMW = 2;
    static final int G_Q = 3;
    static final int G_K = 4;
    static final int G_V = 5;
    static final int G_ROPE = 6;
    static final int G_S = 7;
    static final int G_VS = 8;
    static final int G_ATT = 9;
    static final int G_H = 10;
    static final int G_YS = 11;
    static final int G_A1 = 12;
    static final int G_A3 = 13;
    static final int G_PSUM = 14;
    static final int A_ACT = 15;
    static final int S_ACT = 16;
    static final int A_QQ = 17;
    static final int S_QQ = 18;
    static final int A_PQ = 19;
    static final int S_PQ = 20;
    static final int H_LOGITS = 21;
    static final int G_LOG0 = 22;
    /** The HBM exchange scratch of a split prefill launch (every core's; SYS barriers order it across cores). */
    static final int H_XCHG = 24;
    /** B slot s: B0 + s; META: M0 + s; FSB: F0 + s (s below Tiling.MAX_SLOTS); weight scales: W0 + s (two). */
    static final int B0 = 26;
    static final int M0 = B0 + io.flightllm.compiler.plan.Tiling.MAX_SLOTS;
    static final int F0 = M0 + io.flightllm.compiler.plan.Tiling.MAX_SLOTS;
    static final int W0 = F0 + io.flightllm.compiler.plan.Tiling.MAX_SLOTS;
    /** The two ping-pong slots of the BIAS buffer (a row tile's FP32 biases): BI0 + s. */
    static final int BI0 = W0 + 2;
    /** Quantized K of local KV head j: A_KQ + j, its scales S_KQ + j (and V likewise), up to {@link #MAX_HEADS}. */
    static final int MAX_HEADS = 4096;
    static final int A_KQ = BI0 + 2;
    static final int S_KQ = A_KQ + MAX_HEADS;
    static final int A_VQ = S_KQ + MAX_HEADS;
    static final int S_VQ = A_VQ + MAX_HEADS;
    static final int KV = S_VQ + MAX_HEADS;

    static final int[] SHARED = {G_ATT, G_H, G_YS, H_XCHG};
    static final int[] NONE = {};

    private Res() {
    }

    /** Id of the KV cache of (layer, KV head). */
    static int kv(int layer, int head, int kvHeads) {
        return KV + layer * kvHeads + head;
    }

    static int count(int layers, int kvHeads) {
        return KV + layers * kvHeads + 1;
    }
}
