package io.flightllm.twin.eval;

import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.HeadPadding;
import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelSupport;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.compress.ProjectionFold;
import io.flightllm.compress.WeightSource;
import io.flightllm.compress.algo.SmoothQuant;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link CompressedModel} from an FP32 LLaMA or OPT {@link Model} (OPT's project_in/out folded) with one method applied to every linear layer, in
 * the compressed layout (CompressedModel's head padding: q/k/v rows and wo columns padded per head to a multiple of
 * 16). This is the evaluation's own small driver for the compression algorithms; the production pipeline with the
 * {@code .flm} container lives in {@code compress} (another lane) and replaces it once merged.
 */
public final class ModelCompression {
    private ModelCompression() {
    }

    /** One linear as the compressors see it: FP32 [rows][cols] in the compressed (head-padded) layout. */
    public record Linear(String name, float[] w, int rows, int cols) {
    }

    /** Compresses one linear; {@code stats} is null when no calibration was collected. */
    @FunctionalInterface
    public interface LinearMethod {
        CompressedLinear compress(Linear l, CalibrationStats stats);
    }

    /** Every linear of {@code model}, in CompressedModel order: per layer wq, wk, wv, wo, w1, w2, w3 (not OPT); classifier. */
    public static List<Linear> linears(Model model) {
        return linears(new ModelWeightSource(model));
    }

    /** Every linear of {@code source} (e.g. a smoothed model), in CompressedModel order. */
    public static List<Linear> linears(WeightSource source) {
        requireSupported(source.config());
        source = ProjectionFold.of(source);
        ModelConfig c = source.config();
        int hs = c.headSize();
        int hsp = CompressedLinear.ceil16(hs);
        List<Linear> out = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            for (LinearKind k : ModelSupport.layerKinds(c)) {
                float[] w = source.matrix(l, k);
                int[] shape = ModelCompressor.sourceShape(c, k);
                out.add(switch (k) {
                    case Q -> new Linear(k.tensorName(l), HeadPadding.padRows(w, c.nHeads(), hs, hsp, c.dim()),
                            c.nHeads() * hsp, c.dim());
                    case K, V -> new Linear(k.tensorName(l), HeadPadding.padRows(w, c.nKvHeads(), hs, hsp, c.dim()),
                            c.nKvHeads() * hsp, c.dim());
                    case O -> new Linear(k.tensorName(l), HeadPadding.padColumns(w, c.dim(), c.nHeads(), hs, hsp),
                            c.dim(), c.nHeads() * hsp);
                    default -> new Linear(k.tensorName(l), w, shape[0], shape[1]);
                });
            }
        }
        out.add(new Linear("classifier", source.matrix(-1, LinearKind.CLASSIFIER), c.vocabSize(), c.dim()));
        return out;
    }

    /**
     * @param calibration per linear name, its input statistics in the compressed layout (or null: none)
     */
    public static CompressedModel compress(Model model, Map<String, CalibrationStats> calibration,
                                           LinearMethod method, String recipe) {
        return compress(new ModelWeightSource(model), calibration, method, recipe);
    }

    /** As {@link #compress(Model, Map, LinearMethod, String)} from any FP32 weights (e.g. a smoothed model). */
    public static CompressedModel compress(WeightSource source, Map<String, CalibrationStats> calibration,
                                           LinearMethod method, String recipe) {
        source = ProjectionFold.of(source); // the compressed form holds no project_in/out
        Map<String, CompressedLinear> done = new LinkedHashMap<>();
        for (Linear l : linears(source)) {
            CalibrationStats s = calibration == null ? null : calibration.get(l.name());
            done.put(l.name(), method.compress(l, s));
        }
        ModelConfig c = source.config();
        List<CompressedLayer> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            CompressedLinear[] ls = new CompressedLinear[LinearKind.LAYER_KINDS.size()];
            for (LinearKind k : ModelSupport.layerKinds(c)) {
                ls[k.ordinal()] = done.get(k.tensorName(l))
                        .withBias(ModelCompressor.paddedBias(c, k, source.bias(l, k), source, l));
            }
            layers.add(new CompressedLayer(source.attnNorm(l), source.attnNormBias(l), ls[0], ls[1], ls[2], ls[3],
                    source.ffnNorm(l), source.ffnNormBias(l), ls[4], ls[5], ls[6]));
        }
        return new CompressedModel(c, source.tokenEmbedding(), source.positionEmbedding(), layers,
                source.finalNorm(), source.finalNormBias(), done.get("classifier"), recipe, null);
    }

    /** A SmoothQuant fit on {@code model} with its calibration statistics (which must hold the column maxima). */
    public static SmoothQuant fitSmoothing(Model model, Map<String, CalibrationStats> calibration,
                                           SmoothQuant.Options options) {
        return SmoothQuant.fit(new ModelWeightSource(model), source(calibration), options);
    }

    /** The statistics of the smoothed inputs, per linear name. */
    public static Map<String, CalibrationStats> smoothed(SmoothQuant sq, Map<String, CalibrationStats> calibration) {
        Map<String, CalibrationStats> out = new LinkedHashMap<>();
        ModelCompressor.CalibrationSource smoothed = sq.apply(source(calibration));
        for (int l = 0; calibration.containsKey(LinearKind.Q.tensorName(l)); l++) {
            for (LinearKind k : LinearKind.LAYER_KINDS) {
                if (calibration.containsKey(k.tensorName(l))) { // OPT has no w3
                    out.put(k.tensorName(l), smoothed.stats(l, k));
                }
            }
        }
        out.put("classifier", smoothed.stats(-1, LinearKind.CLASSIFIER));
        return out;
    }

    /** A name-keyed map as the pipeline's calibration source. */
    public static ModelCompressor.CalibrationSource source(Map<String, CalibrationStats> calibration) {
        return (layer, kind) -> calibration.get(kind.tensorName(layer));
    }

    static String name(int layer, String kind) {
        return "layers." + layer + "." + kind;
    }

    static void requireSupported(ModelConfig c) {
        ModelSupport.Refusal r = ModelSupport.checkSource(c);
        if (r != null) {
            throw new IllegalArgumentException("evaluation compresses " + ModelSupport.SUPPORTED + ": "
                    + r.message());
        }
    }


}
