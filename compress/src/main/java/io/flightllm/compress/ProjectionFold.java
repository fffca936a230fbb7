package io.flightllm.compress;

import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;

/**
 * OPT's project_in/project_out folded away (the compressed form never holds them): the token table becomes
 * emb'[t][i] = sum_j P_in[i][j] emb[t][j] (P_in [dim][embed_dim]) and the classifier W'[v][i] = sum_j W[v][j] P_out[j][i]
 * (P_out [embed_dim][dim], W [vocab][embed_dim], the tied embedding when tied); each sum is accumulated in double in
 * ascending j and rounded to FP32 once. Both are exact reparametrizations of HF's pass: positions are added after
 * project_in, and project_out feeds the classifier directly. The folded config is the source's with embed_dim = dim
 * (nothing else changes; the compressed classifier is its own tensor anyway). The compiler folds the same way.
 */
public final class ProjectionFold extends ForwardingWeightSource {
    private final ModelConfig source;
    private final ModelConfig folded;

    private ProjectionFold(WeightSource inner) {
        super(inner);
        this.source = inner.config();
        this.folded = ModelSupport.compressedConfig(source);
    }

    /** {@code source} with its projections folded, or {@code source} itself when it has none. */
    public static WeightSource of(WeightSource source) {
        ModelConfig c = source.config();
        return ModelSupport.isOpt(c) && c.projects() ? new ProjectionFold(source) : source;
    }

    @Override
    public ModelConfig config() {
        return folded;
    }

    @Override
    public float[] tokenEmbedding() {
        return foldIn(need(super.tokenEmbedding(), "token_embedding", (long) source.vocabSize() * source.embedDim()),
                need(super.projectIn(), "project_in", (long) source.dim() * source.embedDim()),
                source.vocabSize(), source.embedDim(), source.dim());
    }

    @Override
    public float[] matrix(int layer, LinearKind kind) {
        if (kind != LinearKind.CLASSIFIER) {
            return super.matrix(layer, kind);
        }
        return foldOut(need(super.matrix(-1, kind), "classifier", (long) source.vocabSize() * source.embedDim()),
                need(super.projectOut(), "project_out", (long) source.embedDim() * source.dim()),
                source.vocabSize(), source.embedDim(), source.dim());
    }

    @Override
    public float[] projectIn() {
        return null;
    }

    @Override
    public float[] projectOut() {
        return null;
    }

    @Override
    public String describe() {
        return super.describe() + ", project_in/out (embed_dim " + source.embedDim()
                + ") folded into the token table and the classifier";
    }

    /** out[t][i] = sum_j p[i][j] e[t][j]: rows of e [rows][e] through p [d][e], double sums in ascending j. */
    public static float[] foldIn(float[] e, float[] p, int rows, int embedDim, int dim) {
        float[] out = new float[Math.multiplyExact(rows, dim)];
        for (int t = 0; t < rows; t++) {
            int et = t * embedDim;
            for (int i = 0; i < dim; i++) {
                int pi = i * embedDim;
                double acc = 0;
                for (int j = 0; j < embedDim; j++) {
                    acc += (double) p[pi + j] * e[et + j];
                }
                out[t * dim + i] = (float) acc;
            }
        }
        return out;
    }

    /** out[v][i] = sum_j w[v][j] p[j][i]: w [rows][e] times p [e][d], double sums in ascending j. */
    public static float[] foldOut(float[] w, float[] p, int rows, int embedDim, int dim) {
        float[] out = new float[Math.multiplyExact(rows, dim)];
        double[] acc = new double[dim];
        for (int v = 0; v < rows; v++) {
            java.util.Arrays.fill(acc, 0);
            for (int j = 0; j < embedDim; j++) {
                double wj = w[v * embedDim + j];
                int pj = j * dim;
                for (int i = 0; i < dim; i++) {
                    acc[i] += wj * p[pj + i];
                }
            }
            for (int i = 0; i < dim; i++) {
                out[v * dim + i] = (float) acc[i];
            }
        }
        return out;
    }

    private float[] need(float[] a, String tensor, long expected) {
        if (a == null || a.length != expected) {
            throw ModelFormatException.field(super.describe(), tensor, a == null ? "missing" : a.length + " values",
                    expected + " values (embed_dim " + source.embedDim() + ", dim " + source.dim() + ")");
        }
        return a;
    }
}
