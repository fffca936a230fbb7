package io.flightllm.arch.mpe;

import io.flightllm.arch.hw.HardwareConfigException;
import io.flightllm.arch.hw.Mpe;
import io.flightllm.arch.numerics.Sparsity;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The shape of one CSD chain (one VPU), derived from {@link Mpe}: {@code chainLength} DSP slices in groups of
 * {@code groupSize} with a fixed cascade inside a group and a reduction node at each group end. In mode N (N kept
 * weights per 16-wide row segment) the chain is cut every N slices into {@code chainLength / N} sub-chains, each
 * yielding one row segment's dot per cycle; all slices stay busy. Inside a sub-chain longer than {@link #segment()}
 * slices, the overflow-adjust unit at each segment end moves the low lane out of the cascade.
 *
 * @param chainLength slices per chain (a multiple of 16, so a dense row segment fits a whole number of times)
 * @param groupSize   slices per DSP group
 * @param segment     overflow-free run of slices: the largest multiple of groupSize with at most
 *                    {@link Dsp48e2#overflowFreeProducts()} products
 * @param modes       the supported non-zero N, ascending (N = 0 blocks never reach the chain: the controller skips
 *                    them)
 * @param sparse      false for the dense baseline chain: no MUX (slice i takes activation i mod 16), N = 16 only
 */
public record ChainPlan(int chainLength, int groupSize, int segment, List<Integer> modes, boolean sparse) {

    /** How a reduction node at a group end treats the running sum for a given N. */
    public enum Link {
        /** fixed cascade to the next slice */
        PASS,
        /** overflow adjust: the low lane goes to the side sum, the corrected high lane continues in the cascade */
        ADJUST,
        /** end of a sub-chain: the node emits an output and the next slice starts from zero */
        CUT
    }

    public ChainPlan {
        modes = List.copyOf(modes);
    }

    /** The sparse VPU of {@code mpe}: every non-zero N of {@code mpe.sparseModes}. */
    public static ChainPlan sparse(Mpe mpe) {
        List<Integer> modes = Arrays.stream(mpe.sparseModes()).filter(n -> n > 0).sorted().boxed().toList();
        return make(mpe, modes, true);
    }

    /** The dense baseline chain of the same length and grouping (no MUX, N = 16 only). */
    public static ChainPlan dense(Mpe mpe) {
        return make(mpe, List.of(Sparsity.BLOCK), false);
    }

    private static ChainPlan make(Mpe mpe, List<Integer> modes, boolean sparse) {
        int d = mpe.chainLength();
        int g = mpe.dspGroupSize();
        List<String> errors = new ArrayList<>();
        if (d % Sparsity.BLOCK != 0) {
            errors.add("mpe.chainLength = " + d + ": the CSD chain needs a multiple of " + Sparsity.BLOCK
                    + " (a dense row segment of the 16-wide block must fit a whole number of times)");
        }
        int limit = Dsp48e2.overflowFreeProducts();
        if (g > limit) {
            errors.add("mpe.dspGroupSize = " + g + " exceeds the overflow-free run of " + limit
                    + " slices; the overflow-adjust unit sits at group ends, so expected at most " + limit);
        }
        for (int n : modes) {
            if (n % g != 0) {
                errors.add("mpe.sparseModes contains " + n + ", not a multiple of mpe.dspGroupSize = " + g
                        + "; sub-chains are cut at group ends");
            }
        }
        if (!errors.isEmpty()) {
            throw new HardwareConfigException("CSD chain: " + String.join("; ", errors));
        }
        return new ChainPlan(d, g, limit / g * g, modes, sparse);
    }

    public boolean supports(int n) {
        return modes.contains(n);
    }

    /** Smallest supported N: reduction nodes that can emit an output sit every minN slices. */
    public int minN() {
        return modes.getFirst();
    }

    /** Output ports of the chain: one per possible sub-chain end. */
    public int ports() {
        return chainLength / minN();
    }

    /** The slice whose reduction node drives port {@code k}. */
    public int portStage(int k) {
        return (k + 1) * minN() - 1;
    }

    /** Whether port {@code k} carries a finished row segment in mode N. */
    public boolean portValid(int k, int n) {
        return (portStage(k) + 1) % n == 0;
    }

    /** Row segments finished per cycle in mode N (M/N: 1 dense, 8 at 2:16 on a 16-slice chain). */
    public int outputsPerCycle(int n) {
        return chainLength / n;
    }

    /** INT8 MACs per cycle, in every N: two per slice in MM mode (two token rows packed), one in MV mode. */
    public int macsPerCycle(boolean mm) {
        return chainLength * (mm ? 2 : 1);
    }

    /** The link after slice {@code stage} (0-based) for a row segment of density N. */
    public Link link(int stage, int n) {
        int end = stage + 1;
        if (end % groupSize != 0) {
            return Link.PASS;
        }
        if (end % n == 0) {
            return Link.CUT;
        }
        return end % segment == 0 ? Link.ADJUST : Link.PASS;
    }

    /**
     * Width of the output lanes and of the side sum: a sub-chain sums at most 16 products of INT8 values (2^18 in
     * magnitude even for -128), plus one bit for the adjust carries and one for the sign.
     */
    public int outBits() {
        long max = (long) modes.getLast() * 128 * 128;
        return 64 - Long.numberOfLeadingZeros(max) + 1;
    }
}
