package io.flightllm.model.forward;

import io.flightllm.model.DType;
import io.flightllm.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Random tensors of every stored type, written byte by byte in their on-disk layout (little-endian). */
final class RandomTensors {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomTensors() {
    }

    /** Values roughly uniform in [-1, 1] (scales in [0, 0.05) for the block types). */
    static Tensor of(Arena arena, DType type, int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long n = (long) rows * cols;
        return switch (type) {
            case F32 -> {
                MemorySegment s = arena.allocate(4 * n);
                for (long i = 0; i < n; i++) {
                    s.set(F32, 4 * i, (float) rnd.nextDouble(-1, 1));
                }
                yield Tensor.of("f32", type, rows, cols, s);
            }
            case F16 -> {
                MemorySegment s = arena.allocate(2 * n);
                for (long i = 0; i < n; i++) {
                    s.set(I16, 2 * i, Float.floatToFloat16((float) rnd.nextDouble(-1, 1)));
                }
                yield Tensor.of("f16", type, rows, cols, s);
            }
            case BF16 -> {
                MemorySegment s = arena.allocate(2 * n);
                for (long i = 0; i < n; i++) {
                    s.set(I16, 2 * i, (short) (Float.floatToIntBits((float) rnd.nextDouble(-1, 1)) >>> 16));
                }
                yield Tensor.of("bf16", type, rows, cols, s);
            }
            case Q8_0, Q4_0 -> {
                MemorySegment s = arena.allocate(type.bytesFor(n));
                for (long b = 0; b < n / 32; b++) {
                    long at = b * type.blockBytes();
                    s.set(I16, at, Float.floatToFloat16((float) rnd.nextDouble(0, 0.05)));
                    for (int j = 2; j < type.blockBytes(); j++) {
                        s.set(ValueLayout.JAVA_BYTE, at + j, (byte) (type == DType.Q8_0 ? rnd.nextInt(-127, 128)
                                : rnd.nextInt(256)));
                    }
                }
                yield Tensor.of(type.name(), type, rows, cols, s);
            }
            case Q8_GROUP -> q8Group(arena, rows, cols, cols % 32 == 0 ? 32 : 8, seed);
        };
    }

    /** llama2.c v2 int8 groups; a group size that does not divide the row length makes groups straddle rows. */
    static Tensor q8Group(Arena arena, int rows, int cols, int groupSize, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long n = (long) rows * cols;
        if (n % groupSize != 0) {
            throw new IllegalArgumentException(rows + " x " + cols + " is not a multiple of " + groupSize);
        }
        long groups = n / groupSize;
        MemorySegment values = arena.allocate(n);
        for (long i = 0; i < n; i++) {
            values.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(-127, 128));
        }
        MemorySegment scales = arena.allocate(4 * groups);
        for (long g = 0; g < groups; g++) {
            scales.set(F32, 4 * g, (float) rnd.nextDouble(0, 0.02));
        }
        return Tensor.q8Group("q8g", rows, cols, values, scales, groupSize);
    }

    static float[] vector(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        return x;
    }
}
