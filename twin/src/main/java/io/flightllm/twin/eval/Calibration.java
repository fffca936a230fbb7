package io.flightllm.twin.eval;

import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.algo.CalibrationCollector;
import io.flightllm.compress.CalibrationStats;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.forward.DecoderForward;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.forward.ScalarMatVec;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

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
        ModelConfig c = model.config();
        ModelCompression.requireSupported(c);
        int hs = c.headSize();
        int hsp = CompressedLinear.ceil16(hs);
        Map<Tensor, CalibrationCollector> byTensor = new IdentityHashMap<>();
        Map<Tensor, Boolean> padded = new IdentityHashMap<>();
        Map<String, CalibrationCollector> byName = new LinkedHashMap<>();
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights lw = model.weights().layers().get(l);
            Tensor[] ts = {lw.wq(), lw.wk(), lw.wv(), lw.wo(), lw.w1(), lw.w2(), lw.w3()};
            String[] kinds = {"wq", "wk", "wv", "wo", "w1", "w2", "w3"};
            for (int i = 0; i < ts.length; i++) {
                if (ts[i] == null) { // OPT: no w3
                    continue;
                }
                int cols = i == 3 ? c.nHeads() * hsp : ts[i].cols();
                CalibrationCollector col = new CalibrationCollector(cols, withHessian);
                byTensor.put(ts[i], col);
                byName.put(ModelCompression.name(l, kinds[i]), col);
            }
            padded.put(lw.wo(), true);
        }
        CalibrationCollector cls = new CalibrationCollector(c.dim(), withHessian);
        // the compressed classifier is project_out folded into lm_head: it reads project_out's input (dim wide)
        byTensor.put(c.projects() ? model.weights().projectOut() : model.weights().classifier(), cls);
        byName.put("classifier", cls);
        float[] pad = new float[c.nHeads() * hsp];
        MatVec recorder = new MatVec() {
            final ScalarMatVec inner = new ScalarMatVec();

            @Override
            public void apply(Tensor w, float[] x, float[] out) {
                CalibrationCollector col = byTensor.get(w);
                if (col == null) {
                    // project_in, and lm_head behind project_out: folded away, not compressed as they are
                } else if (padded.containsKey(w)) {
                    for (int h = 0; h < c.nHeads(); h++) {
                        System.arraycopy(x, h * hs, pad, h * hsp, hs);
                    }
                    col.add(pad);
                } else {
                    col.add(x, 0);
                }
                inner.apply(w, x, out);
            }

            @Override
            public String name() {
                return "calibration recorder";
            }
        };
        int maxLen = corpus.sequences().stream().mapToInt(s -> s.length).max().orElse(1);
        DecoderForward f = DecoderForward.create(c, model.weights(), recorder, maxLen);
        for (int[] seq : corpus.sequences()) {
            for (int pos = 0; pos < seq.length; pos++) {
                f.forward(seq[pos], pos);
            }
        }
        Map<String, CalibrationStats> out = new LinkedHashMap<>();
        byName.forEach((k, v) -> out.put(k, v.stats()));
        return out;
    }
}
