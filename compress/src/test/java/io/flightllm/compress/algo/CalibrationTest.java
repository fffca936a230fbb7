package io.flightllm.compress.algo;

import io.flightllm.compress.CalibrationStats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CalibrationTest {
    @Test
    void hessianAndColumnNormsMatchTheirDefinitions() {
        int cols = 7;
        int n = 13;
        float[] x = Synthetic.gaussian(n * cols, new SplittableRandom(5));
        CalibrationCollector c = new CalibrationCollector(cols, true);
        for (int t = 0; t < n; t++) { // fed one row at a time, from offsets inside one array
            c.add(x, t * cols);
        }
        CalibrationStats s = c.stats();
        assertThat(s.tokens()).isEqualTo(n);
        for (int i = 0; i < cols; i++) {
            double ss = 0;
            for (int t = 0; t < n; t++) {
                ss += (double) x[t * cols + i] * x[t * cols + i];
            }
            assertThat(s.columnSumSq()[i]).isCloseTo(ss, within(1e-12 * ss));
            assertThat((double) s.columnNorms()[i]).isCloseTo(Math.sqrt(ss), within(1e-6 * Math.sqrt(ss)));
            for (int j = 0; j < cols; j++) {
                double h = 0;
                for (int t = 0; t < n; t++) {
                    h += 2.0 * x[t * cols + i] * x[t * cols + j] / n;
                }
                assertThat(s.hessian()[i * cols + j]).isCloseTo(h, within(1e-12));
                assertThat(s.hessian()[i * cols + j]).isEqualTo(s.hessian()[j * cols + i]);
            }
        }
        CalibrationCollector batch = new CalibrationCollector(cols, true);
        batch.addRows(x, n);
        assertThat(batch.stats().hessian()).isEqualTo(s.hessian());
    }

    @Test
    void normsOnlyStatsRefuseHessianMethodsAndShapesAreChecked() {
        CalibrationCollector c = new CalibrationCollector(4, false);
        c.add(new float[] {1, 2, 3, 4});
        CalibrationStats s = c.stats();
        assertThat(s.hasHessian()).isFalse();
        assertThatThrownBy(() -> s.requireHessian("GPTQ")).hasMessageContaining("GPTQ needs the calibration Hessian");
        assertThatThrownBy(() -> c.add(new float[3])).hasMessageContaining("exceeds the array of 3");
        assertThatThrownBy(() -> GptqCompressor.DEFAULT.compress("t", 4, 16, io.flightllm.compress.BlockDensity
                .uniform(16, 4, 16), new float[64], 16, 4, s)).hasMessageContaining("Hessian");
    }
}
