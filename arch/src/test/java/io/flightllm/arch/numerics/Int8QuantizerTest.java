package io.flightllm.arch.numerics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Int8QuantizerTest {
    @Test
    void rowWithOffsetsQuantizesOnlyItsSlice() {
        float[] x = {100f, 1f, -2f, 0.5f, 100f};
        byte[] q = {9, 9, 9, 9, 9, 9};
        float s = Int8Quantizer.quantizeRow(x, 1, 3, q, 2);
        assertThat(s).isEqualTo(2f / 127f);
        // untouched outside [2, 5); inside: rint(x / s), the max element at -127
        assertThat(q[0]).isEqualTo((byte) 9);
        assertThat(q[1]).isEqualTo((byte) 9);
        assertThat(q[5]).isEqualTo((byte) 9);
        assertThat(q[3]).isEqualTo((byte) -127);
        assertThat(q[2]).isEqualTo((byte) Math.rint(1f / s));
        assertThat(q[4]).isEqualTo((byte) Math.rint(0.5f / s));
        assertThat(q[2]).isBetween((byte) 63, (byte) 64);
    }

    @Test
    void kvRowUsesTheStoredFp16Scale() {
        float[] x = {0.3f, -1.1f, 0.77f};
        byte[] q = new byte[3];
        short s16 = Int8Quantizer.quantizeRowFp16(x, 0, 3, q, 0);
        float s = Float.float16ToFloat(s16);
        assertThat(s16).isEqualTo(Float.floatToFloat16(1.1f / 127f));
        assertThat(s).isNotEqualTo(1.1f / 127f); // FP16 rounding really changes the scale here
        for (int i = 0; i < 3; i++) {
            int expected = (int) Math.max(-127, Math.min(127, Math.rint(x[i] / s)));
            assertThat(q[i]).isEqualTo((byte) expected);
        }
    }

    @Test
    void kvScaleUnderflowGivesZeros() {
        float[] x = {1e-9f, -2e-9f};
        byte[] q = {5, 5};
        short s16 = Int8Quantizer.quantizeRowFp16(x, 0, 2, q, 0);
        assertThat(Float.float16ToFloat(s16)).isZero();
        assertThat(q).containsExactly(0, 0);
    }
}
