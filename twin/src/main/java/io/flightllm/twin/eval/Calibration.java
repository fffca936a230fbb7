package io.flightllm.twin.eval;

import io.flightllm.compress.CompressedLinear;
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
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;

/**
 * Input statistics of every linear, recorded from the FP32 reference forward pass over calibration sequences
 * (teacher forcing), by wrapping its {@link MatVec}: the reference pass of the model's family (LlamaForward,
 * OptForward) is not changed. The wo inputs are re-laid out with the compressed model's head padding (zero columns),
 * so the statistics match the compressed shapes.
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
     * Runs the FP32 forward pass over {@code weights} along every corpus sequence and hands each linear's input row
     * (wo: head-padded) to that linear's sink, made by {@code make} from its input width.
     */
    static <T> Map<String, T> record(ModelConfig c, Weights weights, Corpus corpus, IntFunction<T> make,
                                     BiConsumer<T, float[]> add) {
        ModelCompression.requireSupported(c);
        int hs = c.headSize();
        int hsp = CompressedLinear.ceil16(hs);
        Map<Tensor, T> byTensor = new IdentityHashMap<>();
        Map<Tensor, Boolean> padded = new IdentityHashMap<>();
        Map<String, T> byName = new LinkedHashMap<>();
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights lw = weights.layers().get(l);
            Tensor[] ts = {lw.wq(), lw.wk(), lw.wv(), lw.wo(), lw.w1(), lw.w2(), lw.w3()};
            String[] kinds = {"wq", "wk", "wv", "wo", "w1", "w2", "w3"};
            for (int i = 0; i < ts.length; i++) {
                if (ts[i] == null) { // OPT: no w3
                    continue;
                }
                int cols = i == 3 ? c.nHeads() * hsp : ts[i].cols();
                T col = make.apply(cols);
                byTensor.put(ts[i], col);
                byName.put(ModelCompression.name(l, kinds[i]), col);
            }
            padded.put(lw.wo(), true);
        }
        T cls = make.apply(c.dim());
        byTensor.put(weights.classifier(), cls);
        byName.put("classifier", cls);
        float[] pad = new float[c.nHeads() * hsp];
        MatVec recorder = new MatVec() {
            final ScalarMatVec inner = new ScalarMatVec();

            @Override
            public void apply(Tensor w, float[] x, float[] out) {
                T col = byTensor.get(w);
                if (padded.containsKey(w)) {
                    for (int h = 0; h < c.nHeads(); h++) {
                        System.arraycopy(x, h * hs, pad, h * hsp, hs);
                    }
                    add.accept(col, pad);
                } else {
                    add.accept(col, x);
                }
                inner.apply(w, x, out);
            }

            @Override
            public String name() {
                return "calibration recorder";
            }
        };
        int maxLen = corpus.sequences().stream().mapToInt(s -> s.length).max().orElse(1);
        DecoderForward f = DecoderForward.create(c, weights, recorder, maxLen);
        for (int[] seq : corpus.sequences()) {
            for (int pos = 0; pos < seq.length; pos++) {
                f.forward(seq[pos], pos);
            }
        }
        return byName;
    }
}
