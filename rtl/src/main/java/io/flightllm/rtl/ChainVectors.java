package io.flightllm.rtl;

import io.flightllm.arch.mpe.ChainPlan;
import io.flightllm.arch.mpe.Dsp48e2;
import io.flightllm.arch.mpe.VpuInput;
import io.flightllm.arch.numerics.Sparsity;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;

/**
 * Co-simulation inputs for a chain in one mode: the edge cases (operands at +-127 so every segment sits at the
 * overflow-free limit and long chains go through the overflow-adjust path, all-zero blocks, zero weights or
 * activations, alternating signs and bit patterns, repeated positions, and INT8 -128, outside the contract, where the
 * model still mirrors the hardware's lane arithmetic) followed by random vectors with operands in [-127, 127].
 */
final class ChainVectors {
    private static final int M = Dsp48e2.OPERAND_MAX;

    /** One bus input: a label and the rows of one cycle (same N, mode and block for every row). */
    record Labeled(String label, List<VpuInput> rows) {
    }

    private ChainVectors() {
    }

    static List<Labeled> edges(ChainPlan plan, int rows, int n, boolean mm) {
        List<Labeled> out = new ArrayList<>();
        add(out, plan, rows, n, mm, "max", i -> M, p -> M, p -> M, false);
        add(out, plan, rows, n, mm, "opposite-lanes", i -> -M, p -> M, p -> -M, false);
        add(out, plan, rows, n, mm, "negative-low-lane", i -> M, p -> -M, p -> M, false);
        add(out, plan, rows, n, mm, "all-zero-block", i -> 0, p -> 0, p -> 0, false);
        add(out, plan, rows, n, mm, "zero-weights", i -> 0, p -> M, p -> -M, false);
        add(out, plan, rows, n, mm, "zero-activations", i -> M, p -> 0, p -> 0, false);
        add(out, plan, rows, n, mm, "alternating-weights", i -> i % 2 == 0 ? M : -M, p -> M, p -> M, false);
        add(out, plan, rows, n, mm, "alternating-activations", i -> M, p -> p % 2 == 0 ? M : -M,
                p -> p % 2 == 0 ? -M : M, false);
        add(out, plan, rows, n, mm, "bit-patterns", i -> i % 2 == 0 ? 0x55 : -0x56, p -> p % 2 == 0 ? -0x56 : 0x55,
                p -> 0x55, false);
        add(out, plan, rows, n, mm, "last-slice-only", i -> (i + 1) % n == 0 ? -M : 0, p -> M, p -> M, false);
        add(out, plan, rows, n, mm, "repeated-position", i -> M, p -> p == 0 ? M : 1, p -> p == 0 ? -M : 1, true);
        add(out, plan, rows, n, mm, "int8-min", i -> -128, p -> -128, p -> -128, false);
        SplittableRandom r = new SplittableRandom(plan.chainLength() * 31L + n);
        for (int t = 0; t < 8; t++) {
            long seed = r.nextLong();
            out.add(new Labeled("random-extreme", rowsOf(rows, row -> extreme(plan, n, mm, seed, row))));
        }
        return out;
    }

    static List<Labeled> random(ChainPlan plan, int rows, int n, boolean mm, int count, SplittableRandom r) {
        List<Labeled> out = new ArrayList<>(count);
        for (int v = 0; v < count; v++) {
            byte[] a0 = values(r, Sparsity.BLOCK);
            byte[] a1 = values(r, Sparsity.BLOCK);
            List<VpuInput> rs = new ArrayList<>(rows);
            for (int row = 0; row < rows; row++) {
                byte[] idx = positions(plan, n, r, r.nextInt(4) == 0);
                rs.add(new VpuInput(n, mm, values(r, plan.chainLength()), idx, a0, a1));
            }
            out.add(new Labeled("random", rs));
        }
        return out;
    }

    /** Every operand +-127 (random signs): each segment sums at the overflow-free limit in magnitude. */
    private static VpuInput extreme(ChainPlan plan, int n, boolean mm, long seed, int row) {
        SplittableRandom block = new SplittableRandom(seed);
        SplittableRandom r = new SplittableRandom(seed + 1 + row);
        byte[] a0 = new byte[Sparsity.BLOCK];
        byte[] a1 = new byte[Sparsity.BLOCK];
        for (int p = 0; p < Sparsity.BLOCK; p++) {
            a0[p] = (byte) (block.nextBoolean() ? M : -M);
            a1[p] = (byte) (block.nextBoolean() ? M : -M);
        }
        byte[] w = new byte[plan.chainLength()];
        for (int i = 0; i < w.length; i++) {
            w[i] = (byte) (r.nextBoolean() ? M : -M);
        }
        return new VpuInput(n, mm, w, positions(plan, n, r, false), a0, a1);
    }

    private static void add(List<Labeled> out, ChainPlan plan, int rows, int n, boolean mm, String label,
                            IntUnaryOperator w, IntUnaryOperator act0, IntUnaryOperator act1, boolean repeated) {
        int d = plan.chainLength();
        byte[] wv = new byte[d];
        byte[] idx = new byte[d];
        for (int i = 0; i < d; i++) {
            wv[i] = (byte) w.applyAsInt(i);
            int k = i % n; // slot in the row segment: spread positions k * 16 / N, ascending
            idx[i] = (byte) (!plan.sparse() ? i % Sparsity.BLOCK : repeated ? 0 : k * Sparsity.BLOCK / n);
        }
        byte[] a0 = new byte[Sparsity.BLOCK];
        byte[] a1 = new byte[Sparsity.BLOCK];
        for (int p = 0; p < Sparsity.BLOCK; p++) {
            a0[p] = (byte) act0.applyAsInt(p);
            a1[p] = (byte) act1.applyAsInt(p);
        }
        VpuInput in = new VpuInput(n, mm, wv, idx, a0, a1);
        out.add(new Labeled(label, rowsOf(rows, row -> in)));
    }

    private static List<VpuInput> rowsOf(int rows, IntFunction<VpuInput> row) {
        List<VpuInput> rs = new ArrayList<>(rows);
        VpuInput first = row.apply(0);
        rs.add(first);
        for (int i = 1; i < rows; i++) {
            VpuInput x = row.apply(i);
            // Rows of one cycle share the block and mode (the MPU broadcasts them).
            rs.add(new VpuInput(x.n(), x.mm(), x.w(), x.idx(), first.act0(), first.act1()));
        }
        return rs;
    }

    static byte[] values(SplittableRandom r, int n) {
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) {
            v[i] = (byte) r.nextInt(-M, M + 1);
        }
        return v;
    }

    /** Ascending unique positions per row segment as the .flm stores them, or any 4-bit values when {@code any}. */
    static byte[] positions(ChainPlan plan, int n, SplittableRandom r, boolean any) {
        int d = plan.chainLength();
        byte[] idx = new byte[d];
        for (int s = 0; s < d; s += n) {
            int[] chosen = any ? r.ints(n, 0, Sparsity.BLOCK).toArray()
                    : r.ints(0, Sparsity.BLOCK).distinct().limit(n).sorted().toArray();
            for (int k = 0; k < n; k++) {
                idx[s + k] = (byte) (plan.sparse() ? chosen[k] : (s + k) % Sparsity.BLOCK);
            }
        }
        return idx;
    }
}
