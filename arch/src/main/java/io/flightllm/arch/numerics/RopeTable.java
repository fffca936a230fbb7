package io.flightllm.arch.numerics;

/**
 * The RoPE cos/sin table: entry [pos][i] for i < headSize / 2 is cos/sin(pos * theta^(-2i / headSize)), computed once
 * with StrictMath in double and rounded to FP32, so every executor (twin, simulator, device table region) reads the
 * same bits.
 */
public record RopeTable(int positions, int headSize, float[][] cos, float[][] sin) {

    public static RopeTable create(int positions, int headSize, float theta) {
        if (positions <= 0 || headSize <= 0 || headSize % 2 != 0) {
            throw new IllegalArgumentException("positions " + positions + ", head size " + headSize
                    + ": expected positive values and an even head size");
        }
        int half = headSize / 2;
        float[][] c = new float[positions][half];
        float[][] s = new float[positions][half];
        for (int i = 0; i < half; i++) {
            double freq = StrictMath.pow(theta, -(2.0 * i) / headSize);
            for (int pos = 0; pos < positions; pos++) {
                double angle = pos * freq;
                c[pos][i] = (float) StrictMath.cos(angle);
                s[pos][i] = (float) StrictMath.sin(angle);
            }
        }
        return new RopeTable(positions, headSize, c, s);
    }
}
