package io.flightllm.arch.numerics;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class ArchMathTest {
    /** Every float in [-104, 89] with -Dflightllm.exhaustive=true; every 997th bit pattern otherwise. */
    private static final int STRIDE = Boolean.getBoolean("flightllm.exhaustive") ? 1 : 997;

    private static long ulpDistance(float a, float b) {
        int ia = Float.floatToRawIntBits(a);
        int ib = Float.floatToRawIntBits(b);
        long la = ia < 0 ? (long) Integer.MIN_VALUE - ia : ia;
        long lb = ib < 0 ? (long) Integer.MIN_VALUE - ib : ib;
        return Math.abs(la - lb);
    }

    @Test
    void vectorExpEqualsScalarExpBitForBit() {
        for (VectorSpecies<Float> s : new VectorSpecies[] {FloatVector.SPECIES_128, FloatVector.SPECIES_256,
                FloatVector.SPECIES_512}) {
            checkSpecies(s);
        }
    }

    private static void checkSpecies(VectorSpecies<Float> s) {
        float[] in = new float[s.length()];
        float[] out = new float[s.length()];
        int n = 0;
        long mismatches = 0;
        // positive floats 0 .. 89, then negative floats -0 .. -104, by bit pattern
        int[][] ranges = {{0, Float.floatToRawIntBits(89.0f)},
                {Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(-104.0f)}};
        for (int[] range : ranges) {
            for (long bits = range[0]; bits <= (range[1] & 0xFFFFFFFFL); bits += STRIDE) {
                in[n++] = Float.intBitsToFloat((int) bits);
                if (n == in.length) {
                    ArchMath.exp(FloatVector.fromArray(s, in, 0)).intoArray(out, 0);
                    for (int i = 0; i < n; i++) {
                        if (Float.floatToRawIntBits(out[i]) != Float.floatToRawIntBits(ArchMath.exp(in[i]))) {
                            mismatches++;
                        }
                    }
                    n = 0;
                }
            }
        }
        assertThat(mismatches).as("lanes of %s differing from scalar exp", s).isZero();
    }

    @Test
    void expIsAccurate() {
        long worst = 0;
        for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
            float want = (float) StrictMath.exp(x);
            worst = Math.max(worst, ulpDistance(ArchMath.exp(x), want));
        }
        assertThat(worst).as("max ulp error of exp on normal results").isLessThanOrEqualTo(3);
        assertThat(ArchMath.exp(0.0f)).isEqualTo(1.0f);
        assertThat(ArchMath.exp(-200.0f)).isEqualTo(0.0f);
        assertThat(ArchMath.exp(100.0f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(ArchMath.exp(Float.NaN)).isNaN();
        assertThat(ArchMath.exp(-100.0f)).isBetween(1e-44f, 1e-43f); // subnormal result, rounded once
    }

    @Test
    void siluMatchesDefinition() {
        assertThat(ArchMath.silu(0.0f)).isEqualTo(0.0f);
        assertThat(ArchMath.silu(10.0f)).isCloseTo(10.0f / (1.0f + (float) Math.exp(-10.0)),
                org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(ArchMath.silu(-30.0f)).isCloseTo(0.0f, org.assertj.core.data.Offset.offset(1e-10f));
    }

    @Test
    void sum16FollowsTheLaneRule() {
        float[] x = new float[37];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 1.3) * (1 << (i % 20));
        }
        float[] p = new float[16];
        for (int i = 0; i < x.length; i++) {
            p[i % 16] += x[i];
        }
        float expected = ((((p[0] + p[8]) + (p[4] + p[12])) + ((p[2] + p[10]) + (p[6] + p[14])))
                + (((p[1] + p[9]) + (p[5] + p[13])) + ((p[3] + p[11]) + (p[7] + p[15]))));
        assertThat(Sum16.sum(x, 0, x.length)).isEqualTo(expected);
    }
}
