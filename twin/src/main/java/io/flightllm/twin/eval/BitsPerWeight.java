package io.flightllm.twin.eval;

import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.ModelSupport;
import io.flightllm.model.ModelConfig;

/**
 * DESIGN.md {@code bits_per_weight}: 8 x (bytes of values, positions, per-block N and scales of every linear, the
 * classifier included) / their dense parameter count. Until the {@code .flm} packing lands the packed sizes are
 * computed arithmetically: b bits per kept value, 4 bits per position (blocks with 0 &lt; N &lt; 16), one byte of N
 * per 16x16 block, 2 bytes per FP16 scale. The denominator is the source model's dense count (real shapes, no head
 * or K16 padding), so zero padding the accelerator stores counts as cost.
 */
public final class BitsPerWeight {
    private BitsPerWeight() {
    }

    /** Stored bits of one linear (values, positions, block N, scales). */
    public static long storedBits(CompressedLinear l) {
        return l.keptCount() * l.bits() + 4L * l.positions().length + 8L * l.rowBlocks() * l.colBlocks()
                + 16L * l.scaleBits().length;
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
