package io.flightllm.compress;

import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The compression pipeline: streams a model layer by layer from a {@link WeightSource}, pads attention heads to a
 * multiple of 16, picks each matrix's bit width, group size and block densities from a {@link CompressionProfile},
 * compresses it with a {@link LinearCompressor} and hands each finished layer to a {@link Sink}. At most one FP32
 * matrix and one compressed layer are alive at a time (plus whatever the sink keeps), so a LLaMA2-7B shape needs
 * about 1.5 GB of heap when the sink writes to a file.
 */
public final class ModelCompressor {
    /** Receives the compressed model piece by piece, in this order: begin, layer 0 .. L-1, end. */
    public interface Sink {
        /** @param positionEmbedding FP32 [seq_len][dim] learned positions (OPT), or null (RoPE) */
        void begin(ModelConfig config, int paddedHeadSize, String recipe, float[] tokenEmbedding,
                   float[] positionEmbedding);

        /** A model without a position table. */
        default void begin(ModelConfig config, int paddedHeadSize, String recipe, float[] tokenEmbedding) {
            begin(config, paddedHeadSize, recipe, tokenEmbedding, null);
        }

        void layer(int index, CompressedLayer layer);

        /**
         * @param finalNorm     FP32 [dim], or null when the config has no final norm (post-norm OPT)
         * @param finalNormBias FP32 [dim] (OPT's final LayerNorm), or null
         */
        void end(float[] finalNorm, float[] finalNormBias, CompressedLinear classifier);

        /** A model whose final norm has no bias. */
        default void end(float[] finalNorm, CompressedLinear classifier) {
            end(finalNorm, null, classifier);
        }
    }

    /** Calibration statistics per matrix (for the matrix as handed to the compressor, i.e. after head padding). */
    @FunctionalInterface
    public interface CalibrationSource {
        CalibrationStats stats(int layer, LinearKind kind);
    }

    /** Called after each matrix; {@code done} of {@code total} matrices (embedding and norms are not counted). */
    @FunctionalInterface
    public interface Progress {
        void matrixDone(int layer, LinearKind kind, int done, int total);
    }

    private final CompressionProfile profile;
    private final LinearCompressor compressor;
    private final String method;

    public ModelCompressor(CompressionProfile profile, LinearCompressor compressor, String method) {
        this.profile = profile;
        this.compressor = compressor;
        this.method = method;
    }

    /** The recipe string stored in the model: method, profile, source. */
    public String recipe(WeightSource source) {
        return "method " + method + "; profile " + profile.describe() + "; from " + source.describe();
    }

    /** Compresses {@code source} into memory. */
    public CompressedModel toModel(WeightSource source, CalibrationSource calibration, Progress progress) {
        InMemorySink sink = new InMemorySink();
        run(source, calibration, sink, progress);
        return sink.model();
    }

