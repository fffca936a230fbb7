package io.flightllm.twin;

import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.WeightSource;
import io.flightllm.model.Model;
import io.flightllm.model.forward.DecoderForward;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.twin.eval.Corpus;
import io.flightllm.twin.eval.LogitModel;
import io.flightllm.twin.eval.WeightOnlyModel;

/** Measurements the OPT twin tests share: the twin and fp32 passes against OptForward, over {@link #CTX} positions. */
final class OptMeasure {
    static final int CTX = 32;

    private OptMeasure() {
    }

    /** Teacher-forced top-1 agreement and mean KL(ref || twin) over sampled sequences. */
    static double[] agreement(Model m, CompressedModel cm, Corpus corpus) {
        int agree = 0;
        int n = 0;
        double kl = 0;
        try (DecoderForward ref = DecoderForward.create(m.config(), m.weights(), new ScalarMatVec(), CTX);
             FastTwin twin = new FastTwin(cm, 2, CTX)) {
            for (int[] seq : corpus.sequences()) {
                for (int p = 0; p < seq.length; p++) {
                    float[] r = ref.forward(seq[p], p);
                    float[] t = twin.forward(seq[p], p);
                    agree += Logits.argmax(r) == Logits.argmax(t) ? 1 : 0;
                    kl += Agreement.kl(r, t);
                    n++;
                }
            }
        }
        return new double[] {agree / (double) n, kl / n, n};
    }

    static float[][] reference(Model m, int[] toks) {
        float[][] out = new float[toks.length][];
        try (DecoderForward ref = DecoderForward.create(m.config(), m.weights(), new ScalarMatVec(), CTX)) {
            for (int p = 0; p < toks.length; p++) {
                out[p] = ref.forward(toks[p], p).clone();
            }
        }
        return out;
    }

    static float[][] fp32(WeightSource source, int[] toks) {
        float[][] out = new float[toks.length][];
        try (LogitModel m = WeightOnlyModel.ofSource(source, CTX, "fp32")) {
            for (int p = 0; p < toks.length; p++) {
                out[p] = m.forward(toks[p], p).clone();
            }
        }
        return out;
    }

    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }

    static float maxDiff(float[][] a, float[][] b) {
        float m = 0;
        for (int p = 0; p < a.length; p++) {
            for (int i = 0; i < a[p].length; i++) {
                m = Math.max(m, Math.abs(a[p][i] - b[p][i]));
            }
        }
        return m;
    }
}
