package io.flightllm.twin;

import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.WeightBytes;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.forward.Forward;
import java.util.Arrays;

/** The CPU twin behind the {@link Forward} interface, so the host loop and the benchmarks drive it like the reference. */
public final class TwinForward implements Forward {
    private final CompressedModel model;
    private final FastTwin twin;

    public TwinForward(CompressedModel model, int threads, int contextLength) {
        this.model = model;
        this.twin = new FastTwin(model, threads, contextLength);
    }

    @Override
    public ModelConfig config() {
        return model.config();
    }

    @Override
    public int contextLength() {
        return twin.contextLength();
    }

    @Override
    public float[] forward(int token, int pos) {
        return twin.forward(token, pos);
    }

    @Override
    public float[] prefill(int[] tokens, int startPos, int count, boolean wantLogits) {
        if (count < 1 || count > tokens.length) {
            throw new IllegalArgumentException("prefill of " + count + " tokens from an array of " + tokens.length);
        }
        return twin.prefill(count == tokens.length ? tokens : Arrays.copyOf(tokens, count), startPos);
    }

    @Override
    public String name() {
        return "CPU twin, " + twin.threads() + " thread(s)";
    }

    @Override
    public void close() {
        twin.close();
    }

    /**
     * Weight bytes read per decode step (DESIGN.md "Metric definitions"): every linear's packed bytes as the .flm
     * stores them (values, indices, densities, scales, biases), one FP32 embedding row (plus one position row for
     * learned positions), and the FP32 norms (with their biases where they have them).
     */
    public static long weightBytesPerToken(CompressedModel m) {
        long bytes = 0;
        for (CompressedLinear l : m.linears()) {
            bytes += WeightBytes.of(l, l.denseCount()).linearBytes();
        }
        ModelConfig c = m.config();
        bytes += 4L * c.dim(); // one embedding row
        if (m.positionEmbedding() != null) {
            bytes += 4L * c.dim(); // one position row
        }
        for (CompressedLayer l : m.layers()) {
            bytes += 4L * (l.attnNorm().length + l.ffnNorm().length + length(l.attnNormBias())
                    + length(l.ffnNormBias()));
        }
        return bytes + 4L * (length(m.finalNorm()) + length(m.finalNormBias()));
    }

    private static int length(float[] a) {
        return a == null ? 0 : a.length;
    }

    /**
     * Exact-integer MACs of the linear layers in one decode step: every kept weight (N per 16-column segment, padding
     * included) times one activation. Attention's INT8 dot products grow with the context and are not counted.
     */
    public static long macsPerToken(CompressedModel m) {
        long macs = 0;
        for (CompressedLinear l : m.linears()) {
            macs += l.keptCount();
        }
        return macs;
    }

    /** Bits per weight of the linear layers as stored (DESIGN.md "Metric definitions"). */
    public static double bitsPerWeight(CompressedModel m) {
        WeightBytes b = WeightBytes.ZERO;
        for (CompressedLinear l : m.linears()) {
            b = b.plus(WeightBytes.of(l, l.denseCount()));
        }
        return b.bitsPerWeight();
    }

    /** KV-cache bytes of one position: INT8 K and V per padded head plus one FP16 scale per KV head, all layers. */
    public static long kvBytesPerPosition(CompressedModel m) {
        ModelConfig c = m.config();
        return 2L * c.nLayers() * c.nKvHeads() * (m.paddedHeadSize() + 2L);
    }
}
