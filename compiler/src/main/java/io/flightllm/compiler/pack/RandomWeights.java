package io.flightllm.compiler.pack;

import io.flightllm.arch.numerics.Sparsity;
import io.flightllm.arch.numerics.WeightQuantizer;
import io.flightllm.compiler.shape.LinearShape;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.LinearKind;

import java.util.SplittableRandom;

/**
 * Random weights already in compressed form for a planned {@link ModelShape}: values uniform over the b-bit range,
 * random ascending positions in sparse segments, FP16 scales around 1/qmax, small
 * biases where the shape has them, norms 1 (LayerNorm biases 0). For compiling and timing large
 * shapes (LLaMA2-7B) without a checkpoint; the bytes are as many as a real model's. Seeded per tensor, so any order of
 * requests gives the same weights.
 */
public final class RandomWeights implements WeightFeed {
    private final ModelShape shape;
    private final long seed;

    public RandomWeights(ModelShape shape, long seed) {
        this.shape = shape;
        this.seed = seed;
    }

    @Override
    public CompressedLinear linear(int layer, LinearKind kind) {
        LinearShape s = kind == LinearKind.CLASSIFIER ? shape.classifier() : shape.linear(layer, kind);
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + s.name().hashCode());
        int pr = s.paddedRows();
        int colBlocks = s.colBlocks();
        long kept = 0;
        long pos = 0;
        for (int rb = 0; rb < s.rowBlocks(); rb++) {
            for (int cb = 0; cb < colBlocks; cb++) {
                int n = s.density(rb, cb);
                kept += (long) Sparsity.BLOCK * n;
                pos += n < Sparsity.BLOCK ? (long) Sparsity.BLOCK * n : 0;
            }
        }
        byte[] values = new byte[Math.toIntExact(kept)];
        byte[] positions = new byte[Math.toIntExact(pos)];
        int qmax = WeightQuantizer.qmax(s.bits());
        int bits = s.bits();
        int fieldMask = (1 << bits) - 1;
        long pool = 0;
        int poolBits = 0;
        int vi = 0;
        int pi = 0;
        int[] slots = new int[Sparsity.BLOCK];
        for (int r = 0; r < pr; r++) {
            boolean real = r < s.rows();
            int rb = r / Sparsity.BLOCK;
            for (int cb = 0; cb < colBlocks; cb++) {
                int n = s.density(rb, cb);
                for (int i = 0; i < n; i++) {
                    if (poolBits < bits) {
                        pool = rnd.nextLong();
                        poolBits = 64;
                    }
                    int f = (int) pool & fieldMask; // 2^b - 1 values in range; the all-ones pattern maps to 0
                    pool >>>= bits;
                    poolBits -= bits;
                    values[vi++] = real && f != fieldMask ? (byte) (f - qmax) : 0;
                }
                if (n > 0 && n < Sparsity.BLOCK) {
                    for (int i = 0; i < Sparsity.BLOCK; i++) {
                        slots[i] = i;
                    }
                    for (int i = 0; i < n; i++) { // partial Fisher-Yates, then sort the chosen n
                        int j = i + rnd.nextInt(Sparsity.BLOCK - i);
                        int t = slots[i];
                        slots[i] = slots[j];
                        slots[j] = t;
                    }
                    java.util.Arrays.sort(slots, 0, n);
                    for (int i = 0; i < n; i++) {
                        positions[pi++] = (byte) slots[i];
                    }
                }
            }
        }
        int groups = s.groups();
        short[] scales = new short[pr * groups];
        for (int r = 0; r < s.rows(); r++) {
            for (int g = 0; g < groups; g++) {
                scales[r * groups + g] = Float.floatToFloat16((0.5f + rnd.nextFloat()) / qmax * 0.05f);
            }
        }
        float[] bias = null;
        if (s.bias()) {
            bias = new float[s.rows()];
            for (int r = 0; r < bias.length; r++) {
                bias[r] = (rnd.nextFloat() - 0.5f) * 0.1f;
            }
        }
        return new CompressedLinear(s.name(), s.rows(), s.cols(), s.bits(), s.groupSize(), s.blockN(), values,
                positions, scales, bias);
    }

    @Override
    public float[] norm(int index) {
        float[] n = new float[shape.config().dim()];
        java.util.Arrays.fill(n, 1.0f);
        return n;
    }

    @Override
    public float[] normBias(int index) {
        return shape.normBias() ? new float[shape.config().dim()] : null;
    }
}
