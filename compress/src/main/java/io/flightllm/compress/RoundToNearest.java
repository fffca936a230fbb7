package io.flightllm.compress;

import io.flightllm.arch.numerics.WeightQuantizer;

/**
 * The reference compressor: per 16-column row segment keep the N weights with the largest importance (|w| times an
 * optional per-column factor, e.g. Wanda's activation norm), then round to nearest with one FP16 scale per row and
 * group over the kept real weights. Other methods (GPTQ, SparseGPT) change the weights before this last step.
 */
public final class RoundToNearest {
    private RoundToNearest() {
    }

    /**
     * @param w                row-major [rows][cols] FP32 weights
     * @param blockN           per-block densities ({@link BlockDensity})
     * @param columnImportance per input column factor multiplying |w| in the selection, or null for magnitude
     */
    public static CompressedLinear compress(String name, float[] w, int rows, int cols, int bits, int groupSize,
                                            byte[] blockN, float[] columnImportance, float[] bias) {
        boolean[] kept = selectByImportance(w, rows, cols, blockN, columnImportance);
        return quantize(name, w, rows, cols, bits, groupSize, blockN, kept, bias);
    }

    /**
     * Marks, per row segment of a block with density N, the N columns of largest importance (ties: lower column);
     * padded columns only when fewer than N real columns exist. Returns a [paddedRows][paddedCols] mask.
     */
    public static boolean[] selectByImportance(float[] w, int rows, int cols, byte[] blockN, float[] colImportance) {
        int pr = CompressedLinear.ceil16(rows);
        int pc = CompressedLinear.ceil16(cols);
        int cb = pc / 16;
        boolean[] kept = new boolean[pr * pc];
        float[] score = new float[16];
        long[] key = new long[16];
        for (int r = 0; r < pr; r++) {
            for (int j = 0; j < cb; j++) {
                int n = blockN[(r / 16) * cb + j];
                if (n == 16) {
                    for (int k = 0; k < 16; k++) {
                        kept[r * pc + j * 16 + k] = true;
                    }
                    continue;
                }
                for (int k = 0; k < 16; k++) {
                    int c = j * 16 + k;
                    score[k] = r < rows && c < cols
                            ? Math.abs(w[r * cols + c]) * (colImportance == null ? 1.0f : colImportance[c])
                            : -1.0f; // padding: chosen last
                }
                // keep k when fewer than n entries outrank it (a larger score, or an equal one at a lower column):
                // the same set as picking the largest n one by one. Keys order by score, then lower column first
                // (scores are >= 0 or -1, so their int bits order like the floats).
                for (int k = 0; k < 16; k++) {
                    int bits = score[k] < 0 ? -1 : Float.floatToRawIntBits(score[k]);
                    key[k] = ((long) bits << 4) | (15 - k);
                }
                for (int k = 0; k < 16; k++) {
                    int rank = 0;
                    for (int i = 0; i < 16; i++) {
                        rank += (int) ((key[k] - key[i]) >>> 63);
                    }
                    kept[r * pc + j * 16 + k] = rank < n;
                }
            }
        }
        return kept;
    }

    /** Quantizes the kept weights with per-(row, group) FP16 scales and builds the compressed layer. */
    public static CompressedLinear quantize(String name, float[] w, int rows, int cols, int bits, int groupSize,
                                            byte[] blockN, boolean[] kept, float[] bias) {
        int pr = CompressedLinear.ceil16(rows);
        int pc = CompressedLinear.ceil16(cols);
        int groups = (pc + groupSize - 1) / groupSize;
        short[] scales = new short[pr * groups];
        float[] s = new float[groups];
        byte[] q = new byte[pr * pc];
        for (int r = 0; r < rows; r++) {
            float[] m = new float[groups];
            for (int c = 0; c < cols; c++) {
                if (kept[r * pc + c]) {
                    m[c / groupSize] = Math.max(m[c / groupSize], Math.abs(w[r * cols + c]));
                }
            }
            for (int g = 0; g < groups; g++) {
                scales[r * groups + g] = WeightQuantizer.scaleBits(m[g], bits);
                s[g] = Float.float16ToFloat(scales[r * groups + g]);
            }
            for (int c = 0; c < cols; c++) {
                if (kept[r * pc + c]) {
                    q[r * pc + c] = (byte) WeightQuantizer.quantize(w[r * cols + c], s[c / groupSize], bits);
                }
            }
        }
        return Packing.fromMasked(name, rows, cols, bits, groupSize, blockN, q, kept, scales, bias);
    }
}
