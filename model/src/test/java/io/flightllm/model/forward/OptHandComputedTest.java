package io.flightllm.model.forward;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.Model;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.HfWriter;
import io.flightllm.model.testing.OptWriter;
import io.flightllm.model.testing.OptWriter.Spec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An independent check of the OPT semantics: a 1-layer, hidden-size-4 model computed by hand in double precision with
 * plain loops over the tensors as written to the file, following HF modeling_opt.py's formulas (position p reads row
 * p + 2, q = (W_q h + b_q) * head_dim^-0.5, softmax, ReLU MLP, LayerNorm with biased variance and eps 1e-5, final
 * LayerNorm only with pre-norm, tied head). The reference pass must agree to float precision. The test of the test:
 * the same hand computation with a position offset of 0, or without the q scaling, or with the other norm placement,
 * disagrees by far more than the tolerance, and a file whose position table is shifted (what an offset-0 loader would
 * read) fails the check.
 */
class OptHandComputedTest {
    @TempDir
    Path tmp;

    private static final int TOKENS = 3;

    /** The deliberate mistakes the check must see. */
    enum Semantics { HF, OFFSET_0, NO_Q_SCALING, OTHER_NORM_PLACEMENT }

    static Spec spec(boolean normBefore) {
        Spec s = new Spec(4, 6, 1, 2, 8, 4, true, true, 0, 3, "model.", 11);
        return normBefore ? s : s.postLn();
    }