    /** Compresses {@code source} into {@code sink}; returns the byte counts of what was produced. */
    public WeightBytes run(WeightSource source, CalibrationSource calibration, Sink sink, Progress progress) {
        checkSupported(source.config(), source);
        source = ProjectionFold.of(source); // OPT's project_in/out: folded, the compressed form holds none
        ModelConfig c = source.config();
        boolean opt = ModelSupport.isOpt(c);
        int hs = c.headSize();
        int phs = CompressedLinear.ceil16(hs);
        List<LinearKind> kinds = ModelSupport.layerKinds(c);
        int total = totalMatrices(c);
        int done = 0;
        float[] embedding = source.tokenEmbedding();
        checkLength(source, "token_embedding", embedding, (long) c.vocabSize() * c.dim());
        float[] positions = opt ? source.positionEmbedding() : null;
        if (opt) {
            checkLength(source, "position_embedding", positions, (long) c.seqLen() * c.dim());
        }
        long embeddingBytes = 4L * embedding.length + (positions == null ? 0 : 4L * positions.length);
        sink.begin(c, phs, recipe(source), embedding, positions);
        embedding = null;
        positions = null;
        WeightBytes bytes = WeightBytes.ZERO;
        long normBytes = 0;
        for (int layer = 0; layer < c.nLayers(); layer++) {
            float[] attnNorm = source.attnNorm(layer);
            float[] ffnNorm = source.ffnNorm(layer);
            checkLength(source, "layers." + layer + ".attn_norm", attnNorm, c.dim());
            checkLength(source, "layers." + layer + ".ffn_norm", ffnNorm, c.dim());
            float[] attnNormBias = null;
            float[] ffnNormBias = null;
            if (opt) {
                attnNormBias = source.attnNormBias(layer);
                ffnNormBias = source.ffnNormBias(layer);
                checkLength(source, "layers." + layer + ".attn_norm_bias", attnNormBias, c.dim());
                checkLength(source, "layers." + layer + ".ffn_norm_bias", ffnNormBias, c.dim());
                normBytes += 8L * c.dim();
            }
            normBytes += 8L * c.dim();
            CompressedLinear[] out = new CompressedLinear[LinearKind.LAYER_KINDS.size()];
            for (LinearKind kind : kinds) {
                int[] src = sourceShape(c, kind);
                float[] w = source.matrix(layer, kind);
                checkLength(source, kind.tensorName(layer), w, (long) src[0] * src[1]);
                int rows = src[0];
                int cols = src[1];
                switch (kind) {
                    case Q -> { w = HeadPadding.padRows(w, c.nHeads(), hs, phs, cols); rows = c.nHeads() * phs; }
                    case K, V -> { w = HeadPadding.padRows(w, c.nKvHeads(), hs, phs, cols); rows = c.nKvHeads() * phs; }
                    case O -> { w = HeadPadding.padColumns(w, rows, c.nHeads(), hs, phs); cols = c.nHeads() * phs; }
                    default -> { }
                }
                CompressedLinear l = compressOne(layer, kind, w, rows, cols, calibration);
                w = null;
                l = l.withBias(paddedBias(c, kind, source.bias(layer, kind), source, layer));
                out[kind.ordinal()] = l;
                bytes = bytes.plus(WeightBytes.of(l, (long) src[0] * src[1]));
                progress.matrixDone(layer, kind, ++done, total);
            }
            sink.layer(layer, new CompressedLayer(attnNorm, attnNormBias, out[0], out[1], out[2], out[3], ffnNorm,
                    ffnNormBias, out[4], out[5], out[6]));
        }
        float[] finalNorm = null;
        float[] finalNormBias = null;
        if (c.finalNorm()) {
            finalNorm = source.finalNorm();
            checkLength(source, "final_norm", finalNorm, c.dim());
            normBytes += 4L * c.dim();
        }
        if (opt && c.finalNorm()) {
            finalNormBias = source.finalNormBias();
            checkLength(source, "final_norm_bias", finalNormBias, c.dim());
            normBytes += 4L * c.dim();
        }
        float[] wc = source.matrix(-1, LinearKind.CLASSIFIER);
        checkLength(source, "classifier", wc, (long) c.vocabSize() * c.dim());
        CompressedLinear cls = compressOne(-1, LinearKind.CLASSIFIER, wc, c.vocabSize(), c.dim(), calibration);
        wc = null;
        bytes = bytes.plus(WeightBytes.of(cls, (long) c.vocabSize() * c.dim()));
        progress.matrixDone(-1, LinearKind.CLASSIFIER, ++done, total);
        sink.end(finalNorm, finalNormBias, cls);
        return bytes.withEmbeddingAndNorms(embeddingBytes, normBytes);
    }

    /** The matrices {@link #run} compresses for {@code c} (every decoder linear and the classifier): progress totals. */
    public static int totalMatrices(ModelConfig c) {
        return c.nLayers() * ModelSupport.layerKinds(c).size() + 1;
    }

