package io.flightllm.model.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.model.DType;
import io.flightllm.model.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector kernels against the golden one on random tensors of every type, with row lengths that are not multiples
 * of the vector length, odd row counts, and 1 or 2 threads (with the small-matrix shortcut off, so even these small
 * matrices go through the worker threads).
 *
 * <p>Tolerance: the golden and the vector sum are both floating-point evaluations of the same exact dot product, so
 * each is within gamma_n * sum_j |w_j x_j| of it (gamma_n ~ n * 2^-24, the classic bound for any summation order,
 * FMA included, since FMA only removes roundings); their difference is therefore at most 2 n 2^-24 sum_j |w_j x_j|.
 * That bound is per row and data-dependent, so it stays tight for rows whose terms cancel. The test of the test shows
 * it is tight enough to catch one wrong weight.
 */
class VectorMatVecTest {
    private static final int[] ROWS = {1, 7, 37};

    static int[] colsFor(DType t) {
        return switch (t) {
            case F32, F16, BF16 -> new int[] {1, 15, 17, 100, 257};
            case Q8_0, Q4_0 -> new int[] {32, 96, 288};
            case Q8_GROUP -> new int[] {8, 40, 104};
        };
    }

    static Stream<Arguments> typesAndThreads() {
        List<Arguments> out = new ArrayList<>();
        for (DType t : DType.values()) {
            out.add(Arguments.of(t, 1));
            out.add(Arguments.of(t, 2));
        }
        return out.stream();
    }

    /** The difference between two evaluations of w[r] . x allowed by the rounding-error bound. */
    static double bound(Tensor w, int r, float[] x) {
        double abs = 0;
        for (int j = 0; j < w.cols(); j++) {
            abs += Math.abs((double) w.get(r, j) * x[j]);
        }
        return 2.0 * w.cols() * 0x1p-24 * abs;
    }

    static void assertWithinBound(Tensor w, float[] x, float[] actual, float[] golden) {
        for (int r = 0; r < w.rows(); r++) {
            assertThat((double) Math.abs(actual[r] - golden[r])).as("%s row %d", w, r).isLessThanOrEqualTo(bound(w, r, x));
        }
    }

    @ParameterizedTest
    @MethodSource("typesAndThreads")
    void agreesWithGoldenWithinTheRoundingBound(DType type, int threads) {
        try (Arena arena = Arena.ofShared(); VectorMatVec mv = new VectorMatVec(threads, 0)) {
            ScalarMatVec golden = new ScalarMatVec();
            long seed = 1;
            for (int rows : ROWS) {
                for (int cols : colsFor(type)) {
                    Tensor w = RandomTensors.of(arena, type, rows, cols, seed++);
                    float[] x = RandomTensors.vector(cols, seed++);
                    float[] expected = new float[rows];
                    float[] actual = new float[rows];
                    golden.apply(w, x, expected);
                    mv.apply(w, x, actual);
                    assertWithinBound(w, x, actual, expected);
                }
            }
        }
    }

    @Test
    void theToleranceCatchesOneWrongWeight() {
        try (Arena arena = Arena.ofShared(); VectorMatVec mv = new VectorMatVec(1, 0)) {
            Tensor w = RandomTensors.of(arena, DType.F32, 7, 257, 42);
            float[] x = RandomTensors.vector(257, 43);
            float[] golden = new float[7];
            new ScalarMatVec().apply(w, x, golden);
            // a bug the size of one term (one weight off by 0.25 where |x| > 0.5) must not hide inside the tolerance
            int col = 0;
            while (Math.abs(x[col]) <= 0.5f) {
                col++;
            }
            long at = 4L * (3 * 257 + col);
            var f32 = java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
            w.data().set(f32, at, w.data().get(f32, at) + 0.25f);
            float[] actual = new float[7];
            mv.apply(w, x, actual);
            assertThatThrownBy(() -> assertWithinBound(w, x, actual, golden)).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("row 3");
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void dequantizedRowsEqualTensorGetExactly(DType type) {
        try (Arena arena = Arena.ofShared()) {
            for (int cols : colsFor(type)) {
                Tensor w = RandomTensors.of(arena, type, 7, cols, cols);
                float[] row = new float[cols];
                for (int r = 0; r < 7; r++) {
                    VectorMatVec.dequantize(w, r, row);
                    for (int c = 0; c < cols; c++) {
                        assertThat(Float.floatToRawIntBits(row[c])).as("%s [%d, %d]", w, r, c)
                                .isEqualTo(Float.floatToRawIntBits(w.get(r, c)));
                    }
                }
            }
        }
    }

    @Test
    void groupsStraddlingRowsDequantizeExactly() {
        try (Arena arena = Arena.ofShared()) {
            Tensor w = RandomTensors.q8Group(arena, 35, 48, 40, 5); // 48-column rows, 40-element groups
            float[] row = new float[48];
            for (int r = 0; r < 35; r++) {
                VectorMatVec.dequantize(w, r, row);
                for (int c = 0; c < 48; c++) {
                    assertThat(row[c]).as("[%d, %d]", r, c).isEqualTo(w.get(r, c));
                }
            }
        }
    }

    @Test
    void halfToFloatConversionMatchesTheJdkOnEveryHalf() {
        VectorSpecies<Integer> ints = VectorSpecies.of(int.class, VectorMatVec.F.vectorShape());
        int lanes = ints.length();
        int[] h = new int[lanes];
        float[] out = new float[lanes];
        for (int base = 0; base < 65536; base += lanes) {
            for (int i = 0; i < lanes; i++) {
                h[i] = base + i;
            }
            VectorMatVec.f16ToF32(IntVector.fromArray(ints, h, 0)).intoArray(out, 0);
            for (int i = 0; i < lanes; i++) {
                float expected = Float.float16ToFloat((short) h[i]);
                if (Float.isNaN(expected)) {
                    assertThat(out[i]).as("half 0x%04x", h[i]).isNaN();
                } else {
                    assertThat(Float.floatToRawIntBits(out[i])).as("half 0x%04x", h[i])
                            .isEqualTo(Float.floatToRawIntBits(expected));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void batchEqualsRowByRowBitForBitAndThreadsDoNotChangeBits(DType type) {
        try (Arena arena = Arena.ofShared();
             VectorMatVec one = new VectorMatVec(1, 0);
             VectorMatVec two = new VectorMatVec(2, 0)) {
            int cols = colsFor(type)[1];
            Tensor w = RandomTensors.of(arena, type, 37, cols, 9);
            for (int n = 1; n <= 9; n++) {
                float[][] xs = new float[n][];
                float[][] batched = new float[n][37];
                for (int b = 0; b < n; b++) {
                    xs[b] = RandomTensors.vector(cols, 100 + b);
                }
                two.applyBatch(w, xs, batched, n);
                for (int b = 0; b < n; b++) {
                    float[] single = new float[37];
                    one.apply(w, xs[b], single);
                    assertThat(batched[b]).as("%s batch of %d, row %d", w, n, b).isEqualTo(single);
                }
            }
        }
    }

    @Test
    void rejectsShortArrays() {
        try (Arena arena = Arena.ofShared(); VectorMatVec mv = new VectorMatVec(2)) {
            Tensor w = RandomTensors.of(arena, DType.F32, 7, 17, 1);
            assertThatThrownBy(() -> mv.apply(w, new float[16], new float[7]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("f32 [7, 17]");
            assertThatThrownBy(() -> new VectorMatVec(0)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
