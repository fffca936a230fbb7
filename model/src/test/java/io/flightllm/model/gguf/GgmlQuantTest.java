package io.flightllm.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.DType;
import io.flightllm.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The GGML reference rounding, checked on blocks whose expected codes are worked out by hand from the rule. */
class GgmlQuantTest {
    static ByteBuffer encode(DType type, float[] x) {
        ByteBuffer b = ByteBuffer.allocate((int) type.bytesFor(x.length)).order(ByteOrder.LITTLE_ENDIAN);
        GgmlQuant.encode(type, x, x.length, b);
        assertThat(b.remaining()).isZero();
        return b.flip();
    }

    @Test
    void q8_0ScalesByAmaxOver127AndRoundsHalfAwayFromZero() {
        float[] x = new float[32];
        x[0] = 127f;   // amax = 127, so d = 1 and q = roundf(x)
        x[1] = 0.5f;   // halfway: away from zero -> 1
        x[2] = -0.5f;  // -> -1 (Math.round would give 0)
        x[3] = 1.49f;  // -> 1
        x[4] = -2.5f;  // -> -3
        x[5] = -127f;  // -> -127
        x[6] = 3.51f;  // -> 4
        ByteBuffer b = encode(DType.Q8_0, x);
        assertThat(b.getShort(0)).isEqualTo((short) 0x3C00); // FP16 1.0
        byte[] q = new byte[32];
        b.get(2, q);
        assertThat(q).startsWith(127, 1, -1, 1, -3, -127, 4, 0);
    }

    @Test
    void q8_0OfAnAllZeroBlockIsZero() {
        ByteBuffer b = encode(DType.Q8_0, new float[32]);
        for (int i = 0; i < 34; i++) {
            assertThat(b.get(i)).isZero();
        }
    }

    @Test
    void q4_0UsesTheSignedLargestValueOverMinus8() {
        float[] x = new float[32];
        x[0] = -8f;    // largest magnitude, negative: d = -8 / -8 = 1; code = min(15, (int) (x + 8.5))
        x[1] = 7f;     // 15
        x[2] = 0.4f;   // (int) 8.9 = 8
        x[3] = 0.6f;   // (int) 9.1 = 9
        x[4] = -0.6f;  // (int) 7.9 = 7
        x[16] = 7.6f;  // (int) 16.1 = 16 -> clamped to 15
        x[17] = -7.9f; // (int) 0.6 = 0
        // the other values are 0 -> code 8
        ByteBuffer b = encode(DType.Q4_0, x);
        assertThat(b.getShort(0)).isEqualTo((short) 0x3C00);
        // byte j holds element j (low nibble) and element j + 16 (high nibble)
        assertThat(b.get(2) & 0xFF).isEqualTo(0x00 | 15 << 4);
        assertThat(b.get(3) & 0xFF).isEqualTo(15 | 0 << 4);
        assertThat(b.get(4) & 0xFF).isEqualTo(8 | 8 << 4);
        assertThat(b.get(5) & 0xFF).isEqualTo(9 | 8 << 4);
        assertThat(b.get(6) & 0xFF).isEqualTo(7 | 8 << 4);
        assertThat(b.get(7) & 0xFF).isEqualTo(8 | 8 << 4);
    }

    @Test
    void q4_0WithAPositiveLargestValueHasANegativeScale() {
        float[] x = new float[32];
        x[0] = 16f;   // d = 16 / -8 = -2; x / d = -8 -> code 0
        x[1] = -14f;  // x / d = 7 -> 15
        x[2] = 3f;    // x / d = -1.5 -> (int) 7.0 = 7
        ByteBuffer b = encode(DType.Q4_0, x);
        assertThat(b.getShort(0)).isEqualTo((short) 0xC000); // FP16 -2.0
        assertThat(b.get(2) & 0x0F).isEqualTo(0);
        assertThat(b.get(3) & 0x0F).isEqualTo(15);
        assertThat(b.get(4) & 0x0F).isEqualTo(7);
        // and the tensor decodes (code - 8) * d
        Tensor t = Tensor.of("t", DType.Q4_0, 1, 32, MemorySegment.ofBuffer(b));
        assertThat(t.get(0, 0)).isEqualTo(16f);
        assertThat(t.get(0, 1)).isEqualTo(-14f);
        assertThat(t.get(0, 2)).isEqualTo(2f);
        assertThat(t.get(0, 5)).isEqualTo(-0f);
    }

    @Test
    void bf16RoundsToNearestEven() {
        // 1 + 2^-8 is exactly halfway between BF16 1.0 and 1 + 2^-7: ties go to the even mantissa (1.0)
        assertThat(GgmlQuant.toBf16(1f + 0x1p-8f)).isEqualTo((short) 0x3F80);
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even)
        assertThat(GgmlQuant.toBf16(1f + 3 * 0x1p-8f)).isEqualTo((short) 0x3F82);
        assertThat(GgmlQuant.toBf16(1f + 0x1p-8f + 0x1p-20f)).isEqualTo((short) 0x3F81);
        assertThat(Float.isNaN(Float.intBitsToFloat(GgmlQuant.toBf16(Float.NaN) << 16))).isTrue();
    }
}
