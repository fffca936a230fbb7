package io.flightllm.compress;

/**
 * Zero-pads attention heads to {@code padded} features (numerics contract: heads narrower than 16 are padded to 16).
 * Rows of wq/wk/wv and columns of wo are laid out head by head; inside a head the real features come first, in their
 * original (interleaved RoPE pair) order, followed by zeros.
 */
public final class HeadPadding {
    private HeadPadding() {
    }

    /** [heads * headSize][cols] -> [heads * padded][cols]. */
    public static float[] padRows(float[] w, int heads, int headSize, int padded, int cols) {
        if (padded == headSize) {
            return w;
        }
        float[] out = new float[Math.multiplyExact(heads * padded, cols)];
        for (int h = 0; h < heads; h++) {
            System.arraycopy(w, h * headSize * cols, out, h * padded * cols, headSize * cols);
        }
        return out;
    }

    /** [rows][heads * headSize] -> [rows][heads * padded]. */
    public static float[] padColumns(float[] w, int rows, int heads, int headSize, int padded) {
        if (padded == headSize) {
            return w;
        }
        int in = heads * headSize;
        int out = heads * padded;
        float[] o = new float[Math.multiplyExact(rows, out)];
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                System.arraycopy(w, r * in + h * headSize, o, r * out + h * padded, headSize);
            }
        }
        return o;
    }
}
