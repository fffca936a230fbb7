package io.flightllm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.model.testing.HfWriter;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A row-order view reads exactly what a physically reordered copy would, for every accessor and dtype. */
class TensorRowOrderTest {
    @Test
    void viewEqualsPhysicallyReorderedCopy() {
        int rows = 12;
        int cols = 7;
        Random rnd = new Random(5);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        int[] order = {3, 0, 11, 5, 1, 2, 10, 9, 4, 8, 6, 7};
        float[] copy = new float[w.length];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(w, order[r] * cols, copy, r * cols, cols);
        }
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        for (String d : new String[] {"F32", "F16", "BF16"}) {
            DType type = DType.valueOf(d);
            Tensor stored = Tensor.of("w", type, rows, cols, MemorySegment.ofArray(HfWriter.encode(w, d)));
            Tensor expected = Tensor.of("c", type, rows, cols, MemorySegment.ofArray(HfWriter.encode(copy, d)));
            Tensor view = stored.withRowOrder("v", order);
            assertThat(view.isRowPermuted()).isTrue();
            assertThat(view.byteSize()).isEqualTo(stored.byteSize());
            float[] a = new float[cols];
            float[] b = new float[cols];
            for (int r = 0; r < rows; r++) {
                view.readRow(r, a);
                expected.readRow(r, b);
                assertThat(a).isEqualTo(b);
                assertThat(view.get(r, 3)).isEqualTo(expected.get(r, 3));
                assertThat(Float.floatToRawIntBits(view.dot(r, x)))
                        .isEqualTo(Float.floatToRawIntBits(expected.dot(r, x)));
                assertThat(view.storedRow(r)).isEqualTo(order[r]);
            }
            Tensor slice = view.rowSlice("s", 4, 5);
            Tensor expectedSlice = expected.rowSlice("s", 4, 5);
            assertThat(slice.toFloatArray()).isEqualTo(expectedSlice.toFloatArray());
            // a view of a view composes the orders
            int[] reverse = new int[rows];
            for (int r = 0; r < rows; r++) {
                reverse[r] = rows - 1 - r;
            }
            Tensor twice = view.withRowOrder("vv", reverse);
            twice.readRow(0, a);
            expected.readRow(rows - 1, b);
            assertThat(a).isEqualTo(b);
        }
    }

    @Test
    void refusesOrdersThatAreNotPermutations() {
        Tensor t = Tensor.of("w", DType.F32, 3, 1, MemorySegment.ofArray(new float[3]));
        assertThatThrownBy(() -> t.withRowOrder("v", new int[] {0, 1})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.withRowOrder("v", new int[] {0, 1, 1})).hasMessageContaining("not a permutation");
        assertThatThrownBy(() -> t.withRowOrder("v", new int[] {0, 1, 3})).hasMessageContaining("not a permutation");
    }
}
