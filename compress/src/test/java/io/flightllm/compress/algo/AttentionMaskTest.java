package io.flightllm.compress.algo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AttentionMaskTest {
    @Test
    void localBandPlusSinksIsCausalAndBlockGranular() {
        AttentionMask m = new AttentionMask(64, 1, 2);
        assertThat(m.allowed(10, 10)).isTrue();
        assertThat(m.allowed(10, 11)).isFalse(); // causal
        assertThat(m.allowed(300, 5)).isTrue(); // sink block 0
        assertThat(m.allowed(300, 200)).isTrue(); // block 3 vs block 4: in the band of 2
        assertThat(m.allowed(300, 191)).isFalse(); // block 2: outside the band, not a sink
        assertThat(m.allowed(255, 128)).isTrue();
        assertThat(m.allowed(256, 128)).isFalse(); // block boundary exactly at 256
        // allowed() agrees with blockAllowed() for every pair of a 5-block sequence
        for (int q = 0; q < 320; q++) {
            for (int k = 0; k < 320; k++) {
                assertThat(m.allowed(q, k)).isEqualTo(k <= q && m.blockAllowed(q / 64, k / 64));
            }
        }
    }

    @Test
    void densityCountsMatchBruteForce() {
        for (AttentionMask m : new AttentionMask[] {AttentionMask.DEFAULT, new AttentionMask(64, 0, 1),
                new AttentionMask(16, 2, 3)}) {
            for (int len : new int[] {0, 1, 63, 64, 65, 200, 513}) {
                long pairs = 0;
                for (int q = 0; q < len; q++) {
                    for (int k = 0; k <= q; k++) {
                        pairs += m.allowed(q, k) ? 1 : 0;
                    }
                }
                AttentionMask.Density d = m.density(len);
                assertThat(d.allowedPairs()).isEqualTo(pairs);
                assertThat(d.causalPairs()).isEqualTo((long) len * (len + 1) / 2);
            }
        }
        // short prompts are fully dense; long ones approach (sinks + band) / blocks
        assertThat(AttentionMask.DEFAULT.density(256).pairFraction()).isEqualTo(1.0);
        AttentionMask.Density d = AttentionMask.DEFAULT.density(4096);
        assertThat(d.blockFraction()).isLessThan(0.2);
        assertThat(d.visitedBlocks()).isEqualTo(1 + 2 + 3 + 61L * 4 + countSinkExtras(64, 1, 4));
        assertThatThrownBy(() -> new AttentionMask(64, 1, 0)).hasMessageContaining("band of at least 1");
    }

    /** Query blocks past the band also visit the sink blocks outside it. */
    private static long countSinkExtras(int blocks, int sinks, int band) {
        long extra = 0;
        for (int qb = 0; qb < blocks; qb++) {
            for (int kb = 0; kb < sinks; kb++) {
                extra += qb - kb >= band ? 1 : 0;
            }
        }
        return extra;
    }
}
