package io.flightllm.model.gguf;

import io.flightllm.model.DType;
import java.nio.ByteBuffer;

/**
 * Encodes FP32 rows into the stored types, following the GGML reference quantizers' rounding:
 * Q8_0 per 32 values d = amax / 127, q = roundf(x * (1/d)); Q4_0 per 32 values d = (the value of largest magnitude,
 * with its sign) / -8, q = min(15, (int) (x * (1/d) + 8.5)). The scale is stored as FP16 (round to nearest even);
 * the quants are computed with the FP32 scale, as the reference does.
 */
public final class GgmlQuant {
    private GgmlQuant() {
    }

    /** Appends {@code x[0..n)} encoded as {@code type} to {@code out} (little-endian). */
    public static void encode(DType type, float[] x, int n, ByteBuffer out) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    out.putFloat(x[i]);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out.putShort(Float.floatToFloat16(x[i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out.putShort(toBf16(x[i]));
                }
            }
            case Q8_0 -> {
                requireBlocks(type, n);
                for (int b = 0; b < n; b += 32) {
                    q8Block(x, b, out);
                }
            }
            case Q4_0 -> {
                requireBlocks(type, n);
                for (int b = 0; b < n; b += 32) {
                    q4Block(x, b, out);
                }
            }
            case Q8_GROUP -> throw new IllegalArgumentException("Q8_GROUP is not a GGUF type");
        }
    }

    private static void requireBlocks(DType type, int n) {
        if (n % 32 != 0) {
            throw new IllegalArgumentException(type + " needs a multiple of 32 values, got " + n);
        }
    }

    private static void q8Block(float[] x, int from, ByteBuffer out) {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[from + j]));
        }
        float d = amax / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        out.putShort(Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) {
            out.put((byte) roundf(x[from + j] * id));
        }
    }

    private static void q4Block(float[] x, int from, ByteBuffer out) {
        float amax = 0.0f;
        float max = 0.0f;
        for (int j = 0; j < 32; j++) {
            float v = x[from + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        out.putShort(Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) (x[from + j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[from + 16 + j] * id + 8.5f));
            out.put((byte) (lo | (hi << 4)));
        }
    }

    /** C's roundf: halfway cases away from zero (Math.round would take -2.5 to -2). */
    static float roundf(float v) {
        return (float) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    /** FP32 to BF16, round to nearest even; NaN stays a (quiet) NaN. */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
