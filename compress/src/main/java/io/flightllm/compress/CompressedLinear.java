package io.flightllm.compress;

import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.arch.numerics.WeightQuantizer;
import java.util.Arrays;

/**
 * A linear layer in the accelerator's compressed form (the logical, unpacked view; {@code .flm} stores it bit-packed).
 *
 * <p>The matrix is [rows][cols], zero-padded to multiples of 16 ({@link #paddedRows}, {@link #paddedCols} = K16) and cut
 * into 16x16 blocks. Block (rb, cb) has a density N in {0, 2, 4, 8, 16}: in each of its 16 row segments exactly N slots
 * are kept, at ascending 4-bit column positions (N = 16 keeps all and stores no positions). Kept values are b-bit
 * integers in [-qmax, qmax] (b in {2, 3, 4, 8}); scales are FP16, one per padded row per group of {@link #groupSize}
 * columns (the last group may be shorter). Padding is zero.
 *
 * <p>Storage order: {@code values} holds, row by row and within a row block by block (cb ascending), the N kept values
 * of each segment; {@code positions} holds, in the same order, the N positions of each segment with 0 &lt; N &lt; 16.
 * {@code blockN} is [rowBlocks][colBlocks] row-major. {@code scales} is [paddedRows][groups] of FP16 bits.
 *
 * <p>{@link #indexEncoding} says how a {@code .flm} stores the positions (4-bit positions or a 16-bit mask per
 * segment); it changes the stored bytes only, never the logical view or the arithmetic.
 */
public final class CompressedLinear {
    public static final int BLOCK = 16;
    private static final int[] DENSITIES = {0, 2, 4, 8, 16};

    private final String name;
    private final int rows;
    private final int cols;
    private final int bits;
    private final int groupSize;
    private final byte[] blockN;
    private final byte[] values;
    private final byte[] positions;
    private final short[] scales;
    private final float[] bias;
    private final IndexEncoding indexEncoding;
    // derived: per row block, start of its first row's values/positions and the count per row;
    // per block, the offset of its values/positions inside a row.
    private final long[] rbValueStart;
    private final int[] rbValuesPerRow;
    private final long[] rbPosStart;
    private final int[] rbPosPerRow;
    private final int[] blockValueOffset;
    private final int[] blockPosOffset;

    public CompressedLinear(String name, int rows, int cols, int bits, int groupSize, byte[] blockN, byte[] values,
                            byte[] positions, short[] scales, float[] bias) {
        this(name, rows, cols, bits, groupSize, blockN, values, positions, scales, bias, IndexEncoding.POSITIONS4);
    }

