package io.flightllm.compress.algo;

import io.flightllm.compress.CalibrationStats;
import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.RoundToNearest;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.Sampler;
import io.flightllm.model.Tensor;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.model.loader.Llama2cLoader;
import io.flightllm.model.testing.SharedData;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The algorithms on stories260K's real linear layers, with calibration inputs recorded from the fp32 reference forward
 * pass on sampled sequences (a recording {@link MatVec}: LlamaForward is unchanged). The first sequences calibrate,
 * the last ones are held out for the output reconstruction error.
 */
class Stories260kTest {
    static final int SEQUENCES = 16;
    static final int HELD_OUT = 4;
    static final int LENGTH = 64;

    record Linear(String name, float[] w, int rows, int cols, CalibrationStats stats, float[] held, int heldRows) {
    }

    static List<Linear> linears;

    /** Records every matrix-vector product's input, per weight tensor and sequence. */
    static final class Recorder implements MatVec {
        final ScalarMatVec inner = new ScalarMatVec();
        final Map<Tensor, List<float[]>> inputs = new IdentityHashMap<>();
        int sequence;

        @Override
        public void apply(Tensor w, float[] x, float[] out) {
            inputs.computeIfAbsent(w, k -> new ArrayList<>()).add(java.util.Arrays.copyOf(x, w.cols()));
            inner.apply(w, x, out);
        }

        @Override
        public String name() {
            return "recorder";
        }
    }

    @BeforeAll
    static void calibrate() {
        try (Model m = Llama2cLoader.load(SharedData.model("stories260K.bin"))) {
            Recorder rec = new Recorder();
            LlamaForward f = new LlamaForward(m.config(), m.weights(), rec, LENGTH);
            Sampler sampler = new Sampler(m.config().vocabSize(), 1.0f, 0.9f, 42);
            for (int s = 0; s < SEQUENCES; s++) {
                int token = 1; // BOS
                for (int pos = 0; pos < LENGTH; pos++) {
                    token = sampler.sample(f.forward(token, pos));
                }
            }
            linears = new ArrayList<>();
            for (int l = 0; l < m.config().nLayers(); l++) {
                LayerWeights lw = m.weights().layers().get(l);
                Tensor[] ts = {lw.wq(), lw.wk(), lw.wv(), lw.wo(), lw.w1(), lw.w2(), lw.w3()};
                String[] names = {"wq", "wk", "wv", "wo", "w1", "w2", "w3"};
                for (int i = 0; i < ts.length; i++) {
                    List<float[]> xs = rec.inputs.get(ts[i]);
                    assertThat(xs).hasSize(SEQUENCES * LENGTH);
                    int cols = ts[i].cols();
                    int calib = (SEQUENCES - HELD_OUT) * LENGTH;
                    CalibrationCollector c = new CalibrationCollector(cols, true);
                    for (int t = 0; t < calib; t++) {
                        c.add(xs.get(t));
                    }
                    float[] held = new float[(xs.size() - calib) * cols];
                    for (int t = calib; t < xs.size(); t++) {
                        System.arraycopy(xs.get(t), 0, held, (t - calib) * cols, cols);
                    }
                    linears.add(new Linear("layer" + l + "." + names[i], ts[i].toFloatArray(), (int) ts[i].rows(),
                            cols, c.stats(), held, xs.size() - calib));
                }
            }
        }
    }

    static double err(Linear l, CompressedLinear c) {
        return Synthetic.relativeError(l.w(), c, l.held(), l.heldRows());
    }

    @Test
    void sparsityMethodsOrderOnRealLayersAt8of16() {
        double sumMag = 0;
        double sumWanda = 0;
        double sumSgpt = 0;
        int wandaWins = 0;
        int sgptWins = 0;
        for (Linear l : linears) {
            byte[] n8 = BlockDensity.uniform(l.rows(), l.cols(), 8);
            double mag = err(l, RoundToNearest.compress("m", l.w(), l.rows(), l.cols(), 8, 16, n8, null, null));
            double wanda = err(l, WandaCompressor.N16.compress("w", 8, 16, n8, l.w(), l.rows(), l.cols(), l.stats()));
            double sgpt = err(l, SparseGptCompressor.DEFAULT.compress("s", 8, 16, n8, l.w(), l.rows(), l.cols(),
                    l.stats()));
            System.out.printf("%-10s 8:16 W8 rel. error: magnitude %.4f wanda %.4f sparsegpt %.4f%n",
                    l.name(), mag, wanda, sgpt);
            sumMag += mag;
            sumWanda += wanda;
            sumSgpt += sgpt;
            wandaWins += wanda <= mag ? 1 : 0;
            sgptWins += sgpt <= wanda ? 1 : 0;
        }
        int n = linears.size();
        System.out.printf("stories260K mean over %d linears: magnitude %.4f wanda %.4f sparsegpt %.4f "
                + "(wanda <= magnitude on %d, sparsegpt <= wanda on %d)%n", n, sumMag / n, sumWanda / n, sumSgpt / n,
                wandaWins, sgptWins);
        assertThat(sumWanda).isLessThan(0.95 * sumMag);
        assertThat(sumSgpt).isLessThan(0.9 * sumWanda);
        assertThat(sgptWins).isEqualTo(n);
    }

