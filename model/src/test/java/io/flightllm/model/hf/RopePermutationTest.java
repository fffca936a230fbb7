package io.flightllm.model.hf;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.DType;
import io.flightllm.model.Tensor;
import io.flightllm.model.testing.HfWriter;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The row-order view inverts HF's view(n_heads, hs/2, 2, dim2).transpose(1, 2) permutation for every shape. */
class RopePermutationTest {
    @Test
    void inverseOfHfPermuteForManyShapes() {
        for (int heads : new int[] {1, 2, 3, 4, 8, 32}) {
            for (int hs : new int[] {2, 4, 6, 8, 16, 64, 128}) {
                int rows = heads * hs;
                int cols = 3;
                float[] w = new float[rows * cols];
                for (int i = 0; i < w.length; i++) {
                    w[i] = i; // row r holds 3r, 3r+1, 3r+2: every row is recognisable
                }
                float[] hf = HfWriter.hfPermute(w, heads, rows, cols);
                Tensor stored = Tensor.of("hf", DType.F32, rows, cols,
                        MemorySegment.ofArray(HfWriter.encode(hf, "F32")));
                Tensor view = stored.withRowOrder("view", RopePermutation.storedRows(heads, hs));
                float[] row = new float[cols];
                for (int r = 0; r < rows; r++) {
                    view.readRow(r, row);
                    assertThat(row).as("heads %d, hs %d, row %d", heads, hs, r)
                            .containsExactly(3f * r, 3f * r + 1, 3f * r + 2);
                }
                if (hs >= 4) {
                    assertThat(hf).isNotEqualTo(w); // the permutation is not the identity, so the check has teeth
                }
            }
        }
    }

    @Test
    void headSevenOfAThirtyTwoHeadModel() {
        // a hand-worked instance: hs = 128, head 7, pair i = 5, j = 1 (original row 7*128 + 11 = 907)
        // HF stores it at 7*128 + 1*64 + 5 = 965
        assertThat(RopePermutation.storedRows(32, 128)[907]).isEqualTo(965);
    }
}
