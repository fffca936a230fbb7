package io.flightllm.compress.flm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.arch.container.ContainerWriter;
import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelSupport;
import io.flightllm.compress.algo.AttentionMask;
import io.flightllm.model.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a {@code .flm} file as the model streams in ({@link ModelCompressor.Sink}) through the shared container
 * framing ({@link ContainerWriter}): payloads go to a temporary file in the target's directory as they arrive, the
 * manifest and header follow at {@link #end}, and only then is the file renamed over the target (atomically where the
 * file system allows). If anything fails before that, {@link #close} deletes the temporary file, so the target is
 * either the old file or the complete new one.
 */
public final class FlmWriter implements ModelCompressor.Sink, AutoCloseable {
    private final ContainerWriter out;
    private final List<FlmManifest.LayerEntry> layers = new ArrayList<>();
    private ModelConfig config;
    private int paddedHeadSize;
    private String recipe;
    private String positionEmbedding;
    private AttentionMask attentionMask;

    private FlmWriter(ContainerWriter out) {
        this.out = out;
    }

    /** Starts writing {@code target} (created or replaced only when {@link #end} completes). */
    public static FlmWriter create(Path target) {
        return new FlmWriter(ContainerWriter.create(FlmLayout.CONTAINER, target));
    }

    /** Writes a whole in-memory model. */
    public static void write(CompressedModel m, Path target) {
        try (FlmWriter w = create(target)) {
            w.attentionMask(m.attentionMask());
            w.begin(m.config(), m.paddedHeadSize(), m.recipe(), m.tokenEmbedding(), m.positionEmbedding());
            for (int i = 0; i < m.layers().size(); i++) {
                w.layer(i, m.layers().get(i));
            }
            w.end(m.finalNorm(), m.finalNormBias(), m.classifier());
        }
    }

    /** The block-sparse prefill mask to record (null, the default: dense causal attention). */
    public void attentionMask(AttentionMask mask) {
        attentionMask = mask;
    }

    @Override
    public void begin(ModelConfig c, int phs, String r, float[] tokenEmbedding, float[] positions) {
        ModelSupport.Refusal refusal = ModelSupport.check(c); // what the reader would refuse is never written
        if (refusal != null) {
            throw new IllegalArgumentException("a .flm holds " + ModelSupport.SUPPORTED + ": " + refusal.message());
        }
        config = c;
        paddedHeadSize = phs;
        recipe = r;
        out.floats("token_embedding", tokenEmbedding);
        expect(positions != null, ModelConfig.PositionKind.LEARNED.equals(c.positions()), "the position table");
        positionEmbedding = positions == null ? null : out.floats("position_embedding", positions);
    }

    @Override
    public void layer(int index, CompressedLayer layer) {
        boolean ln = config.norm() == ModelConfig.NormKind.LAYER_NORM;
        expect(layer.attnNormBias() != null, ln, "layer " + index + ": norm biases (attn_norm_bias)");
        expect(layer.ffnNormBias() != null, ln, "layer " + index + ": norm biases (ffn_norm_bias)");
        String an = out.floats("layers." + index + ".attn_norm", layer.attnNorm());
        String anb = ln ? out.floats("layers." + index + ".attn_norm_bias", layer.attnNormBias()) : null;
        String fn = out.floats("layers." + index + ".ffn_norm", layer.ffnNorm());
        String fnb = ln ? out.floats("layers." + index + ".ffn_norm_bias", layer.ffnNormBias()) : null;
        List<FlmManifest.LinearEntry> lin = new ArrayList<>();
        CompressedLinear[] ls = {layer.wq(), layer.wk(), layer.wv(), layer.wo(), layer.w1(), layer.w2(), layer.w3()};
        List<LinearKind> kinds = ModelSupport.layerKinds(config);
        expect(layer.w3() != null, kinds.contains(LinearKind.W3), "layer " + index + ": w3");
        for (LinearKind k : kinds) {
            lin.add(linear(ls[k.ordinal()], k));
        }
        layers.add(new FlmManifest.LayerEntry(an, anb, fn, fnb, lin));
    }

    /** Refuses a model whose parts do not match its config (a LLaMA layer with norm biases, OPT without them). */
    private void expect(boolean present, boolean wanted, String what) {
        if (present != wanted) {
            throw new IllegalArgumentException(what + (present ? " present" : " missing") + "; a " + config.family()
                    + " model with norm " + config.norm() + " and positions " + config.positions()
                    + (wanted ? " has them" : " has none"));
        }
    }

    private void expectFinal(boolean present, boolean wanted, String what) {
        if (present != wanted) {
            throw new IllegalArgumentException(what + (present ? " present" : " missing") + "; config final_norm is "
                    + config.finalNorm() + " (norm " + config.norm() + ")");
        }
    }

    @Override
    public void end(float[] finalNorm, float[] finalNormBias, CompressedLinear classifier) {
        boolean fn = config.finalNorm();
        boolean ln = config.norm() == ModelConfig.NormKind.LAYER_NORM;
        expectFinal(finalNorm != null, fn, "the final norm");
        expectFinal(finalNormBias != null, fn && ln, "the final norm bias");
        String fin = fn ? out.floats("final_norm", finalNorm) : null;
        String finBias = fn && ln ? out.floats("final_norm_bias", finalNormBias) : null;
        FlmManifest.LinearEntry cls = linear(classifier, LinearKind.CLASSIFIER);
        // the container writer fills in the payload table it kept while writing
        FlmManifest m = new FlmManifest(FlmLayout.VERSION, config, paddedHeadSize, recipe, "token_embedding",
                positionEmbedding, fin, finBias, layers, cls, List.of(), attentionMask);
        ObjectMapper om = new ObjectMapper();
        ObjectNode json = m.toJson(om);
        out.finish(json);
    }

    private FlmManifest.LinearEntry linear(CompressedLinear l, LinearKind kind) {
        byte[] d = l.blockDensities();
        int[] perRow = FlmLayout.valuesPerRow(d, l.rowBlocks(), l.colBlocks());
        String n = l.name();
        String values = out.payload(n + ".values", FlmPacking.packValues(l.values(), perRow, l.bits()));
        String positions = l.positions().length == 0 ? null
                : l.indexEncoding() == IndexEncoding.MASK16
                ? out.payload(n + ".masks", FlmPacking.packMasks(l.positions(), d, l.rowBlocks(), l.colBlocks()))
                : out.payload(n + ".positions", FlmPacking.packNibbles(l.positions()));
        String densities = out.payload(n + ".densities", d);
        String scales = out.payload(n + ".scales", FlmPacking.packShorts(l.scaleBits()));
        String bias = l.bias() == null ? null : out.floats(n + ".bias", l.bias());
        return new FlmManifest.LinearEntry(n, kind, l.rows(), l.cols(), l.bits(), l.groupSize(), values, positions,
                l.indexEncoding(), densities, scales, bias);
    }

    /** Deletes the temporary file unless {@link #end} completed. */
    @Override
    public void close() {
        out.close();
    }
}
