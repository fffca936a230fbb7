package io.flightllm.arch.numerics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A mask expands to exactly the ascending positions it was made from, for every one of the 2^16 masks. */
class IndexEncodingTest {
    @Test
    void everyMaskExpandsToItsAscendingPositionsAndBack() {
        byte[] pos = new byte[16];
        for (int m = 0; m < 1 << 16; m++) {
            int n = IndexEncoding.expand(m, pos, 0);
            assertThat(n).isEqualTo(Integer.bitCount(m));
            for (int k = 1; k < n; k++) {
                assertThat(pos[k]).isGreaterThan(pos[k - 1]);
            }
            assertThat(IndexEncoding.mask(pos, 0, n)).isEqualTo(m);
        }
        assertThat(IndexEncoding.expand(0b1000_0000_0000_0101, pos, 0)).isEqualTo(3);
        assertThat(Arrays.copyOf(pos, 3)).containsExactly(0, 2, 15);
    }

    @Test
    void bitsPerSegment() {
        assertThat(IndexEncoding.POSITIONS4.segmentBits(8)).isEqualTo(32);
        assertThat(IndexEncoding.MASK16.segmentBits(8)).isEqualTo(16);
        assertThat(IndexEncoding.MASK16.segmentBits(2)).isEqualTo(16);
        assertThat(IndexEncoding.POSITIONS4.segmentBits(2)).isEqualTo(8);
        for (IndexEncoding e : IndexEncoding.values()) {
            assertThat(e.segmentBits(0)).isZero();
            assertThat(e.segmentBits(16)).isZero();
            assertThat(IndexEncoding.fromId(e.id())).isEqualTo(e);
        }
        assertThatThrownBy(() -> IndexEncoding.fromId("bitmap")).hasMessageContaining("[positions4, mask16]");
    }
}