    /**
     * The bias of linear {@code kind} in the compressed layout: q/k/v biases padded per head exactly like the weight
     * rows (zeros in the padding), the others as they are; null for a linear without one (checked against the config).
     */
    public static float[] paddedBias(ModelConfig c, LinearKind kind, float[] bias, WeightSource source, int layer) {
        if (!ModelSupport.hasBias(c, kind)) {
            if (bias != null) {
                throw ModelFormatException.field(source.describe(), kind.tensorName(layer) + " bias", "present",
                        "absent (the config has no bias for " + kind.id() + ")");
            }
            return null;
        }
        int hs = c.headSize();
        int phs = CompressedLinear.ceil16(hs);
        checkLength(source, kind.tensorName(layer) + ".bias", bias, sourceShape(c, kind)[0]);
        return switch (kind) {
            case Q -> HeadPadding.padRows(bias, c.nHeads(), hs, phs, 1);
            case K, V -> HeadPadding.padRows(bias, c.nKvHeads(), hs, phs, 1);
            default -> bias;
        };
    }

    private CompressedLinear compressOne(int layer, LinearKind kind, float[] w, int rows, int cols,
                                         CalibrationSource calibration) {
        int bits = profile.bitsFor(layer, kind);
        int g = profile.groupFor(cols);
        byte[] densities = profile.densityFor(kind).densities(w, rows, cols);
        LinearTarget target = new LinearTarget(layer, kind, bits, g, densities);
        CalibrationStats stats = calibration == null ? null : calibration.stats(layer, kind);
        CompressedLinear l = compressor.compress(target, w, rows, cols, stats);
        if (!l.name().equals(target.name()) || l.rows() != rows || l.cols() != cols || l.bits() != bits
                || l.groupSize() != g || !Arrays.equals(l.blockDensities(), densities)) {
            throw new IllegalStateException("the " + method + " compressor returned " + l + " for " + target.name()
                    + " [" + rows + ", " + cols + "] W" + bits + " G" + g + " with other block densities");
        }
        return profile.index().apply(l);
    }

    /** Source shapes [out, in] of a linear (LLaMA or OPT), before head padding. */
    public static int[] sourceShape(ModelConfig c, LinearKind kind) {
        return switch (kind) {
            case Q -> new int[] {c.qDim(), c.dim()};
            case K, V -> new int[] {c.kvDim(), c.dim()};
            case O -> new int[] {c.dim(), c.qDim()};
            case W1, W3 -> new int[] {c.hiddenDim(), c.dim()};
            case W2 -> new int[] {c.dim(), c.hiddenDim()};
            case CLASSIFIER -> new int[] {c.vocabSize(), c.dim()};
        };
    }

    private static void checkSupported(ModelConfig c, WeightSource source) {
        ModelSupport.Refusal r = ModelSupport.checkSource(c);
        if (r != null) {
            throw ModelFormatException.field(source.describe(), "config field " + r.field(), r.value(),
                    r.expected() + " (compress handles " + ModelSupport.SUPPORTED + ")");
        }
    }

    private static void checkLength(WeightSource source, String tensor, float[] a, long expected) {
        if (a == null) {
            throw ModelFormatException.field(source.describe(), tensor, "missing", expected + " values");
        }
        if (a.length != expected) {
            throw ModelFormatException.field(source.describe(), tensor + " length", a.length, Long.toString(expected));
        }
    }

    /** Collects everything into a {@link CompressedModel}. */
    public static final class InMemorySink implements Sink {
        private ModelConfig config;
        private String recipe;
        private float[] embedding;
        private float[] positions;
        private final List<CompressedLayer> layers = new ArrayList<>();
        private CompressedModel model;

        @Override
        public void begin(ModelConfig c, int paddedHeadSize, String r, float[] tokenEmbedding,
                          float[] positionEmbedding) {
            config = c;
            recipe = r;
            embedding = tokenEmbedding;
            positions = positionEmbedding;
        }

        @Override
        public void layer(int index, CompressedLayer layer) {
            layers.add(layer);
        }

        @Override
        public void end(float[] finalNorm, float[] finalNormBias, CompressedLinear classifier) {
            model = new CompressedModel(config, embedding, positions, layers, finalNorm, finalNormBias, classifier,
                    recipe, null);
        }

        public CompressedModel model() {
            return model;
        }
    }
}
