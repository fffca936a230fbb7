package io.flightllm.twin;

import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.HeadPadding;
import io.flightllm.compress.RoundToNearest;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A test-side builder of {@link CompressedModel}s from an FP32 {@link Model}: head padding as CompressedModel
 * documents (q/k/v rows and wo columns per head padded to a multiple of 16), then {@link RoundToNearest} per linear
 * (magnitude selection). The production pipeline (ModelCompressor, another lane) replaces it outside tests.
 */
public final class TestCompressor {
    private TestCompressor() {
    }

    /** Block densities for one linear ([rows][cols] real shape). */
    @FunctionalInterface
    public interface DensityPlan {
        byte[] densities(int rows, int cols, SplittableRandom rnd);

        static DensityPlan dense() {
            return uniform(16);
        }

        static DensityPlan uniform(int n) {
            return (rows, cols, rnd) -> BlockDensity.uniform(rows, cols, n);
        }

        /** Each block drawn from {16, 16, 8, 4, 2, 2}: every N:16 mode but 0, mean density 0.5 in expectation. */
        static DensityPlan mixHalf() {
            byte[] choices = {16, 16, 8, 4, 2, 2};
            return (rows, cols, rnd) -> {
                byte[] d = BlockDensity.uniform(rows, cols, 16);
                for (int i = 0; i < d.length; i++) {
                    d[i] = choices[rnd.nextInt(choices.length)];
                }
                return d;
            };
        }
    }

    /**
     * @param bits      bit width per linear, cycled in model order (q, k, v, o, w1, w2, w3 per layer, classifier)
     * @param groupSize scale group (clamped to K16 per linear); 0 = one group per row (G = K16)
     */
    public record Recipe(String label, int[] bits, int groupSize, DensityPlan density) {
        public static Recipe of(String label, int bits, int groupSize, DensityPlan density) {
            return new Recipe(label, new int[] {bits}, groupSize, density);
        }

        @Override
        public String toString() {
            return label;
        }
    }

    public static CompressedModel compress(Model model, Recipe recipe) {
        ModelConfig c = model.config();
        int hs = c.headSize();
        int hsp = CompressedLinear.ceil16(hs);
        SplittableRandom rnd = new SplittableRandom(0x7717L);
        int[] index = {0};
        List<CompressedLayer> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights lw = model.weights().layers().get(l);
            String p = "layers." + l + ".";
            float[] wq = HeadPadding.padRows(lw.wq().toFloatArray(), c.nHeads(), hs, hsp, c.dim());
            float[] wk = HeadPadding.padRows(lw.wk().toFloatArray(), c.nKvHeads(), hs, hsp, c.dim());
            float[] wv = HeadPadding.padRows(lw.wv().toFloatArray(), c.nKvHeads(), hs, hsp, c.dim());
            float[] wo = HeadPadding.padColumns(lw.wo().toFloatArray(), c.dim(), c.nHeads(), hs, hsp);
            layers.add(new CompressedLayer(lw.attnNorm().toFloatArray(), null,
                    linear(p + "wq", wq, c.nHeads() * hsp, c.dim(), recipe, index, rnd),
                    linear(p + "wk", wk, c.nKvHeads() * hsp, c.dim(), recipe, index, rnd),
                    linear(p + "wv", wv, c.nKvHeads() * hsp, c.dim(), recipe, index, rnd),
                    linear(p + "wo", wo, c.dim(), c.nHeads() * hsp, recipe, index, rnd),
                    lw.ffnNorm().toFloatArray(), null,
                    linear(p + "w1", lw.w1().toFloatArray(), c.hiddenDim(), c.dim(), recipe, index, rnd),
                    linear(p + "w2", lw.w2().toFloatArray(), c.dim(), c.hiddenDim(), recipe, index, rnd),
                    linear(p + "w3", lw.w3().toFloatArray(), c.hiddenDim(), c.dim(), recipe, index, rnd)));
        }
        Tensor cls = model.weights().classifier();
        CompressedLinear classifier = linear("classifier", cls.toFloatArray(), c.vocabSize(), c.dim(), recipe, index,
                rnd);
        return new CompressedModel(c, model.weights().tokenEmbedding().toFloatArray(), layers,
                model.weights().finalNorm().toFloatArray(), null, classifier, "test RTN " + recipe.label());
    }

    private static CompressedLinear linear(String name, float[] w, int rows, int cols, Recipe r, int[] index,
                                           SplittableRandom rnd) {
        int k16 = CompressedLinear.ceil16(cols);
        int g = r.groupSize() == 0 ? k16 : Math.min(r.groupSize(), k16);
        int bits = r.bits()[index[0]++ % r.bits().length];
        return RoundToNearest.compress(name, w, rows, cols, bits, g, r.density().densities(rows, cols, rnd), null,
                null);
    }


}
