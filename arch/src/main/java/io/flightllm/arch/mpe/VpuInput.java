package io.flightllm.arch.mpe;

import io.flightllm.arch.numerics.Sparsity;

/**
 * One cycle's work of a VPU: {@code chainLength} kept weights with their 4-bit positions (consecutive row segments of
 * N each, positions unique and ascending inside a segment for real data; the hardware takes any 4-bit value) and the
 * 16 activations of the block for token row 0 and, in MM mode, token row 1.
 *
 * @param n    the block density N of the row segments (a supported non-zero N)
 * @param mm   MM mode: two token rows share every weight and index; MV mode ignores {@code act1}
 * @param w    INT8 weights, one per slice
 * @param idx  positions 0..15, one per slice (the dense chain ignores them)
 * @param act0 the block's activations of token row 0
 * @param act1 the block's activations of token row 1
 */
public record VpuInput(int n, boolean mm, byte[] w, byte[] idx, byte[] act0, byte[] act1) {
    public VpuInput {
        if (act0.length != Sparsity.BLOCK || act1.length != Sparsity.BLOCK) {
            throw new IllegalArgumentException("a block holds " + Sparsity.BLOCK + " activations per token row, got "
                    + act0.length + " and " + act1.length);
        }
        if (w.length != idx.length) {
            throw new IllegalArgumentException(w.length + " weights but " + idx.length + " positions");
        }
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= Sparsity.BLOCK) {
                throw new IllegalArgumentException("position " + idx[i] + " of slice " + i + "; expected 0..15");
            }
        }
    }
}
