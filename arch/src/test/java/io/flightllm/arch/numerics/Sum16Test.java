package io.flightllm.arch.numerics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The written-out tree of {@link Sum16#reduce} is the contract's loop (p[j] += p[j + w], w = 8, 4, 2, 1), bit for bit. */
class Sum16Test {
    private static float loopTree(float[] q) {
        float[] p = q.clone();
        for (int w = 8; w >= 1; w >>= 1) {
            for (int j = 0; j < w; j++) {
                p[j] = p[j] + p[j + w];
            }
        }
        return p[0];
    }

    @Test
    void reduceIsThePairwiseTree() {
        SplittableRandom rnd = new SplittableRandom(3);
        float[] specials = {0.0f, -0.0f, Float.MIN_VALUE, 1e30f, -1e30f, Float.MAX_VALUE, 1.0f, -1.0f};
        for (int n = 0; n < 20000; n++) {
            float[] p = new float[16];
            for (int j = 0; j < 16; j++) {
                p[j] = n % 4 == 0 ? specials[rnd.nextInt(specials.length)]
                        : (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(12) - 6));
            }
            float want = loopTree(p);
            assertThat(Float.floatToRawIntBits(Sum16.reduce(p))).as("case %d", n)
                    .isEqualTo(Float.floatToRawIntBits(want));
        }
        // the pairing matters: a left-to-right sum of these differs from the tree
        float[] p = {1e8f, 1, 0, 0, 0, 0, 0, 0, -1e8f, 1, 0, 0, 0, 0, 0, 0};
        float seq = 0;
        for (float v : p) {
            seq += v;
        }
        assertThat(Sum16.reduce(p)).isEqualTo(loopTree(p)).isNotEqualTo(seq);
    }
}