    @Test
    void gptqBeatsRoundToNearestOnRealLayersAt4Bits() {
        double sumRtn = 0;
        double sumGptq = 0;
        int wins = 0;
        for (Linear l : linears) {
            byte[] dense = BlockDensity.uniform(l.rows(), l.cols(), 16);
            double rtn = err(l, RoundToNearest.compress("r", l.w(), l.rows(), l.cols(), 4, 32, dense, null, null));
            double gptq = err(l, GptqCompressor.DEFAULT.compress("g", 4, 32, dense, l.w(), l.rows(), l.cols(),
                    l.stats()));
            double act = err(l, GptqCompressor.ACT_ORDER.compress("a", 4, 32, dense, l.w(), l.rows(), l.cols(),
                    l.stats()));
            System.out.printf("%-10s W4 G32 rel. error: rtn %.4f gptq %.4f gptq+act-order %.4f%n",
                    l.name(), rtn, gptq, act);
            sumRtn += rtn;
            sumGptq += gptq;
            wins += gptq <= rtn ? 1 : 0;
        }
        int n = linears.size();
        System.out.printf("stories260K mean over %d linears: rtn %.4f gptq %.4f (gptq <= rtn on %d)%n", n,
                sumRtn / n, sumGptq / n, wins);
        assertThat(sumGptq).isLessThan(0.9 * sumRtn);
        assertThat(wins).isEqualTo(n);
    }

    @Test
    void lessConstrainedPatternsReconstructBetter() {
        double[][] sum = new double[2][3]; // [wanda, sparsegpt][2:4, 4:8, 8:16]
        int[] patterns = {4, 8, 16};
        for (Linear l : linears) {
            byte[] n8 = BlockDensity.uniform(l.rows(), l.cols(), 8);
            for (int p = 0; p < 3; p++) {
                sum[0][p] += err(l, new WandaCompressor(patterns[p]).compress("w", 8, 16, n8, l.w(), l.rows(),
                        l.cols(), l.stats()));
                sum[1][p] += err(l, new SparseGptCompressor(patterns[p], true, ObsSweep.Options.DEFAULT)
                        .compress("s", 8, 16, n8, l.w(), l.rows(), l.cols(), l.stats()));
            }
        }
        int n = linears.size();
        System.out.printf("stories260K mean rel. error W8, 2:4 / 4:8 / 8:16: wanda %.4f / %.4f / %.4f, "
                + "sparsegpt %.4f / %.4f / %.4f%n", sum[0][0] / n, sum[0][1] / n, sum[0][2] / n, sum[1][0] / n,
                sum[1][1] / n, sum[1][2] / n);
        for (double[] s : sum) {
            assertThat(s[2]).isLessThan(s[1]);
            assertThat(s[1]).isLessThan(s[0]);
        }
    }

    @Test
    void mixedPrecisionOnRealLayers() {
        List<MixedPrecisionAllocator.Candidate> c = new ArrayList<>();
        for (Linear l : linears) {
            c.add(MixedPrecisionAllocator.measure(l.name(), l.w(), l.rows(), l.cols(), 32,
                    BlockDensity.uniform(l.rows(), l.cols(), 16), l.stats()));
        }
        double previous = Double.POSITIVE_INFINITY;
        for (double budget : new double[] {2.5, 3.0, 3.5, 4.0, 5.0, 8.0}) {
            MixedPrecisionAllocator.Allocation a = MixedPrecisionAllocator.allocate(c, budget,
                    MixedPrecisionAllocator.Basis.VALUES);
            int[] hist = new int[9];
            for (int b : a.bits()) {
                hist[b]++;
            }
            System.out.printf("stories260K budget %.1f value bits/weight: achieved %.3f, error %.4g, "
                    + "linears at 2/3/4/8 bits: %d/%d/%d/%d%n", budget, a.bitsPerWeight(), a.totalError(),
                    hist[2], hist[3], hist[4], hist[8]);
            assertThat(a.bitsPerWeight()).isLessThanOrEqualTo(budget);
            assertThat(a.totalError()).isLessThanOrEqualTo(previous);
            previous = a.totalError();
        }
        double uniform4 = c.stream().mapToDouble(x -> x.options().stream().filter(o -> o.bits() == 4).findFirst()
                .orElseThrow().error()).sum();
        double mixed = MixedPrecisionAllocator.allocate(c, 4.01, MixedPrecisionAllocator.Basis.VALUES).totalError();
        System.out.printf("stories260K uniform 4-bit error %.4g, mixed at 4.01 value bits/weight %.4g%n", uniform4,
                mixed);
        assertThat(mixed).isLessThanOrEqualTo(uniform4);
        MixedPrecisionAllocator.Allocation all = MixedPrecisionAllocator.allocate(c, 4.0,
                MixedPrecisionAllocator.Basis.ALL);
        System.out.printf("stories260K budget 4.0 all bits/weight (incl. G32 FP16 scales): achieved %.3f%n",
                all.bitsPerWeight());
        assertThat(all.bitsPerWeight()).isLessThanOrEqualTo(4.0);
    }
}
