package io.flightllm.compiler.shape;

import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.arch.numerics.Sparsity;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.flm.FlmLayout;

/**
 * What the compiler needs to know of one linear layer: its padded shape, bit width, scale groups, per-block densities
 * and whether it has a bias. Built from a {@link CompressedLinear} or, for {@code --shapes-only}, from a profile.
 *
 * @param blockN        per 16x16 block N, [rowBlocks][colBlocks] row-major
 * @param indexEncoding how the kept columns of sparse segments are stored (4-bit positions or a 16-bit mask)
 */
public record LinearShape(String name, LinearKind kind, int rows, int cols, int bits, int groupSize, byte[] blockN,
                          boolean bias, IndexEncoding indexEncoding) {

    public static LinearShape of(CompressedLinear l, LinearKind kind) {
        return new LinearShape(l.name(), kind, l.rows(), l.cols(), l.bits(), l.groupSize(), l.blockDensities(),
                l.bias() != null, l.indexEncoding());
    }

    public int paddedRows() {
        return CompressedLinear.ceil16(rows);
    }

    public int paddedCols() {
        return CompressedLinear.ceil16(cols);
    }

    public int rowBlocks() {
        return paddedRows() / Sparsity.BLOCK;
    }

    public int colBlocks() {
        return paddedCols() / Sparsity.BLOCK;
    }

    public int groups() {
        return (paddedCols() + groupSize - 1) / groupSize;
    }

    public int density(int rb, int cb) {
        return blockN[rb * colBlocks() + cb];
    }

    /** Packed bytes of the kept values of rows [r0, r1) (each row starts on a byte). */
    public long valueBytes(int rowBlock) {
        int kept = 0;
        for (int cb = 0; cb < colBlocks(); cb++) {
            kept += density(rowBlock, cb);
        }
        return Sparsity.BLOCK * FlmLayout.rowValueBytes(kept, bits);
    }

    /** Bytes of the 4-bit positions of one row block (blocks with 0 &lt; N &lt; 16). */
    public long positionBytes(int rowBlock) {
        long n = 0;
        for (int cb = 0; cb < colBlocks(); cb++) {
            int d = density(rowBlock, cb);
            n += d < Sparsity.BLOCK ? d : 0;
        }
        return Sparsity.BLOCK * n / 2;
    }

    /** Kept MACs of one row block per input row (the work the MPE does). */
    public long keptMacs(int rowBlock) {
        long n = 0;
        for (int cb = 0; cb < colBlocks(); cb++) {
            n += density(rowBlock, cb);
        }
        return Sparsity.BLOCK * n;
    }

    /** The largest N in a row block's column range [cb0, cb1): the MPE's cycles follow it. */
    public int maxDensity(int rb0, int rb1, int cb0, int cb1) {
        int m = 0;
        for (int rb = rb0; rb < rb1; rb++) {
            for (int cb = cb0; cb < cb1; cb++) {
                m = Math.max(m, density(rb, cb));
            }
        }
        return m;
    }
}
