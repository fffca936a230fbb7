package io.flightllm.compress.algo;

import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.ForwardingWeightSource;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelSupport;
import io.flightllm.compress.ProjectionFold;
import io.flightllm.compress.WeightSource;
import io.flightllm.model.ModelConfig;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * SmoothQuant (Xiao et al. 2023): per input channel j of a linear, s_j = max|X_j|^alpha / max|W_j|^(1 - alpha);
 * the activation is divided by s and the weight columns multiplied by s, so the product is unchanged in exact
 * arithmetic while the activation's channel outliers shrink before per-row INT8 quantization. The 1/s is folded
 * offline into whatever produces the activation, so the accelerator's arithmetic is unchanged:
 * <ul>
 *   <li>{@link Site#QKV}: the attention RMSNorm weight (one s for wq, wk, wv: max|W_j| over the three);</li>
 *   <li>{@link Site#GATE_UP}: the FFN RMSNorm weight (one s for w1, w3);</li>
 *   <li>{@link Site#DOWN}: w2's input silu(w1 x) * (w3 x), through w3's output rows; OPT: fc2's input relu(fc1 x + b1),
 *       through fc1's output rows and bias (relu commutes with a positive per-channel scale: relu(y / s) = relu(y) / s);</li>
 *   <li>{@link Site#OUT}: wo's input (the attention output), through wv's output rows: one s per KV-head channel,
 *       shared by the query heads of its group (exact under GQA: each head's output is a convex mix of its KV
 *       head's v rows);</li>
 *   <li>{@link Site#CLASSIFIER}: the final RMSNorm weight.</li>
 * </ul>
 * OPT's LayerNorms compute LN(x) w + b, so dividing the weight and the bias by s divides the norm's output by s: the
 * QKV, GATE_UP (fc1) and CLASSIFIER sites fold into both; the OUT site divides wv's rows and bv (every head output is
 * a convex mix of v rows, bias included). Biases of the consuming linears stay as they are. Post-norm OPT: q/k/v and
 * fc1 read the residual stream, so QKV and GATE_UP are skipped ({@link #skipped()}); CLASSIFIER folds into the last
 * layer's FFN LayerNorm (there is no final norm).
 * Scales are computed in the source layout (real head size) from FP32 weights and calibration maxima of the FP32
 * model; {@link #apply(WeightSource)} gives the smoothed weights and {@link #apply(ModelCompressor.CalibrationSource)}
 * the calibration statistics of the smoothed inputs (X diag(1/s): column sums / s^2, H / (s_i s_j), maxima / s), so
 * GPTQ/SparseGPT/Wanda see the smoothed problem.
 */
public final class SmoothQuant {
    /** Where a smoothing scale is folded (see the class comment). */
    public enum Site {
        QKV, GATE_UP, DOWN, OUT, CLASSIFIER;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Smooth every site but {@link Site#OUT} (measured in docs/accuracy.md: folding into wv does not help). */
    public static final Set<Site> DEFAULT_SITES = EnumSet.of(Site.QKV, Site.GATE_UP, Site.DOWN, Site.CLASSIFIER);

    /** @param alpha migration strength in [0, 1]: 0 leaves activations alone, 1 moves all their range to weights */
    public record Options(double alpha, Set<Site> sites) {
        public Options {
            if (!(alpha >= 0 && alpha <= 1)) {
                throw new IllegalArgumentException("smoothing alpha " + alpha + " is outside [0, 1]");
            }
            sites = java.util.Collections.unmodifiableSet(sites.isEmpty() ? EnumSet.noneOf(Site.class)
                    : EnumSet.copyOf(sites));
        }

        public static Options of(double alpha) {
            return new Options(alpha, DEFAULT_SITES);
        }

        public String describe() {
            return String.format(Locale.ROOT, "SmoothQuant alpha %.2f at %s", alpha,
                    String.join(",", sites.stream().map(Site::id).toList()));
        }
    }

    private final ModelConfig config;
    private final Options options;
    /** [layer][site ordinal]: s per input channel in the source layout (OUT: per KV channel), null = not smoothed. */
    private final float[][][] scales;
    private final float[] classifierScale;

    private final Set<Site> sites;
    private final List<String> skipped;

    private SmoothQuant(ModelConfig config, Options options, float[][][] scales, float[] classifierScale,
                        Set<Site> sites, List<String> skipped) {
        this.config = config;
        this.options = options;
        this.scales = scales;
        this.classifierScale = classifierScale;
        this.sites = java.util.Collections.unmodifiableSet(sites);
        this.skipped = List.copyOf(skipped);
    }

    /**
     * Computes the scales of {@code source} from the per-column maxima of {@code calibration} (statistics of the
     * unsmoothed FP32 model, in the compressed layout: wo inputs head-padded).
     */
    public static SmoothQuant fit(WeightSource source, ModelCompressor.CalibrationSource calibration, Options o) {
        source = ProjectionFold.of(source); // OPT's project_in/out folded, as compress does
        ModelConfig c = source.config();
        int dim = c.dim();
        List<String> skipped = new ArrayList<>();
        Set<Site> sites = foldableSites(c, o.sites(), skipped);
        float[][][] s = new float[c.nLayers()][Site.values().length][];
        for (int l = 0; l < c.nLayers(); l++) {
            if (sites.contains(Site.QKV)) {
                s[l][Site.QKV.ordinal()] = scales(maxima(calibration, l, LinearKind.Q, dim), o.alpha(),
                        columnMax(source, l, dim, LinearKind.Q, LinearKind.K, LinearKind.V));
            }
            if (sites.contains(Site.GATE_UP)) {
                s[l][Site.GATE_UP.ordinal()] = scales(maxima(calibration, l, LinearKind.W1, dim), o.alpha(),
                        ModelSupport.layerKinds(c).contains(LinearKind.W3)
                                ? columnMax(source, l, dim, LinearKind.W1, LinearKind.W3)
                                : columnMax(source, l, dim, LinearKind.W1));
            }
            if (sites.contains(Site.DOWN)) {
                s[l][Site.DOWN.ordinal()] = scales(maxima(calibration, l, LinearKind.W2, c.hiddenDim()), o.alpha(),
                        columnMax(source, l, c.hiddenDim(), LinearKind.W2));
            }
            if (sites.contains(Site.OUT)) {
                s[l][Site.OUT.ordinal()] = outScales(c, source.matrix(l, LinearKind.O),
                        maxima(calibration, l, LinearKind.O, c.nHeads() * CompressedLinear.ceil16(c.headSize())),
                        o.alpha());
            }
        }
        float[] cls = null;
        if (sites.contains(Site.CLASSIFIER)) {
            cls = scales(maxima(calibration, -1, LinearKind.CLASSIFIER, dim), o.alpha(),
                    columnMax(source, -1, dim, LinearKind.CLASSIFIER));
        }
        return new SmoothQuant(c, o, s, cls, sites, skipped);
    }

    /**
     * The requested sites that fold exactly into {@code c}; each one left out is explained in {@code skipped}. A
     * post-norm layer's q/k/v and fc1 read the residual stream itself (the LayerNorm comes after the residual add and
     * its output is also the next block's residual), so QKV and GATE_UP have no producer to fold 1/s into. The
     * classifier reads the final norm's output, or in post-norm OPT (no final norm) the last layer's FFN LayerNorm
     * output, which feeds nothing else: CLASSIFIER folds there. A pre-norm model without a final norm has none.
     */
    static Set<Site> foldableSites(ModelConfig c, Set<Site> requested, List<String> skipped) {
        Set<Site> out = requested.isEmpty() ? EnumSet.noneOf(Site.class) : EnumSet.copyOf(requested);
        if (!c.normBefore()) {
            for (Site site : List.of(Site.QKV, Site.GATE_UP)) {
                if (out.remove(site)) {
                    skipped.add(site.id() + ": post-norm layers feed q/k/v and fc1 the residual stream itself, "
                            + "which no norm produces alone");
                }
            }
        }
        if (c.normBefore() && !c.finalNorm() && out.remove(Site.CLASSIFIER)) {
            skipped.add(Site.CLASSIFIER.id() + ": the classifier reads the residual stream (no final norm)");
        }
        return out;
    }

    /** The sites actually smoothed (the requested ones that fold into this model). */
    public Set<Site> sites() {
        return sites;
    }

    /** One line per requested site that was not smoothed, saying why (empty when all were). */
    public List<String> skipped() {
        return skipped;
    }

    /** What was done: alpha, the smoothed sites and the skipped ones. */
    public String describe() {
        String d = String.format(Locale.ROOT, "SmoothQuant alpha %.2f at %s", options.alpha(),
                String.join(",", sites.stream().map(Site::id).toList()));
        return skipped.isEmpty() ? d : d + " (skipped " + String.join("; ", skipped) + ")";
    }

    /** Post-norm OPT without a final norm: the classifier's 1/s folds into the last layer's FFN LayerNorm. */
    private boolean classifierThroughLastFfnNorm(int layer) {
        return classifierScale != null && !config.finalNorm() && !config.normBefore()
                && layer == config.nLayers() - 1;
    }

    public Options options() {
        return options;
    }

    /** The scales of one site (source layout; OUT: one per KV channel), or null when the site is not smoothed. */
    public float[] scales(int layer, Site site) {
        float[] s = site == Site.CLASSIFIER ? classifierScale : scales[layer][site.ordinal()];
        return s == null ? null : s.clone();
    }

    /** The smoothed weights: norms divided by s, consuming columns multiplied by s, producing rows divided by s. */
    public WeightSource apply(WeightSource source) {
        return new Smoothed(ProjectionFold.of(source));
    }

    /** Statistics of the smoothed inputs of every linear. */
    public ModelCompressor.CalibrationSource apply(ModelCompressor.CalibrationSource calibration) {
        return (layer, kind) -> {
            CalibrationStats st = calibration.stats(layer, kind);
            return st == null ? null : smooth(layer, kind, st);
        };
    }

    /** {@code st} (of the unsmoothed input of linear {@code kind} in {@code layer}) for the input X diag(1/s). */
    public CalibrationStats smooth(int layer, LinearKind kind, CalibrationStats st) {
        double[] d = inputDivisors(layer, kind, st.cols());
        if (d == null) {
            return st;
        }
        int n = st.cols();
        double[] sumSq = new double[n];
        for (int j = 0; j < n; j++) {
            sumSq[j] = st.columnSumSq()[j] / (d[j] * d[j]);
        }
        double[] h = null;
        if (st.hessian() != null) {
            h = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    h[i * n + j] = st.hessian()[i * n + j] / (d[i] * d[j]);
                }
            }
        }
        double[] max = null;
        if (st.columnAbsMax() != null) {
            max = new double[n];
            for (int j = 0; j < n; j++) {
                max[j] = st.columnAbsMax()[j] / d[j];
            }
        }
        return new CalibrationStats(n, st.tokens(), sumSq, h, max);
    }

    /** The divisor of each input column of a linear as handed to the compressor (wo: head-padded), or null. */
    private double[] inputDivisors(int layer, LinearKind kind, int cols) {
        float[] s = switch (kind) {
            case Q, K, V -> scales[layer][Site.QKV.ordinal()];
            case W1, W3 -> scales[layer][Site.GATE_UP.ordinal()];
            case W2 -> scales[layer][Site.DOWN.ordinal()];
            case O -> scales[layer][Site.OUT.ordinal()];
            case CLASSIFIER -> classifierScale;
        };
        if (s == null) {
            return null;
        }
        double[] d = new double[cols];
        if (kind == LinearKind.O) {
            java.util.Arrays.fill(d, 1.0);
            int hs = config.headSize();
            int phs = cols / config.nHeads();
            for (int h = 0; h < config.nHeads(); h++) {
                for (int k = 0; k < hs; k++) {
                    d[h * phs + k] = s[kvChannel(config, h, k)];
                }
            }
            return d;
        }
        if (s.length != cols) {
            throw new IllegalArgumentException("smoothing " + kind.tensorName(layer) + ": " + s.length
                    + " scales for " + cols + " input columns");
        }
        for (int j = 0; j < cols; j++) {
            d[j] = s[j];
        }
        return d;
    }

    /** The KV channel (g * headSize + k) that query head h's feature k reads. */
    static int kvChannel(ModelConfig c, int h, int k) {
        return h / (c.nHeads() / c.nKvHeads()) * c.headSize() + k;
    }

    private static double[] maxima(ModelCompressor.CalibrationSource calibration, int layer, LinearKind kind,
                                   int cols) {
        CalibrationStats st = calibration.stats(layer, kind);
        if (st == null) {
            throw new IllegalArgumentException("SmoothQuant needs calibration statistics for "
                    + kind.tensorName(layer));
        }
        double[] m = st.requireAbsMax("SmoothQuant (" + kind.tensorName(layer) + ")");
        if (m.length != cols) {
            throw new IllegalArgumentException("SmoothQuant: calibration of " + kind.tensorName(layer) + " has "
                    + m.length + " columns; expected " + cols);
        }
        return m;
    }

    /** max |W_ij| over rows i of every given matrix, per input column j (all share the input width). */
    private static double[] columnMax(WeightSource source, int layer, int cols, LinearKind... kinds) {
        double[] m = new double[cols];
        for (LinearKind k : kinds) {
            float[] w = source.matrix(layer, k);
            for (int i = 0; i < w.length; i++) {
                int j = i % cols;
                m[j] = Math.max(m[j], Math.abs(w[i]));
            }
        }
        return m;
    }

    /** s_j = xmax^alpha / wmax^(1-alpha); 1 where either range is zero (nothing to balance). */
    static float[] scales(double[] xmax, double alpha, double[] wmax) {
        float[] s = new float[xmax.length];
        for (int j = 0; j < s.length; j++) {
            double v = xmax[j] > 0 && wmax[j] > 0 ? Math.pow(xmax[j], alpha) / Math.pow(wmax[j], 1 - alpha) : 1.0;
            s[j] = Double.isFinite(v) && v > 0 ? (float) v : 1.0f;
        }
        return s;
    }

    /** One s per KV channel: the ranges are maxima over the query heads reading that channel. */
    private static float[] outScales(ModelConfig c, float[] wo, double[] xPadded, double alpha) {
        int hs = c.headSize();
        int phs = xPadded.length / c.nHeads();
        int q = c.qDim();
        double[] xmax = new double[c.kvDim()];
        double[] wmax = new double[c.kvDim()];
        for (int h = 0; h < c.nHeads(); h++) {
            for (int k = 0; k < hs; k++) {
                int ch = kvChannel(c, h, k);
                xmax[ch] = Math.max(xmax[ch], xPadded[h * phs + k]);
                for (int r = 0; r < c.dim(); r++) {
                    wmax[ch] = Math.max(wmax[ch], Math.abs(wo[r * q + h * hs + k]));
                }
            }
        }
        return scales(xmax, alpha, wmax);
    }

    /** The smoothed view of a source; every tensor is computed on request, as the source streams. */
    private final class Smoothed extends ForwardingWeightSource {
        private final WeightSource source;

        Smoothed(WeightSource source) {
            super(source);
            if (!source.config().equals(config)) {
                throw new IllegalArgumentException("smoothing scales were fitted on another model shape than "
                        + source.describe());
            }
            this.source = source;
        }

        @Override
        public ModelConfig config() {
            return config;
        }

        @Override
        public float[] attnNorm(int layer) {
            return divide(source.attnNorm(layer), scales[layer][Site.QKV.ordinal()]);
        }

        @Override
        public float[] ffnNorm(int layer) {
            return divide(source.ffnNorm(layer), ffnNormScale(layer));
        }

        private float[] ffnNormScale(int layer) {
            return classifierThroughLastFfnNorm(layer) ? classifierScale : scales[layer][Site.GATE_UP.ordinal()];
        }

        @Override
        public float[] finalNorm() {
            return divide(source.finalNorm(), classifierScale);
        }

        @Override
        public float[] attnNormBias(int layer) {
            return divide(source.attnNormBias(layer), scales[layer][Site.QKV.ordinal()]);
        }

        @Override
        public float[] ffnNormBias(int layer) {
            return divide(source.ffnNormBias(layer), ffnNormScale(layer));
        }

        @Override
        public float[] finalNormBias() {
            return divide(source.finalNormBias(), classifierScale);
        }

        /** Biases of the rows that produce a smoothed input: bv (OUT) and, for OPT, b1 (DOWN). */
        @Override
        public float[] bias(int layer, LinearKind kind) {
            float[] b = source.bias(layer, kind);
            return switch (kind) {
                case V -> divide(b, scales[layer][Site.OUT.ordinal()]);
                case W1 -> downThroughW1() ? divide(b, scales[layer][Site.DOWN.ordinal()]) : b;
                default -> b;
            };
        }

        /** OPT (no w3): w2's input is relu(fc1 x + b1), so DOWN folds into fc1's rows and bias. */
        private boolean downThroughW1() {
            return !ModelSupport.layerKinds(config).contains(LinearKind.W3);
        }

        @Override
        public float[] matrix(int layer, LinearKind kind) {
            float[] w = source.matrix(layer, kind);
            int dim = config.dim();
            switch (kind) {
                case Q, K -> multiplyColumns(w, dim, scales[layer][Site.QKV.ordinal()]);
                case V -> {
                    multiplyColumns(w, dim, scales[layer][Site.QKV.ordinal()]);
                    divideRows(w, dim, scales[layer][Site.OUT.ordinal()]);
                }
                case O -> {
                    float[] s = scales[layer][Site.OUT.ordinal()];
                    if (s != null) {
                        float[] perColumn = new float[config.qDim()];
                        for (int h = 0; h < config.nHeads(); h++) {
                            for (int k = 0; k < config.headSize(); k++) {
                                perColumn[h * config.headSize() + k] = s[kvChannel(config, h, k)];
                            }
                        }
                        multiplyColumns(w, config.qDim(), perColumn);
                    }
                }
                case W1 -> {
                    multiplyColumns(w, dim, scales[layer][Site.GATE_UP.ordinal()]);
                    if (downThroughW1()) {
                        divideRows(w, dim, scales[layer][Site.DOWN.ordinal()]);
                    }
                }
                case W3 -> {
                    multiplyColumns(w, dim, scales[layer][Site.GATE_UP.ordinal()]);
                    divideRows(w, dim, scales[layer][Site.DOWN.ordinal()]);
                }
                case W2 -> multiplyColumns(w, config.hiddenDim(), scales[layer][Site.DOWN.ordinal()]);
                case CLASSIFIER -> multiplyColumns(w, dim, classifierScale);
            }
            return w;
        }

        @Override
        public String describe() {
            return source.describe() + ", " + SmoothQuant.this.describe();
        }
    }

    private static float[] divide(float[] v, float[] s) {
        if (s != null && v != null) {
            for (int j = 0; j < v.length; j++) {
                v[j] /= s[j];
            }
        }
        return v;
    }

    private static void multiplyColumns(float[] w, int cols, float[] s) {
        if (s != null) {
            for (int i = 0; i < w.length; i++) {
                w[i] *= s[i % cols];
            }
        }
    }

    private static void divideRows(float[] w, int cols, float[] s) {
        if (s != null) {
            for (int i = 0; i < w.length; i++) {
                w[i] /= s[i / cols];
            }
        }
    }

    /** The sites by id ("qkv,gate_up,down"), for flags. */
    public static Set<Site> parseSites(String ids) {
        Set<Site> out = EnumSet.noneOf(Site.class);
        for (String id : ids.split(",")) {
            String t = id.strip();
            if (t.isEmpty()) {
                continue;
            }
            out.add(java.util.Arrays.stream(Site.values()).filter(x -> x.id().equals(t)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("smoothing site '" + t + "' is unknown; "
                            + "expected some of " + List.of(Site.values()).stream().map(Site::id).toList())));
        }
        return out;
    }
}
