package io.flightllm.twin.eval;

import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.WeightSource;
import io.flightllm.compress.algo.CalibrationCollector;
import io.flightllm.compress.algo.InputQuantizationFit;
import io.flightllm.compress.CalibrationStats;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.Weights;
import io.flightllm.model.forward.DecoderForward;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.forward.ScalarMatVec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;

/**
 * Input statistics of every linear, recorded from the FP32 reference forward pass over calibration sequences
 * (teacher forcing), by wrapping its {@link MatVec}: the reference pass of the model's family (LlamaForward,
 * OptForward) is not changed. The wo inputs are re-laid out with the compressed model's head padding (zero columns),
 * so the statistics match the compressed shapes. For OPT with project_in/out, the classifier's statistics are those of
 * project_out's input, which the folded classifier reads.
 */
public final class Calibration {
    private Calibration() {
    }

    /** Per linear name (as in {@link ModelCompression#linears}), its statistics over every token of the corpus. */
    public static Map<String, CalibrationStats> collect(Model model, Corpus corpus, boolean withHessian) {
        Map<String, CalibrationStats> out = new LinkedHashMap<>();
        record(model.config(), model.weights(), corpus, cols -> new CalibrationCollector(cols, withHessian),
                (col, x) -> col.add(x, 0)).forEach((k, v) -> out.put(k, v.stats()));
        return out;
    }

    /**
     * Per linear name, the {@link InputQuantizationFit} statistics (X^T X~ and the INT8-quantized inputs' Hessian) of
     * the FP32 forward pass over {@code source} (e.g. the smoothed model, whose linears then see the smoothed inputs).
     */
    public static Map<String, InputQuantizationFit.Stats> collectInputFit(WeightSource source, Corpus corpus) {
        Map<String, InputQuantizationFit.Stats> out = new LinkedHashMap<>();
        record(source.config(), WeightOnlyModel.weights(source), corpus, InputQuantizationFit.Collector::new,
                (col, x) -> col.add(x, 0)).forEach((k, v) -> out.put(k, v.stats()));
        return out;
    }

    /**
     * As {@link #collectInputFit(WeightSource, Corpus)}, but the inputs X~ are those of {@code quantized} (the
     * compressed model's dequantized weights run by the FP32 forward pass with INT8 linear inputs, FP32 attention),
     * paired token by token with the targets X of {@code source}'s FP32 pass: a fit then also absorbs the error of
     * the layers upstream (as far as it is linear in the inputs).
     */
    public static Map<String, InputQuantizationFit.Stats> collectInputFit(WeightSource source,
                                                                          CompressedModel quantized, Corpus corpus) {
        Map<String, InputQuantizationFit.Stats> out = new LinkedHashMap<>();
        recordPaired(source.config(), WeightOnlyModel.weights(source), WeightOnlyModel.weights(quantized),
                WeightOnlyModel.int8Inputs(new ScalarMatVec()), corpus, InputQuantizationFit.Collector::new,
                (col, x, xq) -> col.add(x, 0, xq, 0)).forEach((k, v) -> out.put(k, v.stats()));
        return out;
    }

    /** A linear as the recorders see it: its name and input width in the compressed layout (wo: head-padded). */
    private record Site(String name, int cols, boolean padded) {
    }

    /** Receives a target row and an input row of one linear. */
    @FunctionalInterface
    interface PairSink<T> {
        void accept(T sink, float[] target, float[] input);
    }

    /**
     * Runs the FP32 forward pass over {@code weights} along every corpus sequence and hands each linear's input row
     * (wo: head-padded) to that linear's sink, made by {@code make} from its input width.
     */
    static <T> Map<String, T> record(ModelConfig c, Weights weights, Corpus corpus, IntFunction<T> make,
                                     BiConsumer<T, float[]> add) {
        Map<Tensor, Site> sites = sites(c, weights);
        Map<String, T> sinks = sinks(sites, make);
        Map<String, float[]> rows = buffers(sites);
        MatVec recorder = recorder(c, sites, rows, new ScalarMatVec(), s -> add.accept(sinks.get(s), rows.get(s)));
        DecoderForward f = DecoderForward.create(c, weights, recorder, maxLength(corpus));
        for (int[] seq : corpus.sequences()) {
            for (int pos = 0; pos < seq.length; pos++) {
                f.forward(seq[pos], pos);
            }
        }
        return sinks;
    }

