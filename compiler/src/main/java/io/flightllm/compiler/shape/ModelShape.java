package io.flightllm.compiler.shape;

import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.algo.AttentionMask;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.DensityPlan;
import io.flightllm.compress.LinearKind;
import io.flightllm.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The compiler's view of a compressed model: config, padded head size, and the shape of every linear. {@link #of}
 * reads a loaded {@code .flm}; {@link #fromProfile} derives the same from a config and a compression profile without
 * any weights ({@code compile --shapes-only}); the density maps then come from the profile's plan applied to equal
 * weights (sparse bands spread evenly over the rows).
 */
public record ModelShape(ModelConfig config, int paddedHeadSize, List<List<LinearShape>> layers,
                         LinearShape classifier, String recipe, AttentionMask attentionMask) {

    public ModelShape {
        layers = layers.stream().map(List::copyOf).toList();
    }

    public static ModelShape of(CompressedModel m) {
        AttentionMask am = m.attentionMask();
        if (am != null && (am.blockSize() > 4095 || am.sinkBlocks() > 1023 || am.localBlocks() > 1023)) {
            throw new io.flightllm.compiler.CompileException("attention_mask " + am.spec() + " does not fit the MISC "
                    + "mask fields; expected a block of at most 4095 positions and at most 1023 sink and band blocks");
        }
        List<LinearKind> kinds = layerKinds(m.config());
        List<List<LinearShape>> layers = new ArrayList<>();
        for (CompressedLayer l : m.layers()) {
            CompressedLinear[] ls = {l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()};
            List<LinearShape> out = new ArrayList<>();
            for (int k = 0; k < ls.length; k++) {
                LinearKind kind = LinearKind.LAYER_KINDS.get(k);
                if (kinds.contains(kind) != (ls[k] != null)) {
                    throw new io.flightllm.compiler.CompileException("layer " + layers.size() + ": the "
                            + m.config().mlp() + " model " + (ls[k] == null ? "lacks " : "has an unexpected ")
                            + kind.tensorName(layers.size()) + "; expected the linears " + kinds);
                }
                if (ls[k] != null) {
                    out.add(LinearShape.of(ls[k], kind));
                }
            }
            layers.add(out);
        }
        return new ModelShape(m.config(), m.paddedHeadSize(), layers,
                LinearShape.of(m.classifier(), LinearKind.CLASSIFIER), m.recipe(), m.attentionMask());
    }

    public static ModelShape fromProfile(ModelConfig c, CompressionProfile p) {
        int phs = CompressedLinear.ceil16(c.headSize());
        int qRows = c.nHeads() * phs;
        int kvRows = c.nKvHeads() * phs;
        List<List<LinearShape>> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            List<LinearShape> out = new ArrayList<>();
            for (LinearKind k : layerKinds(c)) {
                int rows = switch (k) {
                    case Q -> qRows;
                    case K, V -> kvRows;
                    case O, W2 -> c.dim();
                    case W1, W3 -> c.hiddenDim();
                    case CLASSIFIER -> c.vocabSize();
                };
                int cols = switch (k) {
                    case O -> qRows;
                    case W2 -> c.hiddenDim();
                    default -> c.dim();
                };
                out.add(shape(k.tensorName(l), k, rows, cols, p.bitsFor(l, k), p,
                        io.flightllm.compress.ModelSupport.hasBias(c, k)));
            }
            layers.add(out);
        }
        LinearShape cls = shape("classifier", LinearKind.CLASSIFIER, c.vocabSize(), c.dim(),
                p.bitsFor(0, LinearKind.CLASSIFIER), p, false);
        return new ModelShape(c, phs, layers, cls, p.describe() + " (shapes only)", null);
    }

    private static LinearShape shape(String name, LinearKind k, int rows, int cols, int bits, CompressionProfile p,
                                     boolean bias) {
        DensityPlan plan = p.densityFor(k);
        byte[] blockN = plan.densitiesWithoutWeights(rows, cols);
        int rb = CompressedLinear.ceil16(rows) / 16;
        int cb = CompressedLinear.ceil16(cols) / 16;
        return new LinearShape(name, k, rows, cols, bits, p.groupFor(cols), blockN, bias,
                p.index().pick(blockN, rb, cb));
    }

    public int layerCount() {
        return layers.size();
    }

    /** Layer {@code layer}'s linear of {@code kind}, or null when the family has none (OPT has no W3). */
    public LinearShape linear(int layer, LinearKind kind) {
        for (LinearShape s : layers.get(layer)) {
            if (s.kind() == kind) {
                return s;
            }
        }
        return null;
    }

    /** The linears of every decoder layer, in {@link LinearKind#LAYER_KINDS} order: W3 only for SwiGLU MLPs. */
    public static List<LinearKind> layerKinds(ModelConfig c) {
        return io.flightllm.compress.ModelSupport.layerKinds(c);
    }

    public List<LinearKind> layerKinds() {
        return layerKinds(config);
    }

    /** True for LayerNorm models: every norm row has a bias row (stored after all weight rows). */
    public boolean normBias() {
        return config.norm() == ModelConfig.NormKind.LAYER_NORM;
    }

    /** Every linear, classifier last. */
    public List<LinearShape> linears() {
        List<LinearShape> all = new ArrayList<>();
        layers.forEach(all::addAll);
        all.add(classifier);
        return all;
    }
}
