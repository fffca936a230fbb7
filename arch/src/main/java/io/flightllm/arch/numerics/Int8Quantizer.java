package io.flightllm.arch.numerics;

/**
 * The row quantizer of the numerics contract: m = max|x|, s = m / 127f, q = clamp(rint(x / s), -127, 127) with round
 * half to even; m = 0 gives s = 0 and q = 0 without dividing. INT8 values always lie in [-127, 127].
 */
public final class Int8Quantizer {
    public static final int QMAX = 127;

    private Int8Quantizer() {
    }

    /** Quantizes x[0..n) into q and returns the FP32 scale. */
    public static float quantizeRow(float[] x, int n, byte[] q) {
        float m = 0.0f;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, Math.abs(x[i]));
        }
        if (m == 0.0f) {
            java.util.Arrays.fill(q, 0, n, (byte) 0);
            return 0.0f;
        }
        float s = m / 127f;
        for (int i = 0; i < n; i++) {
            q[i] = quantize(x[i], s);
        }
        return s;
    }

    /** One value with a given non-zero scale. */
    public static byte quantize(float x, float s) {
        float r = (float) Math.rint(x / s);
        return (byte) Math.max(-QMAX, Math.min(QMAX, (int) r));
    }

    /** The FP16 storage of a weight or KV scale: s16 = fp16(m / 127f); the scale used is its exact widening. */
    public static float storedScale(float maxAbs) {
        return Float.float16ToFloat(Float.floatToFloat16(maxAbs / 127f));
    }
}
