package io.flightllm.compress.algo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.flightllm.arch.numerics.Int8Quantizer;
import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.CalibrationStats;
import io.flightllm.compress.CompressedLinear;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The input-quantization-aware fit on synthetic layers whose inputs have uneven column scales (so INT8 per-row
 * quantization of the inputs loses the small columns): the error measured is the accelerator's, ||X W^T - X~ Q^T||
 * with X~ the INT8-quantized inputs and Q the dequantized 8-bit weights, on held-out rows.
 */
class InputQuantizationFitTest {
    static final int ROWS = 48;
    static final int COLS = 72; // not a multiple of 16
    static final int CALIB = 1500;
    static final int HELD = 400;

    @Test
    void collectorMatchesItsDefinition() {
        int cols = 5;
        int n = 9;
        float[] x = Synthetic.gaussian(n * cols, new SplittableRandom(3));
        InputQuantizationFit.Collector c = new InputQuantizationFit.Collector(cols);
        for (int t = 0; t < n; t++) {
            c.add(x, t * cols);
        }
        InputQuantizationFit.Stats s = c.stats();
        float[] xq = quantizedRows(x, n, cols);
        assertThat(s.quantized().tokens()).isEqualTo(n);
        for (int i = 0; i < cols; i++) {
            for (int j = 0; j < cols; j++) {
                double cross = 0;
                double h = 0;
                for (int t = 0; t < n; t++) {
                    cross += 2.0 * x[t * cols + i] * xq[t * cols + j] / n;
                    h += 2.0 * xq[t * cols + i] * xq[t * cols + j] / n;
                }
                assertThat(s.cross()[i * cols + j]).isCloseTo(cross, within(1e-12));
                assertThat(s.quantized().hessian()[i * cols + j]).isCloseTo(h, within(1e-12));
            }
        }
    }

    /**
     * Low-rank inputs with one outlier column 30x the others: the row maxima are set by the outlier, so the other
     * columns get a coarse INT8 step whose rounding noise the fit can partly remove (it projects the quantized row
     * back towards the inputs' low-rank structure). With inputs of even scales the noise is fine and unstructured, and
     * the fit gains nothing on held-out rows (measured: within +-1% of W's error).
     */
    static Synthetic.Source outlierSource(long seed) {
        Synthetic.Source s = Synthetic.Source.random(COLS, seed);
        float[] scale = s.scale().clone();
        scale[3] *= 30;
        return new Synthetic.Source(COLS, s.mixing(), scale);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void fittedWeightsReduceTheQuantizedInputErrorVersusPlainGptq(long seed) {
        Synthetic.Source src = outlierSource(seed);
        float[] w = Synthetic.gaussian(ROWS * COLS, new SplittableRandom(seed + 100));
        float[] calib = src.draw(CALIB, seed + 200);
        float[] held = src.draw(HELD, seed + 300);
        InputQuantizationFit.Stats fit = collect(calib, CALIB);
        CalibrationStats plain = Synthetic.stats(calib, CALIB, COLS);
        float[] fitted = fit.fit(w, ROWS, 0.01);
        byte[] dense = BlockDensity.uniform(ROWS, COLS, 16);
        int g = CompressedLinear.ceil16(COLS);
        float[] gptq = dequantized(GptqCompressor.DEFAULT.compress("g", 8, g, dense, w, ROWS, COLS, plain));
        float[] aware = dequantized(GptqCompressor.DEFAULT.compress("a", 8, g, dense, fitted, ROWS, COLS,
                fit.quantized()));
        double eW = error(w, w, held, HELD);
        double eFit = error(w, fitted, held, HELD);
        double eGptq = error(w, gptq, held, HELD);
        double eAware = error(w, aware, held, HELD);
        System.out.printf("seed %d rel. error with INT8 inputs: W %.5f  fitted %.5f  GPTQ %.5f  fitted+GPTQ %.5f%n",
                seed, eW, eFit, eGptq, eAware);
        assertThat(eFit).isLessThan(0.95 * eW);
        assertThat(eAware).isLessThan(0.95 * eGptq);
    }

    /** Test of the test: the error measure ranks a corrupted fit worse, and a fit that changed nothing equal to W. */
    @Test
    void theErrorMeasureSeesACorruptedFit() {
        Synthetic.Source src = outlierSource(7);
        float[] w = Synthetic.gaussian(ROWS * COLS, new SplittableRandom(107));
        float[] calib = src.draw(CALIB, 207);
        InputQuantizationFit.Stats fit = collect(calib, CALIB);
        float[] fitted = fit.fit(w, ROWS, 1e-4);
        float[] corrupted = fitted.clone();
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < corrupted.length; i++) {
            corrupted[i] += (float) (0.02 * r.nextGaussian());
        }
        // least squares on the calibration rows: any other matrix is worse there
        assertThat(error(w, corrupted, calib, CALIB)).isGreaterThan(error(w, fitted, calib, CALIB));
        // an overwhelming ridge gives W back, and with it W's error (the comparison above is not vacuous)
        float[] ridge = fit.fit(w, ROWS, 10.0);
        assertThat(error(w, ridge, calib, CALIB)).isGreaterThan(error(w, fitted, calib, CALIB));
        assertThat(error(w, ridge, calib, CALIB)).isCloseTo(error(w, w, calib, CALIB),
                within(0.2 * error(w, w, calib, CALIB)));
    }

