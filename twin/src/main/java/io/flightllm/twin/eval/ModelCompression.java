package io.flightllm.twin.eval;

import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.HeadPadding;
import io.flightllm.compress.CalibrationStats;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link CompressedModel} from an FP32 LLaMA {@link Model} with one method applied to every linear layer, in
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

    /** Every linear of {@code model}, in CompressedModel order: per layer wq, wk, wv, wo, w1, w2, w3; classifier. */
    public static List<Linear> linears(Model model) {
        ModelConfig c = model.config();
        requireLlama(c);
        int hs = c.headSize();
        int hsp = CompressedLinear.ceil16(hs);
        List<Linear> out = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights lw = model.weights().layers().get(l);
            String p = name(l, "");
            out.add(new Linear(p + "wq", HeadPadding.padRows(lw.wq().toFloatArray(), c.nHeads(), hs, hsp, c.dim()),
                    c.nHeads() * hsp, c.dim()));
            out.add(new Linear(p + "wk", HeadPadding.padRows(lw.wk().toFloatArray(), c.nKvHeads(), hs, hsp, c.dim()),
                    c.nKvHeads() * hsp, c.dim()));
            out.add(new Linear(p + "wv", HeadPadding.padRows(lw.wv().toFloatArray(), c.nKvHeads(), hs, hsp, c.dim()),
                    c.nKvHeads() * hsp, c.dim()));
            out.add(new Linear(p + "wo", HeadPadding.padColumns(lw.wo().toFloatArray(), c.dim(), c.nHeads(), hs, hsp),
                    c.dim(), c.nHeads() * hsp));
            out.add(new Linear(p + "w1", lw.w1().toFloatArray(), c.hiddenDim(), c.dim()));
            out.add(new Linear(p + "w2", lw.w2().toFloatArray(), c.dim(), c.hiddenDim()));
            out.add(new Linear(p + "w3", lw.w3().toFloatArray(), c.hiddenDim(), c.dim()));
        }
        out.add(new Linear("classifier", model.weights().classifier().toFloatArray(), c.vocabSize(), c.dim()));
        return out;
    }

    /**
     * @param calibration per linear name, its input statistics in the compressed layout (or null: none)
     */
    public static CompressedModel compress(Model model, Map<String, CalibrationStats> calibration,
                                           LinearMethod method, String recipe) {
        Map<String, CompressedLinear> done = new LinkedHashMap<>();
        for (Linear l : linears(model)) {
            CalibrationStats s = calibration == null ? null : calibration.get(l.name());
            done.put(l.name(), method.compress(l, s));
        }
        ModelConfig c = model.config();
        List<CompressedLayer> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights lw = model.weights().layers().get(l);
            String p = name(l, "");
            layers.add(new CompressedLayer(lw.attnNorm().toFloatArray(), null, done.get(p + "wq"), done.get(p + "wk"),
                    done.get(p + "wv"), done.get(p + "wo"), lw.ffnNorm().toFloatArray(), null, done.get(p + "w1"),
                    done.get(p + "w2"), done.get(p + "w3")));
        }
        return new CompressedModel(c, model.weights().tokenEmbedding().toFloatArray(), layers,
                model.weights().finalNorm().toFloatArray(), null, done.get("classifier"), recipe);
    }

    static String name(int layer, String kind) {
        return "layers." + layer + "." + kind;
    }

    static void requireLlama(ModelConfig c) {
        if (c.family() != ModelConfig.Family.LLAMA) {
            throw new IllegalArgumentException("evaluation compresses LLaMA-family models, not " + c.family());
        }
    }


}
