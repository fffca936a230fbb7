package io.flightllm.arch.hw;

import io.flightllm.arch.numerics.Sparsity;
import io.flightllm.arch.numerics.WeightQuantizer;

import java.util.Arrays;

/**
 * The matrix processing engine of one core: MPUs of VPUs, each VPU one CSD chain of DSP slices.
 *
 * @param mmRows       MM mode: output rows computed in parallel (M)
 * @param mmK          MM mode: reduction elements per cycle (K), a multiple of the 16-wide sparse block
 * @param mmTokens     MM mode: token rows sharing each weight (N); 2 = the INT8 packing of two MACs per DSP
 * @param mvK          MV mode: reduction elements per cycle
 * @param mvRows       MV mode: output rows computed in parallel
 * @param dspGroupSize DSP slices per DSP group (fixed internal cascade; configurable links between groups)
 * @param chainLength  DSP slices per CSD chain (one VPU); chains longer than the overflow-free limit need the
 *                     overflow-adjust path
 * @param sparseModes  block densities N the sparse MUX supports; a subset of {0, 2, 4, 8, 16} containing 16
 * @param weightBits   weight widths the dequantizer accepts; a subset of {2, 3, 4, 8} containing 8
 */
public record Mpe(int mmRows, int mmK, int mmTokens, int mvK, int mvRows, int dspGroupSize, int chainLength,
                  int[] sparseModes, int[] weightBits) {

    public Mpe {
        sparseModes = sparseModes == null ? null : sparseModes.clone();
        weightBits = weightBits == null ? null : weightBits.clone();
    }

    void check(Checks c) {
        c.atLeast("mpe.mmRows", mmRows, 1);
        c.multipleOf("mpe.mmK", mmK, Sparsity.BLOCK);
        c.atLeast("mpe.mmTokens", mmTokens, 1);
        c.multipleOf("mpe.mvK", mvK, Sparsity.BLOCK);
        c.atLeast("mpe.mvRows", mvRows, 1);
        c.atLeast("mpe.dspGroupSize", dspGroupSize, 1);
        c.atLeast("mpe.chainLength", chainLength, 1);
        if (dspGroupSize >= 1 && chainLength % dspGroupSize != 0) {
            c.error("mpe.chainLength = " + chainLength + " is not a multiple of mpe.dspGroupSize = " + dspGroupSize);
        }
        if (sparseModes == null || sparseModes.length == 0) {
            c.error("mpe.sparseModes is missing; expected a subset of " + Arrays.toString(Sparsity.N_CHOICES)
                    + " containing 16");
        } else {
            for (int n : sparseModes) {
                if (!Sparsity.isValidN(n)) {
                    c.error("mpe.sparseModes contains " + n + "; expected a subset of "
                            + Arrays.toString(Sparsity.N_CHOICES));
                }
            }
            if (!supportsN(Sparsity.BLOCK)) {
                c.error("mpe.sparseModes = " + Arrays.toString(sparseModes) + " lacks 16 (dense)");
            }
        }
        if (weightBits == null || weightBits.length == 0) {
            c.error("mpe.weightBits is missing; expected a subset of " + Arrays.toString(WeightQuantizer.BITS)
                    + " containing 8");
        } else {
            for (int b : weightBits) {
                if (Arrays.stream(WeightQuantizer.BITS).noneMatch(x -> x == b)) {
                    c.error("mpe.weightBits contains " + b + "; expected a subset of "
                            + Arrays.toString(WeightQuantizer.BITS));
                }
            }
            if (!supportsBits(8)) {
                c.error("mpe.weightBits = " + Arrays.toString(weightBits) + " lacks 8");
            }
        }
    }

    public boolean supportsN(int n) {
        return Arrays.stream(sparseModes).anyMatch(x -> x == n);
    }

    public boolean supportsBits(int bits) {
        return Arrays.stream(weightBits).anyMatch(x -> x == bits);
    }

    @Override
    public int[] sparseModes() {
        return sparseModes.clone();
    }

    @Override
    public int[] weightBits() {
        return weightBits.clone();
    }

    /** Dense INT8 MACs per cycle in MM mode. */
    public int mmMacsPerCycle() {
        return mmRows * mmK * mmTokens;
    }

    /** Dense INT8 MACs per cycle in MV mode (no second token to pack). */
    public int mvMacsPerCycle() {
        return mvK * mvRows;
    }

    /** MACs one DSP slice performs per cycle in MM mode: two when two token rows share the weight. */
    public int macsPerDspMm() {
        return Math.min(mmTokens, 2);
    }

    /** DSP slices of one MPE: enough for MM mode with packing, and for MV mode at one MAC per DSP. */
    public int dsps() {
        return Math.max(mmMacsPerCycle() / macsPerDspMm(), mvMacsPerCycle());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Mpe m && mmRows == m.mmRows && mmK == m.mmK && mmTokens == m.mmTokens && mvK == m.mvK
                && mvRows == m.mvRows && dspGroupSize == m.dspGroupSize && chainLength == m.chainLength
                && Arrays.equals(sparseModes, m.sparseModes) && Arrays.equals(weightBits, m.weightBits);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * java.util.Objects.hash(mmRows, mmK, mmTokens, mvK, mvRows, dspGroupSize, chainLength)
                + Arrays.hashCode(sparseModes)) + Arrays.hashCode(weightBits);
    }

    @Override
    public String toString() {
        return "Mpe[mm=" + mmRows + "x" + mmK + "x" + mmTokens + ", mv=" + mvK + "x" + mvRows + ", group="
                + dspGroupSize + ", chain=" + chainLength + ", N=" + Arrays.toString(sparseModes) + ", bits="
                + Arrays.toString(weightBits) + "]";
    }
}
