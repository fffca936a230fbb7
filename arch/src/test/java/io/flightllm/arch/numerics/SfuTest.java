package io.flightllm.arch.numerics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SfuTest {
    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 3);
        }
        return x;
    }

    @Test
    void rmsnormIsCloseToTheMathematicalDefinition() {
        int n = 77;
        float[] x = random(n, 1);
        float[] w = random(n, 2);
        float[] y = new float[n];
        Sfu.rmsnorm(x, w, n, 1e-5f, y);
        double ss = 0;
        for (float v : x) {
            ss += (double) v * v;
        }
        double r = 1 / Math.sqrt(ss / n + 1e-5);
        for (int i = 0; i < n; i++) {
            assertThat((double) y[i]).isCloseTo(w[i] * x[i] * r, offset(1e-5 * Math.abs(w[i] * x[i] * r) + 1e-7));
        }
    }

    @Test
    void softmaxIsADistributionAndOrderPreserving() {
        float[] s = random(300, 3);
        float[] orig = s.clone();
        Sfu.softmax(s, s.length);
        double sum = 0;
        for (float p : s) {
            sum += p;
            assertThat(p).isBetween(0.0f, 1.0f);
        }
        assertThat(sum).isCloseTo(1.0, offset(1e-5));
        int argmax = 0;
        for (int i = 1; i < orig.length; i++) {
            if (orig[i] > orig[argmax]) {
                argmax = i;
            }
        }
        for (float p : s) {
            assertThat(p).isLessThanOrEqualTo(s[argmax]);
        }
    }

    @Test
    void linearOutputSumsGroupsWithTheSixteenLaneRule() {
        int groups = 40;
        int[] acc = new int[groups];
        float[] ws = new float[groups];
        for (int g = 0; g < groups; g++) {
            acc[g] = (g * 7919) % 20000 - 10000;
            ws[g] = 1.0f / (g + 3);
        }
        float a = 0.37f;
        float[] terms = new float[groups];
        for (int g = 0; g < groups; g++) {
            terms[g] = (ws[g] * a) * (float) acc[g];
        }
        assertThat(Sfu.linearOutput(acc, ws, groups, a)).isEqualTo(Sum16.sum(terms, 0, groups));
    }

    @Test
    void ropeTableMatchesDoublePrecisionTrigonometry() {
        RopeTable t = RopeTable.create(300, 64, 10000.0f);
        for (int pos : new int[] {0, 1, 17, 299}) {
            for (int i = 0; i < 32; i++) {
                double angle = pos * Math.pow(10000.0, -(2.0 * i) / 64);
                assertThat((double) t.cos()[pos][i]).isCloseTo(Math.cos(angle), offset(1e-7));
                assertThat((double) t.sin()[pos][i]).isCloseTo(Math.sin(angle), offset(1e-7));
            }
        }
        assertThat(t.cos()[0][5]).isEqualTo(1.0f);
    }

    @Test
    void weightQuantizerRangesAndRefusals() {
        assertThat(WeightQuantizer.qmax(2)).isEqualTo(1);
        assertThat(WeightQuantizer.qmax(3)).isEqualTo(3);
        assertThat(WeightQuantizer.qmax(4)).isEqualTo(7);
        assertThat(WeightQuantizer.qmax(8)).isEqualTo(127);
        float s = Float.float16ToFloat(WeightQuantizer.scaleBits(2.0f, 4));
        assertThat(WeightQuantizer.quantize(2.0f, s, 4)).isEqualTo(7);
        assertThat(WeightQuantizer.quantize(-5.0f, s, 4)).isEqualTo(-7);
        assertThat(WeightQuantizer.quantize(1.0f, 0.0f, 4)).isZero();
        assertThatThrownBy(() -> WeightQuantizer.qmax(5)).hasMessageContaining("[2, 3, 4, 8]");
    }

    @Test
    void int8QuantizerRoundsHalfToEvenAndHandlesZeroRows() {
        byte[] q = new byte[4];
        assertThat(Int8Quantizer.quantizeRow(new float[4], 4, q)).isZero();
        assertThat(q).containsOnly(0);
        float s = Int8Quantizer.quantizeRow(new float[] {127f, 2.5f, -0.5f, 1.5f}, 4, q);
        assertThat(s).isEqualTo(1.0f);
        assertThat(q).containsExactly(127, 2, 0, 2);
    }
}
