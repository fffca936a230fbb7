package io.flightllm.twin.eval;

import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.ModelSupport;
import io.flightllm.compress.flm.FlmLayout;
import io.flightllm.model.ModelConfig;

/**
 * DESIGN.md {@code bits_per_weight}: 8 x (bytes of values, indices, per-block N and scales of every linear, the
 * classifier included) / their dense parameter count, the bytes as the {@code .flm} stores them ({@link FlmLayout}:
 * the same rule as {@code compress}'s {@link io.flightllm.compress.WeightBytes}, so 16-bit masks count as masks). The
 * denominator is the source model's dense count (real shapes, no head or K16 padding), so zero padding the
 * accelerator stores counts as cost.
 */
public final class BitsPerWeight {
    private BitsPerWeight() {
    }

    /** Stored bits of one linear (values, indices in its encoding, block N, scales). */
    public static long storedBits(CompressedLinear l) {
        return 8L * (FlmLayout.valuesBytes(l) + FlmLayout.indexBytes(l) + FlmLayout.densitiesBytes(l)
                + FlmLayout.scalesBytes(l));
    }

    /** The dense weight count of every linear of the source model, classifier included. */
    public static long denseLinearWeights(ModelConfig c) {
        int mlpMatrices = ModelSupport.layerKinds(c).size() - 4; // SwiGLU w1, w2, w3; OPT fc1, fc2
        long perLayer = 2L * c.dim() * c.qDim() + 2L * c.dim() * c.kvDim() + (long) mlpMatrices * c.dim() * c.hiddenDim();
        return perLayer * c.nLayers() + (long) c.vocabSize() * c.dim();
    }

    public static double of(CompressedModel m) {
        long bits = 0;
        for (CompressedLinear l : m.linears()) {
            bits += storedBits(l);
        }
        return (double) bits / denseLinearWeights(m.config());
    }
}
