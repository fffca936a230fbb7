package io.flightllm.compress.algo;

import io.flightllm.arch.numerics.WeightQuantizer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.Packing;
import io.flightllm.compress.RoundToNearest;

/**
 * The column sweep shared by GPTQ and SparseGPT (optimal brain surgeon with the Cholesky factor U of H^-1): columns
 * are fixed one at a time (pruned to 0 and/or quantized), and each column's error e = (w - q) / U_jj is compensated in
 * the columns not yet fixed, W[:, j] -= e U_ij. Updates inside a block of {@link Options#lazyBlock} columns are
 * applied at once; the rest of the matrix receives the whole block's errors in one product afterwards ("lazy batch").
 *
 * <p>Sparsity: either a fixed mask, or SparseGPT's adaptive selection: when the sweep reaches the first column of a
 * 16-column segment, every row keeps the N (per pattern group: N x m / 16) columns of largest OBS saliency
 * w^2 / U_jj^2 among the segment's current (already compensated) weights.
 *
 * <p>Quantization (b-bit, FP16 scales by {@link WeightQuantizer#scaleBits}, one per row and group of G columns): in
 * natural order a group's scales are computed when the sweep reaches the group's first column, from the current weights
 * of the group that are kept or not yet decided (GPTQ's group variant; for columns beyond the current lazy block the
 * block's pending updates are applied on the fly, so the lazy block size never changes the result). With activation
 * order (columns swept by descending diag H) groups stay groups of stored columns, so their scales are computed up
 * front from the original weights ("static groups"); the result is stored in the original column order.
 *
 * <p>Everything runs on the padded matrix: padded columns and "dead" columns (diag H = 0: never activated) have zero
 * weights and a decoupled unit Hessian entry, padded rows are zero.
 */
public final class ObsSweep {
    public static final int DEFAULT_LAZY_BLOCK = 128;

    private ObsSweep() {
    }

    /** How the sweep treats sparsity. */
    public sealed interface Mask {
    }

    /** Every weight kept (blockN all 16). */
    public record Dense() implements Mask {
    }

    /** A mask chosen beforehand, [paddedRows][paddedCols] in stored column order; pruned weights are compensated. */
    public record Fixed(boolean[] kept) implements Mask {
    }

    /** SparseGPT's adaptive N:16 selection under per-block densities and a pattern (4, 8 or 16). */
    public record Adaptive(byte[] blockN, int pattern) implements Mask {
    }

    /** b-bit quantization folded into the sweep. */
    public record Quant(int bits, int groupSize) {
        public Quant {
            WeightQuantizer.checkBits(bits);
            if (groupSize <= 0 || groupSize % 16 != 0) {
                throw new IllegalArgumentException("group size " + groupSize + " must be a positive multiple of 16");
            }
        }
    }

    /**
     * @param damping   Hessian damping as a fraction of its mean diagonal (raised automatically if needed)
     * @param lazyBlock columns per lazy-update block (rounded up to a multiple of 16)
     * @param actOrder  sweep columns by descending diag H (dense or fixed masks only)
     */
    public record Options(double damping, int lazyBlock, boolean actOrder) {
        public static final Options DEFAULT = new Options(HessianInverse.DEFAULT_DAMPING, DEFAULT_LAZY_BLOCK, false);

        public Options {
            if (lazyBlock <= 0) {
                throw new IllegalArgumentException("lazy block " + lazyBlock + " must be positive");
            }
        }

        public Options withActOrder(boolean on) {
            return new Options(damping, lazyBlock, on);
        }

        public Options withDamping(double d) {
            return new Options(d, lazyBlock, actOrder);
        }
    }

    /**
     * The sweep's outcome, in stored column order.
     *
     * @param weights the final FP32 weights [rows][cols] (dequantized when quantized; 0 where pruned)
     * @param kept    the mask, [paddedRows][paddedCols]
     * @param q       the b-bit values [paddedRows][paddedCols], or null without quantization
     * @param scales  FP16 scale bits [paddedRows][groups], or null without quantization
     * @param hessian the factorization used (its damping and any warning)
     */
    public record Result(int rows, int cols, float[] weights, boolean[] kept, byte[] q, short[] scales,
                         Quant quant, HessianInverse hessian) {

        /**
         * The compressed layer: the folded quantization when there was one, otherwise round-to-nearest of the
         * compensated weights under the mask.
         */
        public CompressedLinear toCompressed(String name, int bits, int groupSize, byte[] blockN, float[] bias) {
            if (q != null) {
                if (quant.bits() != bits || quant.groupSize() != groupSize) {
                    throw new IllegalArgumentException(name + ": swept with " + quant + ", asked for W" + bits
                            + " G" + groupSize);
                }
                return Packing.fromMasked(name, rows, cols, bits, groupSize, blockN, q, kept, scales, bias);
            }
            return RoundToNearest.quantize(name, weights, rows, cols, bits, groupSize, blockN, kept, bias);
        }
    }

