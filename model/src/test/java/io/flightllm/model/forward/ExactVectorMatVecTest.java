package io.flightllm.model.forward;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.DType;
import io.flightllm.model.Tensor;
import java.lang.foreign.Arena;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The transposed-tile kernel gives exactly the golden bits: full tiles, leftover rows and column tails. */
class ExactVectorMatVecTest {
    @ParameterizedTest
    @CsvSource({"1, true", "2, true", "1, false", "2, false"})
    void bitIdenticalToGoldenOnF32(int threads, boolean packed) {
        try (Arena arena = Arena.ofShared(); ExactVectorMatVec mv = new ExactVectorMatVec(threads, 0, packed)) {
            ScalarMatVec golden = new ScalarMatVec();
            long seed = 11;
            for (int rows : new int[] {1, 15, 16, 37, 64, 80}) {
                for (int cols : new int[] {1, 15, 16, 33, 257}) {
                    Tensor w = RandomTensors.of(arena, DType.F32, rows, cols, seed++);
                    float[] x = RandomTensors.vector(cols, seed++);
                    float[] expected = new float[rows];
                    float[] actual = new float[rows];
                    golden.apply(w, x, expected);
                    mv.apply(w, x, actual);
                    for (int r = 0; r < rows; r++) {
                        assertThat(Float.floatToRawIntBits(actual[r])).as("%s row %d", w, r)
                                .isEqualTo(Float.floatToRawIntBits(expected[r]));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1", "2"})
    void batchedProductsAreGoldenToo(int threads) {
        try (Arena arena = Arena.ofShared(); ExactVectorMatVec mv = new ExactVectorMatVec(threads, 0, true)) {
            for (int rows : new int[] {37, 80}) {
                Tensor w = RandomTensors.of(arena, DType.F32, rows, 33, rows);
                for (int n = 1; n <= 9; n++) {
                    float[][] xs = new float[n][];
                    float[][] outs = new float[n][rows];
                    for (int b = 0; b < n; b++) {
                        xs[b] = RandomTensors.vector(33, 1000 + b);
                    }
                    mv.applyBatch(w, xs, outs, n);
                    for (int b = 0; b < n; b++) {
                        float[] expected = new float[rows];
                        new ScalarMatVec().apply(w, xs[b], expected);
                        assertThat(outs[b]).as("%s batch of %d, input %d", w, n, b).isEqualTo(expected);
                    }
                }
            }
        }
    }

    @Test
    void otherTypesFallBackToTheGoldenDotProduct() {
        try (Arena arena = Arena.ofShared(); ExactVectorMatVec mv = new ExactVectorMatVec(2, 0, true)) {
            for (DType t : new DType[] {DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q8_GROUP}) {
                Tensor w = RandomTensors.of(arena, t, 37, 96, 3);
                float[] x = RandomTensors.vector(96, 4);
                float[] expected = new float[37];
                float[] actual = new float[37];
                new ScalarMatVec().apply(w, x, expected);
                mv.apply(w, x, actual);
                assertThat(actual).as("%s", w).isEqualTo(expected);
            }
        }
    }

    @Test
    void theButterflyIsATranspose() {
        float[] in = new float[256];
        for (int i = 0; i < 256; i++) {
            in[i] = i;
        }
        float[] out = ExactVectorMatVec.transposeForTest(in);
        for (int r = 0; r < 16; r++) {
            for (int c = 0; c < 16; c++) {
                assertThat(out[r * 16 + c]).as("[%d, %d]", r, c).isEqualTo(in[c * 16 + r]);
            }
        }
    }
}
