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
        return quantizeRow(x, 0, n, q, 0);
    }

    /**
     * Quantizes x[off .. off + n) into q[qOff ..) and returns the FP32 scale (activation rows: q per (token, head),
     * p' per (query token, head), linear inputs per token row).
     */
    public static float quantizeRow(float[] x, int off, int n, byte[] q, int qOff) {
        float m = maxAbs(x, off, n);
        if (m == 0.0f) {
            java.util.Arrays.fill(q, qOff, qOff + n, (byte) 0);
            return 0.0f;
        }
        float s = m / 127f;
        for (int i = 0; i < n; i++) {
            q[qOff + i] = quantize(x[off + i], s);
        }
        return s;
    }

    /**
     * The KV-cache quantizer: s16 = fp16(m / 127f) is stored, and x[off .. off + n) is quantized into q[qOff ..) with
     * its exact widening s (every q = 0 when s = 0, also when m / 127 underflows FP16). Returns the FP16 bits.
     */
    public static short quantizeRowFp16(float[] x, int off, int n, byte[] q, int qOff) {
        short s16 = Float.floatToFloat16(maxAbs(x, off, n) / 127f);
        float s = Float.float16ToFloat(s16);
        if (s == 0.0f) {
            java.util.Arrays.fill(q, qOff, qOff + n, (byte) 0);
            return s16;
        }
        for (int i = 0; i < n; i++) {
            q[qOff + i] = quantize(x[off + i], s);
        }
        return s16;
    }

    /** m = max |x_i| over x[off .. off + n), with Math.max semantics, starting at +0. */
    public static float maxAbs(float[] x, int off, int n) {
        float m = 0.0f;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, Math.abs(x[off + i]));
        }
        return m;
    }

    /** One value with a given non-zero scale. */
    public static byte quantize(float x, float s) {
        float r = (float) Math.rint(x / s);
        return (byte) Math.max(-QMAX, Math.min(QMAX, (int) r));
    }
}