    /**
     * Runs two forward passes in lockstep along every corpus sequence, the FP32 pass over {@code target} and the pass
     * over {@code input} with the kernel {@code inputKernel}, and hands each linear's two input rows (the same token)
     * to its sink.
     */
    static <T> Map<String, T> recordPaired(ModelConfig c, Weights target, Weights input, MatVec inputKernel,
                                           Corpus corpus, IntFunction<T> make, PairSink<T> add) {
        Map<Tensor, Site> targetSites = sites(c, target);
        Map<Tensor, Site> inputSites = sites(c, input);
        Map<String, T> sinks = sinks(inputSites, make);
        Map<String, float[]> targetRows = buffers(targetSites);
        Map<String, float[]> inputRows = buffers(inputSites);
        MatVec targetRecorder = recorder(c, targetSites, targetRows, new ScalarMatVec(), s -> { });
        MatVec inputRecorder = recorder(c, inputSites, inputRows, inputKernel,
                s -> add.accept(sinks.get(s), targetRows.get(s), inputRows.get(s)));
        int maxLen = maxLength(corpus);
        DecoderForward ft = DecoderForward.create(c, target, targetRecorder, maxLen);
        DecoderForward fi = DecoderForward.create(c, input, inputRecorder, maxLen);
        for (int[] seq : corpus.sequences()) {
            for (int pos = 0; pos < seq.length; pos++) {
                ft.forward(seq[pos], pos); // every linear's target row is buffered before the input pass reads it
                fi.forward(seq[pos], pos);
            }
        }
        return sinks;
    }

    private static Map<Tensor, Site> sites(ModelConfig c, Weights weights) {
        ModelCompression.requireSupported(c);
        int hsp = CompressedLinear.ceil16(c.headSize());
        Map<Tensor, Site> sites = new LinkedHashMap<>(); // Tensor has identity equality: keyed by object
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights lw = weights.layers().get(l);
            Tensor[] ts = {lw.wq(), lw.wk(), lw.wv(), lw.wo(), lw.w1(), lw.w2(), lw.w3()};
            String[] kinds = {"wq", "wk", "wv", "wo", "w1", "w2", "w3"};
            for (int i = 0; i < ts.length; i++) {
                if (ts[i] != null) { // OPT: no w3
                    sites.put(ts[i], new Site(ModelCompression.name(l, kinds[i]),
                            i == 3 ? c.nHeads() * hsp : ts[i].cols(), i == 3));
                }
            }
        }
        // the compressed classifier is project_out folded into lm_head: it reads project_out's input (dim wide)
        sites.put(c.projects() ? weights.projectOut() : weights.classifier(), new Site("classifier", c.dim(), false));
        return sites;
    }

    /** One sink per site, in CompressedModel order (per layer wq, wk, wv, wo, w1, w2, w3; classifier). */
    private static <T> Map<String, T> sinks(Map<Tensor, Site> sites, IntFunction<T> make) {
        Map<String, T> out = new LinkedHashMap<>();
        sites.values().forEach(s -> out.put(s.name(), make.apply(s.cols())));
        return out;
    }

    private static Map<String, float[]> buffers(Map<Tensor, Site> sites) {
        Map<String, float[]> out = new java.util.HashMap<>();
        sites.values().forEach(s -> out.put(s.name(), new float[s.cols()]));
        return out;
    }

    /** Lays each linear's input row out into its site's buffer (wo: per head, zero padding), calls back, computes. */
    private static MatVec recorder(ModelConfig c, Map<Tensor, Site> sites, Map<String, float[]> rows, MatVec inner,
                                   java.util.function.Consumer<String> recorded) {
        int hs = c.headSize();
        int hsp = CompressedLinear.ceil16(hs);
        return new MatVec() {
            @Override
            public void apply(Tensor w, float[] x, float[] out) {
                Site s = sites.get(w);
                if (s == null) { // project_in, and lm_head behind project_out: folded away, not compressed as is
                    inner.apply(w, x, out);
                    return;
                }
                float[] row = rows.get(s.name());
                if (s.padded()) {
                    for (int h = 0; h < c.nHeads(); h++) {
                        System.arraycopy(x, h * hs, row, h * hsp, hs);
                    }
                } else {
                    System.arraycopy(x, 0, row, 0, s.cols());
                }
                recorded.accept(s.name());
                inner.apply(w, x, out);
            }

            @Override
            public String name() {
                return "calibration recorder";
            }
        };
    }

    private static int maxLength(Corpus corpus) {
        return corpus.sequences().stream().mapToInt(s -> s.length).max().orElse(1);
    }
}
