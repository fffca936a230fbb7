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
 * Each table is folded once per wrapper, rows in parallel (one row is one task's, so the bits do not depend on the
 * threads): opt-350m's shape (50272 x 512 -> 1024) takes 2.1 s for the token table and 1.1 s for the classifier on a
 * 2-core EPYC, where one thread with the row-by-row dot products took 19.0 and 12.6 s.
 */
public final class ProjectionFold extends ForwardingWeightSource {
    /** Rows per parallel task of a fold (each output row is one task's, so the bits do not depend on threads). */
    private static final int ROWS_PER_TASK = 64;
    private final ModelConfig source;
    private final ModelConfig folded;
    // folded once (opt-350m: 26 G multiply-adds each), handed out as copies
    private float[] tokenTable;
    private float[] classifier;

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
    public synchronized float[] tokenEmbedding() {
        if (tokenTable == null) {
            tokenTable = foldIn(need(super.tokenEmbedding(), "token_embedding",
                    (long) source.vocabSize() * source.embedDim()), need(super.projectIn(), "project_in",
                    (long) source.dim() * source.embedDim()), source.vocabSize(), source.embedDim(), source.dim());
        }
        return tokenTable.clone();
    }

    @Override
    public float[] matrix(int layer, LinearKind kind) {
        return kind == LinearKind.CLASSIFIER ? foldedClassifier() : super.matrix(layer, kind);
    }

    private synchronized float[] foldedClassifier() {
        if (classifier == null) {
            classifier = foldOut(need(super.matrix(-1, LinearKind.CLASSIFIER), "classifier",
                    (long) source.vocabSize() * source.embedDim()), need(super.projectOut(), "project_out",
                    (long) source.embedDim() * source.dim()), source.vocabSize(), source.embedDim(), source.dim());
        }
        return classifier.clone();
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
        // p transposed to [e][d]: then it is foldOut's loop (every sum still over ascending j), whose inner loop
        // runs along contiguous memory
        float[] pt = new float[Math.multiplyExact(embedDim, dim)];
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j < embedDim; j++) {
                pt[j * dim + i] = p[i * embedDim + j];
            }
        }
        return foldOut(e, pt, rows, embedDim, dim);
    }

    /** out[v][i] = sum_j w[v][j] p[j][i]: w [rows][e] times p [e][d], double sums in ascending j. */
    public static float[] foldOut(float[] w, float[] p, int rows, int embedDim, int dim) {
        float[] out = new float[Math.multiplyExact(rows, dim)];
        inRowBlocks(rows, (from, to) -> {
            double[] acc = new double[dim];
            for (int v = from; v < to; v++) {
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
        });
        return out;
    }

    /** Rows [0, rows) in blocks over the common pool; each row belongs to one block. */
    private static void inRowBlocks(int rows, java.util.function.BiConsumer<Integer, Integer> block) {
        java.util.stream.IntStream.range(0, Math.ceilDiv(rows, ROWS_PER_TASK)).parallel()
                .forEach(b -> block.accept(b * ROWS_PER_TASK, Math.min(rows, (b + 1) * ROWS_PER_TASK)));
    }

    private float[] need(float[] a, String tensor, long expected) {
        if (a == null || a.length != expected) {
            throw ModelFormatException.field(super.describe(), tensor, a == null ? "missing" : a.length + " values",
                    expected + " values (embed_dim " + source.embedDim() + ", dim " + source.dim() + ")");
        }
        return a;
    }
}
