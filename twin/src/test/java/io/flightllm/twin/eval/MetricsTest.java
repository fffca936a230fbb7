package io.flightllm.twin.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class MetricsTest {
    @Test
    void klOfIdenticalDistributionsIsZeroAndShiftInvariant() {
        float[] x = {1.5f, -2f, 0.25f, 3f};
        assertThat(Metrics.kl(x, x)).isEqualTo(0.0);
        float[] shifted = {11.5f, 8f, 10.25f, 13f}; // same softmax
        assertThat(Metrics.kl(x, shifted)).isCloseTo(0.0, within(1e-12));
    }

    @Test
    void klMatchesHandComputedValue() {
        // p = (1/2, 1/2), q = (3/4, 1/4): KL = 1/2 ln(2/3) + 1/2 ln 2 = 1/2 ln(4/3)
        float[] ref = {0f, 0f};
        float[] model = {(float) Math.log(3), 0f};
        assertThat(Metrics.kl(ref, model)).isCloseTo(0.5 * Math.log(4.0 / 3.0), within(1e-7));
        // and it is not symmetric: KL(q || p) = 3/4 ln(3/2) + 1/4 ln(1/2)
        assertThat(Metrics.kl(model, ref)).isCloseTo(0.75 * Math.log(1.5) + 0.25 * Math.log(0.5), within(1e-7));
    }

    @Test
    void klStaysFiniteWhenTheModelAssignsAnUnderflowingProbability() {
        // q(1) = e^-1000 / (1 + e^-1000) underflows as a probability; in log space KL = 500 - ln 2 (+ e^-1000 terms)
        double kl = Metrics.kl(new float[] {0f, 0f}, new float[] {0f, -1000f});
        assertThat(kl).isCloseTo(500 - Math.log(2), within(1e-6));
    }

    @Test
    void logSoftmaxNormalizes() {
        double[] l = Metrics.logSoftmax(new float[] {2f, 1f, 0f, -5f});
        double s = 0;
        for (double v : l) {
            s += Math.exp(v);
        }
        assertThat(s).isCloseTo(1.0, within(1e-12));
        assertThat(l[0] - l[1]).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void argmaxTakesTheFirstOfTiedMaxima() {
        assertThat(Metrics.argmax(new float[] {1f, 3f, 3f, 2f})).isEqualTo(1);
        assertThat(Metrics.argmax(new float[] {-1f})).isZero();
    }

    @Test
    void absoluteErrors() {
        float[] a = {1f, 2f, 3f, 4f};
        float[] b = {1f, 0f, 3.5f, 4f};
        assertThat(Metrics.maxAbsDiff(a, b)).isEqualTo(2.0);
        assertThat(Metrics.meanAbsDiff(a, b)).isEqualTo(2.5 / 4);
    }

    @Test
    void sequenceStatsSumsOverPositionsWithANextToken() {
        int[] tokens = {0, 1, 0};
        float[][] ref = {{0f, 0f}, {0f, 0f}};
        float[][] model = {{(float) Math.log(3), 0f}, {0f, 0f}};
        SequenceStats s = SequenceStats.score(tokens, ref, model, 0);
        assertThat(s.positions()).isEqualTo(2);
        assertThat(s.klSum()).isCloseTo(0.5 * Math.log(4.0 / 3.0), within(1e-7));
        assertThat(s.top1()).isEqualTo(2); // argmax 0 vs 0 at both (the reference ties resolve to 0)
        // model: -ln q(1) at pos 0 = -ln(1/4), -ln q(0) at pos 1 = -ln(1/2)
        assertThat(s.nllSum()).isCloseTo(Math.log(4) + Math.log(2), within(1e-6));
        assertThat(s.refNllSum()).isCloseTo(2 * Math.log(2), within(1e-12));
        assertThat(s.maxAbsError()).isCloseTo(Math.log(3), within(1e-6));
        SequenceStats tail = SequenceStats.score(tokens, ref, model, 1);
        assertThat(tail.positions()).isEqualTo(1);
        assertThat(tail.klSum()).isEqualTo(0.0);
    }
}
