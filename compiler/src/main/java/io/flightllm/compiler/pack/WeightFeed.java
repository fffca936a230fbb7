package io.flightllm.compiler.pack;

import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.LinearKind;

/** Where the packer gets weights: one linear or norm row at a time, so a large model need not be in memory at once. */
public interface WeightFeed {
    /** Layer {@code layer}'s linear of {@code kind} ({@code layer} ignored for the classifier). */
    CompressedLinear linear(int layer, LinearKind kind);

    /** Norm row {@code index}: 2l = attention norm of layer l, 2l + 1 = its FFN norm, 2 x layers = the final norm. */
    float[] norm(int index);

    /** The bias of norm row {@code index} (LayerNorm models; null for RMSNorm). */
    float[] normBias(int index);

    static WeightFeed of(CompressedModel m) {
        return new WeightFeed() {
            @Override
            public CompressedLinear linear(int layer, LinearKind kind) {
                if (kind == LinearKind.CLASSIFIER) {
                    return m.classifier();
                }
                CompressedLayer l = m.layers().get(layer);
                return switch (kind) {
                    case Q -> l.wq();
                    case K -> l.wk();
                    case V -> l.wv();
                    case O -> l.wo();
                    case W1 -> l.w1();
                    case W2 -> l.w2();
                    case W3 -> l.w3();
                    case CLASSIFIER -> m.classifier();
                };
            }

            @Override
            public float[] norm(int index) {
                int layers = m.layers().size();
                if (index == 2 * layers) {
                    return m.finalNorm();
                }
                CompressedLayer l = m.layers().get(index / 2);
                return index % 2 == 0 ? l.attnNorm() : l.ffnNorm();
            }

            @Override
            public float[] normBias(int index) {
                int layers = m.layers().size();
                if (index == 2 * layers) {
                    return m.finalNormBias();
                }
                CompressedLayer l = m.layers().get(index / 2);
                return index % 2 == 0 ? l.attnNormBias() : l.ffnNormBias();
            }
        };
    }
}
