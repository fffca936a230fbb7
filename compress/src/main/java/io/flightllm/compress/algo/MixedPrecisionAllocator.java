package io.flightllm.compress.algo;

import io.flightllm.compress.CalibrationStats;
import io.flightllm.arch.numerics.WeightQuantizer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.RoundToNearest;
import java.util.Arrays;
import java.util.List;

/**
 * Chooses one weight bit width per linear layer to minimize the summed Hessian-weighted error
 * tr((W - Q_b(W)) H (W - Q_b(W))^T) under an average-bits budget (a multiple-choice knapsack, solved exactly by dynamic
 * programming over sizes rounded up to a fixed unit that depends only on the total weight count, so a larger budget
 * can never give a larger total error and the budget is always met by the true sizes).
 *
 * <p>Budget basis: {@link Basis#VALUES} counts only the b-bit values (kept weights x b) per dense weight;
 * {@link Basis#ALL} counts everything stored for the linear (values, 4-bit positions, one byte of N per block, FP16
 * scales) per dense weight, which is the report metric {@code bits_per_weight}.
 */
public final class MixedPrecisionAllocator {
    /** Size resolution: the budget is split into at most this many units per 16 bits per weight. */
    private static final long UNITS_AT_16_BITS = 1L << 18;

    private MixedPrecisionAllocator() {
    }

    public enum Basis { VALUES, ALL }

    /** One choice for one linear: its bit width, Hessian-weighted error and sizes in bits. */
    public record Option(int bits, double error, long valueBits, long totalBits) {
        long size(Basis basis) {
            return basis == Basis.VALUES ? valueBits : totalBits;
        }
    }

    /** A linear layer with its options (dense parameter count = rows x cols). */
    public record Candidate(String name, long denseWeights, List<Option> options) {
        public Candidate {
            options = List.copyOf(options);
            if (options.isEmpty() || denseWeights <= 0) {
                throw new IllegalArgumentException(name + ": needs at least one option and a positive size");
            }
        }
    }

    /** The chosen bits per candidate (in input order), their total error and achieved bits per weight. */
    public record Allocation(int[] bits, double totalError, double bitsPerWeight, double budget, Basis basis) {
    }

    /** Sizes of a compressed linear in bits: values, positions (4 bits each), N per block (8 bits), scales (16). */
    public static Option option(CompressedLinear l, double error) {
        long values = l.keptCount() * l.bits();
        long meta = 4L * l.positions().length + 8L * l.rowBlocks() * l.colBlocks() + 16L * l.scaleBits().length;
        return new Option(l.bits(), error, values, values + meta);
    }

    /**
     * A linear's options for every width in {@link WeightQuantizer#BITS}: Wanda mask for the given densities, then
     * round-to-nearest Q_b with FP16 group scales, scored by {@link #hessianError}.
     */
    public static Candidate measure(String name, float[] w, int rows, int cols, int groupSize, byte[] blockN,
                                    CalibrationStats stats) {
        boolean[] kept = WandaCompressor.N16.mask(w, rows, cols, blockN, stats);
        double[] h = stats.requireHessian("the mixed-precision sensitivity");
        List<Option> opts = new java.util.ArrayList<>();
        for (int bits : WeightQuantizer.BITS) {
            CompressedLinear l = RoundToNearest.quantize(name, w, rows, cols, bits, groupSize, blockN, kept, null);
            opts.add(option(l, hessianError(w, l, h)));
        }
        return new Candidate(name, (long) rows * cols, opts);
    }

    /**
     * tr(E H E^T) with E = W - dequantized(q) over the real [rows][cols]: the expected squared output error per
     * token, times 2 (H = 2 X^T X / n).
     */
    public static double hessianError(float[] w, CompressedLinear q, double[] h) {
        int rows = q.rows();
        int cols = q.cols();
        if (w.length != (long) rows * cols || h.length != (long) cols * cols) {
            throw new IllegalArgumentException(q.name() + ": weights or Hessian do not match [" + rows + ", " + cols
                    + "]");
        }
        double total = 0;
        double[] e = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                e[c] = w[r * cols + c] - (double) q.dequantized(r, c);
            }
            for (int i = 0; i < cols; i++) {
                if (e[i] == 0) {
                    continue;
                }
                double s = 0;
                for (int j = 0; j < cols; j++) {
                    s += h[i * cols + j] * e[j];
                }
                total += e[i] * s;
            }
        }
        return total;
    }

    public static Allocation allocate(List<Candidate> candidates, double budgetBitsPerWeight, Basis basis) {
        long weights = 0;
        for (Candidate c : candidates) {
            weights = Math.addExact(weights, c.denseWeights());
        }
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no linear layers to allocate bits to");
        }
        if (!(budgetBitsPerWeight > 0) || budgetBitsPerWeight > 64) {
            throw new IllegalArgumentException("budget " + budgetBitsPerWeight + " bits per weight must be in (0, 64]");
        }
        long unit = Math.max(1, (long) Math.ceil(16.0 * weights / UNITS_AT_16_BITS));
        int cells = Math.toIntExact((long) Math.floor(budgetBitsPerWeight * weights / unit));
        int n = candidates.size();
        long minUnits = 0;
        for (Candidate c : candidates) {
            minUnits += c.options().stream().mapToLong(o -> units(o, basis, unit)).min().orElseThrow();
        }
        if (minUnits > cells) {
            throw new IllegalArgumentException("budget " + budgetBitsPerWeight + " bits per weight (" + basis
                    + ") is below the smallest choice, " + (double) minUnits * unit / weights + " bits per weight");
        }
        double[] dp = new double[cells + 1];
        Arrays.fill(dp, Double.POSITIVE_INFINITY);
        dp[0] = 0;
        byte[][] choice = new byte[n][cells + 1];
        for (int i = 0; i < n; i++) {
            List<Option> opts = candidates.get(i).options();
            double[] next = new double[cells + 1];
            Arrays.fill(next, Double.POSITIVE_INFINITY);
            for (int k = 0; k < opts.size(); k++) {
                Option o = opts.get(k);
                long s = units(o, basis, unit);
                for (int u = (int) Math.min(s, cells + 1L); u <= cells; u++) {
                    double v = dp[u - (int) s] + o.error();
                    if (v < next[u]) {
                        next[u] = v;
                        choice[i][u] = (byte) k;
                    }
                }
            }
            dp = next;
        }
        int best = 0;
        for (int u = 1; u <= cells; u++) {
            if (dp[u] < dp[best]) {
                best = u;
            }
        }
        int[] bits = new int[n];
        long used = 0;
        double err = 0;
        for (int i = n - 1, u = best; i >= 0; i--) {
            Option o = candidates.get(i).options().get(choice[i][u]);
            bits[i] = o.bits();
            used += o.size(basis);
            err += o.error();
            u -= (int) units(o, basis, unit);
        }
        return new Allocation(bits, err, (double) used / weights, budgetBitsPerWeight, basis);
    }

    private static long units(Option o, Basis basis, long unit) {
        return (o.size(basis) + unit - 1) / unit;
    }
}
