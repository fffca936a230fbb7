package io.flightllm.sim;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Little-endian views of byte arrays: every buffer and memory of the device is little-endian. */
final class Bytes {
    private static final VarHandle F32 = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private Bytes() {
    }

    static float f32(byte[] a, int at) {
        return (float) F32.get(a, at);
    }

    static void f32(byte[] a, int at, float v) {
        F32.set(a, at, v);
    }

    static int i32(byte[] a, int at) {
        return (int) I32.get(a, at);
    }

    static void i32(byte[] a, int at, int v) {
        I32.set(a, at, v);
    }

    static short i16(byte[] a, int at) {
        return (short) I16.get(a, at);
    }

    static void i16(byte[] a, int at, short v) {
        I16.set(a, at, v);
    }

    /** n FP32 values from a[at..] into dst[off..]. */
    static void readF32(byte[] a, int at, float[] dst, int off, int n) {
        for (int i = 0; i < n; i++) {
            dst[off + i] = f32(a, at + 4 * i);
        }
    }

    /** n FP32 values from src[off..] to a[at..]. */
    static void writeF32(byte[] a, int at, float[] src, int off, int n) {
        for (int i = 0; i < n; i++) {
            f32(a, at + 4 * i, src[off + i]);
        }
    }
}