    public static Result run(float[] w, int rows, int cols, double[] hessian, Mask mask, Quant quant, Options opt) {
        if (w.length != (long) rows * cols) {
            throw new IllegalArgumentException(w.length + " weights; expected " + rows + " x " + cols);
        }
        if (hessian.length != (long) cols * cols) {
            throw new IllegalArgumentException("Hessian of " + hessian.length + " entries; expected " + cols + " x "
                    + cols);
        }
        int pr = CompressedLinear.ceil16(rows);
        int pc = CompressedLinear.ceil16(cols);
        int cb = pc / 16;
        boolean adaptive = mask instanceof Adaptive;
        if (adaptive && opt.actOrder()) {
            throw new IllegalArgumentException("activation order cannot be combined with adaptive N:16 selection "
                    + "(segments must be swept in column order)");
        }
        byte[] blockN = null;
        int pattern = 16;
        if (mask instanceof Adaptive(byte[] bn, int p)) {
            Masks.checkPattern(bn, p);
            if (bn.length != pr / 16 * cb) {
                throw new IllegalArgumentException(bn.length + " block densities; expected " + pr / 16 * cb);
            }
            blockN = bn;
            pattern = p;
        }
        if (mask instanceof Fixed(boolean[] k) && k.length != pr * pc) {
            throw new IllegalArgumentException("mask of " + k.length + " entries; expected " + pr + " x " + pc);
        }

        // Padded Hessian: dead and padded columns get a decoupled diagonal entry equal to the mean live diagonal.
        boolean[] dead = new boolean[pc];
        double meanLive = 0;
        int live = 0;
        for (int j = 0; j < pc; j++) {
            dead[j] = j >= cols || hessian[j * cols + j] == 0;
            if (!dead[j]) {
                meanLive += hessian[j * cols + j];
                live++;
            }
        }
        meanLive = live == 0 ? 1 : meanLive / live;
        double[] hp = new double[pc * pc];
        for (int i = 0; i < pc; i++) {
            if (dead[i]) {
                hp[i * pc + i] = meanLive;
                continue;
            }
            for (int j = 0; j < cols; j++) {
                hp[i * pc + j] = dead[j] ? 0 : hessian[i * cols + j];
            }
        }
        int[] perm = order(hp, pc, opt.actOrder());
        double[] hperm = new double[pc * pc];
        for (int i = 0; i < pc; i++) {
            for (int j = 0; j < pc; j++) {
                hperm[i * pc + j] = hp[perm[i] * pc + perm[j]];
            }
        }
        HessianInverse hi = HessianInverse.of(hperm, pc, opt.damping());
        double[] u = hi.upper();

        // Working copies in sweep order.
        double[] wk = new double[pr * pc];
        boolean[] kept = new boolean[pr * pc];
        for (int r = 0; r < pr; r++) {
            for (int i = 0; i < pc; i++) {
                int c = perm[i];
                wk[r * pc + i] = r < rows && !dead[c] ? w[r * cols + c] : 0;
                kept[r * pc + i] = switch (mask) {
                    case Dense d -> true;
                    case Fixed(boolean[] k) -> k[r * pc + c];
                    case Adaptive a -> false;
                };
            }
        }
        int groupSize = quant == null ? pc : quant.groupSize();
        int groups = (pc + groupSize - 1) / groupSize;
        short[] scales = quant == null ? null : new short[pr * groups];
        float[] s = quant == null ? null : new float[pr * groups];
        byte[] q = quant == null ? null : new byte[pr * pc];
        int[] pos = new int[pc];
        for (int i = 0; i < pc; i++) {
            pos[perm[i]] = i;
        }
        if (quant != null && opt.actOrder()) { // static groups from the original weights (kept ones)
            for (int r = 0; r < rows; r++) {
                for (int g = 0; g < groups; g++) {
                    float m = 0;
                    for (int c = g * groupSize; c < Math.min(pc, (g + 1) * groupSize); c++) {
                        int i = pos[c];
                        if (kept[r * pc + i]) {
                            m = Math.max(m, (float) Math.abs(wk[r * pc + i]));
                        }
                    }
                    setScale(scales, s, r * groups + g, m, quant.bits());
                }
            }
        }

        int lazy = (opt.lazyBlock() + 15) / 16 * 16;
        double[] err = new double[pr * lazy];
        double[] score = new double[16];
        for (int i1 = 0; i1 < pc; i1 += lazy) {
            int i2 = Math.min(i1 + lazy, pc);
            for (int i = i1; i < i2; i++) {
                if (adaptive && i % 16 == 0) {
                    for (int r = 0; r < pr; r++) {
                        for (int k = 0; k < 16; k++) {
                            int c = i + k;
                            double d = u[c * pc + c];
                            double x = wk[r * pc + c];
                            score[k] = c < cols && r < rows ? x * x / (d * d) : -1;
                        }
                        Masks.keepTop(score, kept, r * pc + i, blockN[(r / 16) * cb + i / 16], pattern);
                    }
                }
                int col = perm[i];
                if (quant != null && !opt.actOrder() && i % groupSize == 0) {
                    int g = i / groupSize;
                    int segEnd = adaptive ? i + 16 : pc; // adaptive: columns from segEnd on are not decided yet
                    for (int r = 0; r < rows; r++) {
                        float m = 0;
                        for (int j = i; j < Math.min(pc, i + groupSize); j++) {
                            if (j >= segEnd || kept[r * pc + j]) {
                                double x = wk[r * pc + j];
                                for (int k = i1; j >= i2 && k < i; k++) { // this block's pending updates
                                    x -= err[r * lazy + (k - i1)] * u[k * pc + j];
                                }
                                m = Math.max(m, (float) Math.abs(x));
                            }
                        }
                        setScale(scales, s, r * groups + g, m, quant.bits());
                    }
                }
                double d = u[i * pc + i];
                int g = col / groupSize;
                for (int r = 0; r < pr; r++) {
                    double x = wk[r * pc + i];
                    double fixed;
                    if (!kept[r * pc + i]) {
                        fixed = 0;
                    } else if (quant == null) {
                        fixed = x;
                    } else {
                        float sc = s[r * groups + g];
                        int qi = WeightQuantizer.quantize((float) x, sc, quant.bits());
                        q[r * pc + col] = (byte) qi;
                        fixed = qi * sc;
                    }
                    wk[r * pc + i] = fixed;
                    double e = (x - fixed) / d;
                    err[r * lazy + (i - i1)] = e;
                    if (e != 0) {
                        int ub = i * pc;
                        int wb = r * pc;
                        for (int j = i + 1; j < i2; j++) {
                            wk[wb + j] -= e * u[ub + j];
                        }
                    }
                }
            }
            if (i2 < pc) { // lazy batch update of the columns after this block
                for (int r = 0; r < pr; r++) {
                    int wb = r * pc;
                    for (int k = 0; k < i2 - i1; k++) {
                        double e = err[r * lazy + k];
                        if (e == 0) {
                            continue;
                        }
                        int ub = (i1 + k) * pc;
                        for (int j = i2; j < pc; j++) {
                            wk[wb + j] -= e * u[ub + j];
                        }
                    }
                }
            }
        }

        float[] out = new float[rows * cols];
        boolean[] keptOut = new boolean[pr * pc];
        for (int r = 0; r < pr; r++) {
            for (int i = 0; i < pc; i++) {
                int c = perm[i];
                keptOut[r * pc + c] = kept[r * pc + i];
                if (r < rows && c < cols) {
                    out[r * cols + c] = (float) wk[r * pc + i];
                }
            }
        }
        return new Result(rows, cols, out, keptOut, q, scales, quant, hi);
    }

    private static void setScale(short[] scales, float[] s, int at, float maxAbs, int bits) {
        scales[at] = WeightQuantizer.scaleBits(maxAbs, bits);
        s[at] = Float.float16ToFloat(scales[at]);
    }

    /** Sweep order: identity, or columns by descending diagonal (ties: lower column first). */
    static int[] order(double[] h, int n, boolean actOrder) {
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        if (actOrder) {
            java.util.Arrays.sort(idx, (a, b) -> {
                int c = Double.compare(h[b * n + b], h[a * n + a]);
                return c != 0 ? c : Integer.compare(a, b);
            });
        }
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = idx[i];
        }
        return perm;
    }
}