    /** y = W x + b for W [rows][cols] row-major. */
    static double[] linear(float[] w, float[] b, double[] x, int rows) {
        int cols = x.length;
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = b[r];
            for (int j = 0; j < cols; j++) {
                s += (double) w[r * cols + j] * x[j];
            }
            y[r] = s;
        }
        return y;
    }

    static double[] layerNorm(double[] x, float[] w, float[] b) {
        int n = x.length;
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= n;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= n;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = (x[i] - mean) / Math.sqrt(var + 1e-5) * w[i] + b[i];
        }
        return y;
    }

    /** The logits of the last of {@code tokens} at positions 0.., computed by hand. */
    static double[] handLogits(Map<String, float[]> t, Spec s, int[] tokens, Semantics sem) {
        int d = s.dim();
        int heads = s.heads();
        int hd = d / heads;
        int vocab = s.vocab();
        boolean pre = s.normBefore() ^ (sem == Semantics.OTHER_NORM_PLACEMENT);
        String p = "model.decoder.layers.0.";
        String a = p + "self_attn.";
        int offset = sem == Semantics.OFFSET_0 ? 0 : 2;
        double scaling = sem == Semantics.NO_Q_SCALING ? 1.0 : Math.pow(hd, -0.5);
        int n = tokens.length;
        double[][] x = new double[n][d];
        double[][] k = new double[n][];
        double[][] v = new double[n][];
        float[] emb = t.get("model.decoder.embed_tokens.weight");
        float[] pos = t.get("model.decoder.embed_positions.weight");
        double[] last = null;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = (double) emb[tokens[i] * d + j] + pos[(i + offset) * d + j];
            }
            double[] h = pre ? layerNorm(x[i], t.get(p + "self_attn_layer_norm.weight"),
                    t.get(p + "self_attn_layer_norm.bias")) : x[i];
            double[] q = linear(t.get(a + "q_proj.weight"), t.get(a + "q_proj.bias"), h, d);
            for (int j = 0; j < d; j++) {
                q[j] *= scaling;
            }
            k[i] = linear(t.get(a + "k_proj.weight"), t.get(a + "k_proj.bias"), h, d);
            v[i] = linear(t.get(a + "v_proj.weight"), t.get(a + "v_proj.bias"), h, d);
            double[] o = new double[d];
            for (int hh = 0; hh < heads; hh++) {
                double[] score = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int u = 0; u <= i; u++) {
                    for (int j = 0; j < hd; j++) {
                        score[u] += q[hh * hd + j] * k[u][hh * hd + j];
                    }
                    max = Math.max(max, score[u]);
                }
                double sum = 0;
                for (int u = 0; u <= i; u++) {
                    score[u] = Math.exp(score[u] - max);
                    sum += score[u];
                }
                for (int u = 0; u <= i; u++) {
                    for (int j = 0; j < hd; j++) {
                        o[hh * hd + j] += score[u] / sum * v[u][hh * hd + j];
                    }
                }
            }
            double[] attn = linear(t.get(a + "out_proj.weight"), t.get(a + "out_proj.bias"), o, d);
            double[] r = new double[d];
            for (int j = 0; j < d; j++) {
                r[j] = x[i][j] + attn[j];
            }
            if (!pre) {
                r = layerNorm(r, t.get(p + "self_attn_layer_norm.weight"), t.get(p + "self_attn_layer_norm.bias"));
            }
            double[] h2 = pre ? layerNorm(r, t.get(p + "final_layer_norm.weight"), t.get(p + "final_layer_norm.bias"))
                    : r;
            double[] f = linear(t.get(p + "fc1.weight"), t.get(p + "fc1.bias"), h2, s.ffn());
            for (int j = 0; j < f.length; j++) {
                f[j] = Math.max(f[j], 0);
            }
            double[] f2 = linear(t.get(p + "fc2.weight"), t.get(p + "fc2.bias"), f, d);
            double[] out = new double[d];
            for (int j = 0; j < d; j++) {
                out[j] = r[j] + f2[j];
            }
            if (!pre) {
                out = layerNorm(out, t.get(p + "final_layer_norm.weight"), t.get(p + "final_layer_norm.bias"));
            }
            last = out;
        }
        if (s.normBefore()) { // the decoder's final LayerNorm exists only with pre-norm layers
            last = layerNorm(last, t.get("model.decoder.final_layer_norm.weight"),
                    t.get("model.decoder.final_layer_norm.bias"));
        }
        return linear(emb, new float[vocab], last, vocab); // tied head
    }

    static double maxDiff(double[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    static double maxDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    /** Float precision through one small layer: errors are ~1e-6; real mistakes move logits by ~0.1 or more. */
    private static final double TOLERANCE = 1e-4;

    private static final int[] PROMPT = {2, 100, 37};

    float[] referenceLogits(Path dir) {
        try (Model m = ModelLoader.load(dir)) {
            DecoderForward f = DecoderForward.create(m.config(), m.weights(), new ScalarMatVec(), TOKENS);
            float[] logits = null;
            for (int i = 0; i < TOKENS; i++) {
                logits = f.forward(PROMPT[i], i);
            }
            return logits.clone();
        }
    }

    @ParameterizedTest(name = "do_layer_norm_before = {0}")
    @ValueSource(booleans = {true, false})
    void referenceAgreesWithTheHandComputationAndTheCheckSeesEachMistake(boolean normBefore) throws IOException {
        Spec s = spec(normBefore);
        Path dir = tmp.resolve("hand" + normBefore);
        OptWriter.write(s, dir);
        Map<String, float[]> t = OptWriter.floats(OptWriter.entries(s));
        float[] ref = referenceLogits(dir);
        double[] hand = handLogits(t, s, PROMPT, Semantics.HF);
        assertThat(maxDiff(hand, ref)).as("reference vs hand-computed logits").isLessThan(TOLERANCE);
        for (Semantics wrong : new Semantics[] {Semantics.OFFSET_0, Semantics.NO_Q_SCALING,
                Semantics.OTHER_NORM_PLACEMENT}) {
            assertThat(maxDiff(handLogits(t, s, PROMPT, wrong), ref)).as("%s is caught", wrong)
                    .isGreaterThan(100 * TOLERANCE);
        }
    }

    /** A position table shifted up by two rows is what a loader with offset 0 would feed the pass: caught. */
    @ParameterizedTest(name = "do_layer_norm_before = {0}")
    @ValueSource(booleans = {true, false})
    void aLoaderWithOffsetZeroWouldBeCaught(boolean normBefore) throws IOException {
        Spec s = spec(normBefore);
        List<HfWriter.Entry> entries = new java.util.ArrayList<>(OptWriter.entries(s));
        Map<String, float[]> t = OptWriter.floats(entries);
        String name = "model.decoder.embed_positions.weight";
        float[] pos = t.get(name);
        float[] shifted = new float[pos.length];
        System.arraycopy(pos, 0, shifted, 2 * s.dim(), pos.length - 2 * s.dim()); // row p + 2 now holds old row p
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).name().equals(name)) {
                HfWriter.Entry e = entries.get(i);
                entries.set(i, new HfWriter.Entry(name, "F32", e.shape(), HfWriter.encode(shifted, "F32")));
            }
        }
        Path dir = tmp.resolve("shifted" + normBefore);
        OptWriter.write(s, dir);
        HfWriter.writeSafetensors(dir.resolve("model.safetensors"), entries, Map.of("format", "pt"));
        float[] wrong = referenceLogits(dir);
        double[] hand = handLogits(t, s, PROMPT, Semantics.HF);
        assertThat(maxDiff(hand, handLogits(t, s, PROMPT, Semantics.OFFSET_0))).isGreaterThan(100 * TOLERANCE);
        assertThat(maxDiff(hand, wrong)).as("offset-0 positions are caught").isGreaterThan(100 * TOLERANCE);
    }
}