    public CompressedLinear(String name, int rows, int cols, int bits, int groupSize, byte[] blockN, byte[] values,
                            byte[] positions, short[] scales, float[] bias, IndexEncoding indexEncoding) {
        WeightQuantizer.checkBits(bits);
        this.indexEncoding = java.util.Objects.requireNonNull(indexEncoding, "indexEncoding");
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException(name + ": shape [" + rows + ", " + cols + "] must be positive");
        }
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.bits = bits;
        this.groupSize = groupSize;
        this.blockN = blockN;
        this.values = values;
        this.positions = positions;
        this.scales = scales;
        this.bias = bias;
        int k16 = paddedCols();
        if (groupSize <= 0 || groupSize % BLOCK != 0 || groupSize > k16) {
            throw new IllegalArgumentException(name + ": group size " + groupSize
                    + " must be a positive multiple of 16 and at most K16 = " + k16);
        }
        int rb = rowBlocks();
        int cb = colBlocks();
        if (blockN.length != rb * cb) {
            throw new IllegalArgumentException(name + ": " + blockN.length + " block densities; expected " + rb * cb);
        }
        rbValueStart = new long[rb + 1];
        rbValuesPerRow = new int[rb];
        rbPosStart = new long[rb + 1];
        rbPosPerRow = new int[rb];
        blockValueOffset = new int[rb * cb];
        blockPosOffset = new int[rb * cb];
        for (int i = 0; i < rb; i++) {
            int v = 0;
            int p = 0;
            for (int j = 0; j < cb; j++) {
                int n = blockN[i * cb + j];
                if (Arrays.binarySearch(DENSITIES, n) < 0) {
                    throw new IllegalArgumentException(name + ": block (" + i + ", " + j + ") has N = " + n
                            + "; expected one of " + Arrays.toString(DENSITIES));
                }
                blockValueOffset[i * cb + j] = v;
                blockPosOffset[i * cb + j] = p;
                v += n;
                p += n < BLOCK ? n : 0;
            }
            rbValuesPerRow[i] = v;
            rbPosPerRow[i] = p;
            rbValueStart[i + 1] = rbValueStart[i] + (long) BLOCK * v;
            rbPosStart[i + 1] = rbPosStart[i] + (long) BLOCK * p;
        }
        if (values.length != rbValueStart[rb] || positions.length != rbPosStart[rb]) {
            throw new IllegalArgumentException(name + ": " + values.length + " values and " + positions.length
                    + " positions; the block densities imply " + rbValueStart[rb] + " and " + rbPosStart[rb]);
        }
        if (scales.length != (long) paddedRows() * groups()) {
            throw new IllegalArgumentException(name + ": " + scales.length + " scales; expected " + paddedRows()
                    + " x " + groups());
        }
        if (bias != null && bias.length != rows) {
            throw new IllegalArgumentException(name + ": bias of " + bias.length + "; expected " + rows);
        }
        validateContents();
    }

    /** The same layer (arrays shared, no re-validation) with another index encoding and bias. */
    private CompressedLinear(CompressedLinear o, IndexEncoding e, float[] bias) {
        name = o.name;
        rows = o.rows;
        cols = o.cols;
        bits = o.bits;
        groupSize = o.groupSize;
        blockN = o.blockN;
        values = o.values;
        positions = o.positions;
        scales = o.scales;
        this.bias = bias;
        indexEncoding = e;
        rbValueStart = o.rbValueStart;
        rbValuesPerRow = o.rbValuesPerRow;
        rbPosStart = o.rbPosStart;
        rbPosPerRow = o.rbPosPerRow;
        blockValueOffset = o.blockValueOffset;
        blockPosOffset = o.blockPosOffset;
    }

    public CompressedLinear withIndexEncoding(IndexEncoding e) {
        return e == indexEncoding ? this : new CompressedLinear(this, java.util.Objects.requireNonNull(e), bias);
    }

    /** The same weights with the FP32 bias {@code b} ([rows], added after the sum) or none (null). */
    public CompressedLinear withBias(float[] b) {
        if (b != null && b.length != rows) {
            throw new IllegalArgumentException(name + ": bias of " + b.length + "; expected " + rows);
        }
        return new CompressedLinear(this, indexEncoding, b);
    }

    public IndexEncoding indexEncoding() {
        return indexEncoding;
    }

    private void validateContents() {
        int qmax = WeightQuantizer.qmax(bits);
        for (byte v : values) {
            if (v < -qmax || v > qmax) {
                throw new IllegalArgumentException(name + ": value " + v + " outside [-" + qmax + ", " + qmax
                        + "] for " + bits + "-bit weights");
            }
        }
        int cb = colBlocks();
        for (int r = 0; r < paddedRows(); r++) {
            for (int j = 0; j < cb; j++) {
                int n = density(r / BLOCK, j);
                if (n == 0 || n == BLOCK) {
                    continue;
                }
                int at = (int) (positionOffset(r) + blockPosOffset[(r / BLOCK) * cb + j]);
                for (int k = 0; k < n; k++) {
                    int p = positions[at + k];
                    if (p < 0 || p >= BLOCK || (k > 0 && p <= positions[at + k - 1])) {
                        throw new IllegalArgumentException(name + ": row " + r + " block " + j
                                + " positions are not unique ascending values in [0, 16)");
                    }
                }
            }
        }
        for (int r = rows; r < paddedRows(); r++) { // padded rows: every stored value is zero
            long from = valueOffset(r);
            for (long i = from; i < from + rbValuesPerRow[r / BLOCK]; i++) {
                if (values[(int) i] != 0) {
                    throw new IllegalArgumentException(name + ": padded row " + r + " holds a non-zero value");
                }
            }
        }
        for (int r = 0; r < rows; r++) { // padded columns exist only in the last column block
            for (int c = cols; c < paddedCols(); c++) {
                if (weight(r, c) != 0) {
                    throw new IllegalArgumentException(name + ": padding at (" + r + ", " + c + ") is not zero");
                }
            }
        }
    }

    public static int ceil16(int n) {
        return (n + BLOCK - 1) / BLOCK * BLOCK;
    }

    public String name() {
        return name;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int bits() {
        return bits;
    }

    public int groupSize() {
        return groupSize;
    }

    public int paddedRows() {
        return ceil16(rows);
    }

    /** K16: the columns padded to a multiple of 16. */
    public int paddedCols() {
        return ceil16(cols);
    }

    public int rowBlocks() {
        return paddedRows() / BLOCK;
    }

    public int colBlocks() {
        return paddedCols() / BLOCK;
    }

    public int groups() {
        return (paddedCols() + groupSize - 1) / groupSize;
    }

    public int density(int rowBlock, int colBlock) {
        return blockN[rowBlock * colBlocks() + colBlock];
    }

    /** The block densities, [rowBlocks][colBlocks] row-major (a copy). */
    public byte[] blockDensities() {
        return blockN.clone();
    }

    /** Kept values (shared array: callers must not modify). */
    public byte[] values() {
        return values;
    }

    /** Kept positions (shared array: callers must not modify). */
    public byte[] positions() {
        return positions;
    }

    /** FP16 scale bits (shared array: callers must not modify). */
    public short[] scaleBits() {
        return scales;
    }

    /** The FP32 bias, or null. */
    public float[] bias() {
        return bias;
    }

    /** Index in {@link #values} of padded row r's first value. */
    public long valueOffset(int r) {
        int rb = r / BLOCK;
        return rbValueStart[rb] + (long) (r % BLOCK) * rbValuesPerRow[rb];
    }

    /** Index in {@link #positions} of padded row r's first position. */
    public long positionOffset(int r) {
        int rb = r / BLOCK;
        return rbPosStart[rb] + (long) (r % BLOCK) * rbPosPerRow[rb];
    }

    /** Offset of block (rb, cb)'s values inside one of its rows. */
    public int blockValueOffset(int rowBlock, int colBlock) {
        return blockValueOffset[rowBlock * colBlocks() + colBlock];
    }

    /** Offset of block (rb, cb)'s positions inside one of its rows. */
    public int blockPositionOffset(int rowBlock, int colBlock) {
        return blockPosOffset[rowBlock * colBlocks() + colBlock];
    }

    /** The integer weight at (r, c) of the padded matrix: the kept value, or 0 where pruned or padded. */
    public int weight(int r, int c) {
        int rb = r / BLOCK;
        int cb = c / BLOCK;
        int n = density(rb, cb);
        if (n == 0) {
            return 0;
        }
        long v = valueOffset(r) + blockValueOffset(rb, cb);
        if (n == BLOCK) {
            return values[(int) (v + c % BLOCK)];
        }
        long p = positionOffset(r) + blockPositionOffset(rb, cb);
        for (int k = 0; k < n; k++) {
            if (positions[(int) (p + k)] == c % BLOCK) {
                return values[(int) (v + k)];
            }
        }
        return 0;
    }

    /** The widened FP16 scale of padded row r, group g. */
    public float scale(int r, int g) {
        return Float.float16ToFloat(scales[r * groups() + g]);
    }

    /** w[r][c] as FP32: weight x scale (for evaluation and tests; the accelerator never dequantizes to FP32). */
    public float dequantized(int r, int c) {
        return weight(r, c) * scale(r, c / groupSize);
    }

    /** Kept weights (including forced zeros) over all padded positions. */
    public long keptCount() {
        return values.length;
    }

    /** Dense parameter count of the real matrix. */
    public long denseCount() {
        return (long) rows * cols;
    }

    @Override
    public String toString() {
        return name + " [" + rows + ", " + cols + "] W" + bits + " G" + groupSize
                + (positions.length == 0 ? "" : " " + indexEncoding.id());
    }
}