    @Test
    void badInputIsRefused() {
        InputQuantizationFit.Stats fit = collect(Synthetic.gaussian(40 * 4, new SplittableRandom(1)), 40);
        assertThatThrownBy(() -> fit.fit(new float[7], 2, 0.01)).hasMessageContaining("expected 2 x 4");
        assertThatThrownBy(() -> fit.fit(new float[8], 2, 0)).hasMessageContaining("damping 0.0");
        assertThatThrownBy(() -> new InputQuantizationFit.Collector(4).add(new float[5], 2))
                .hasMessageContaining("exceeds the array of 5");
        InputQuantizationFit.Stats empty = new InputQuantizationFit.Collector(4).stats();
        assertThatThrownBy(() -> empty.fit(new float[8], 2, 0.01)).hasMessageContaining("calibration tokens");
    }

    private static InputQuantizationFit.Stats collect(float[] x, int n) {
        int cols = x.length / n;
        InputQuantizationFit.Collector c = new InputQuantizationFit.Collector(cols);
        for (int t = 0; t < n; t++) {
            c.add(x, t * cols);
        }
        return c.stats();
    }

    /** Each row through the contract's activation quantizer, dequantized (q x s). */
    private static float[] quantizedRows(float[] x, int n, int cols) {
        float[] out = new float[x.length];
        byte[] q = new byte[cols];
        for (int t = 0; t < n; t++) {
            float s = Int8Quantizer.quantizeRow(x, t * cols, cols, q, 0);
            for (int j = 0; j < cols; j++) {
                out[t * cols + j] = q[j] * s;
            }
        }
        return out;
    }

    private static float[] dequantized(CompressedLinear l) {
        float[] w = new float[l.rows() * l.cols()];
        for (int r = 0; r < l.rows(); r++) {
            for (int c = 0; c < l.cols(); c++) {
                w[r * l.cols() + c] = l.dequantized(r, c);
            }
        }
        return w;
    }

    /** ||X W^T - X~ V^T||_F / ||X W^T||_F over n rows of x. */
    private static double error(float[] w, float[] v, float[] x, int n) {
        float[] xq = quantizedRows(x, n, COLS);
        double num = 0;
        double den = 0;
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < ROWS; r++) {
                double y = 0;
                double yq = 0;
                for (int c = 0; c < COLS; c++) {
                    y += (double) w[r * COLS + c] * x[t * COLS + c];
                    yq += (double) v[r * COLS + c] * xq[t * COLS + c];
                }
                num += (y - yq) * (y - yq);
                den += y * y;
            }
        }
        return Math.sqrt(num / den);
    }
}
