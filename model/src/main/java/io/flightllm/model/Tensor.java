package io.flightllm.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A read-only, possibly memory-mapped tensor: a row-major matrix of {@code rows x cols} elements (a vector is one row).
 * Offsets are 64-bit, so tensors larger than 2 GiB work; nothing is copied to the heap.
 *
 * <p>The scalar accessors here are the golden path: {@link #dot} sums in ascending column order, one rounding per
 * multiply and per add, exactly as llama2.c's {@code matmul} does.
 *
 * <p>A tensor may carry a <em>row order</em> ({@link #withRowOrder}): logical row r is then stored row
 * {@code storedRow(r)}. Hugging Face checkpoints store q_proj/k_proj with the rows of every head permuted for their
 * rotate-half RoPE; a row-order view undoes that without copying gigabytes of weights to the heap. {@link #get},
 * {@link #readRow}, {@link #dot} and {@link #rowSlice} honour the order; code that reads {@link #data()} directly must
 * map rows through {@link #storedRow} (or refuse tensors where {@link #isRowPermuted()} is true).
 */
public final class Tensor {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final DType type;
    private final long rows;
    private final int cols;
    private final MemorySegment data;
    private final MemorySegment groupScales; // Q8_GROUP only
    private final int groupSize;             // Q8_GROUP only
    private final int[] rowOrder;
    private final Tensor storedOrder;        // this tensor in stored row order (itself when not permuted)            // logical row -> stored row, or null for the identity

    private Tensor(String name, DType type, long rows, int cols, MemorySegment data, MemorySegment groupScales,
                   int groupSize) {
        this(name, type, rows, cols, data, groupScales, groupSize, null);
    }

    private Tensor(String name, DType type, long rows, int cols, MemorySegment data, MemorySegment groupScales,
                   int groupSize, int[] rowOrder) {
        this.name = name;
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        this.data = data;
        this.groupScales = groupScales;
        this.groupSize = groupSize;
        this.rowOrder = rowOrder;
        this.storedOrder = rowOrder == null ? this
                : new Tensor(name, type, rows, cols, data, groupScales, groupSize, null);
    }

    /**
     * A tensor over {@code data}, which must hold exactly the bytes of {@code rows x cols} elements of {@code type}.
     */
    public static Tensor of(String name, DType type, long rows, int cols, MemorySegment data) {
        if (type == DType.Q8_GROUP) {
            throw new IllegalArgumentException("use Tensor.q8Group for " + name);
        }
        if (rows <= 0 || cols <= 0) {
            throw new ModelFormatException(name + ": shape [" + rows + ", " + cols + "] must be positive");
        }
        if (cols % type.blockSize() != 0) {
            throw new ModelFormatException(name + ": row length " + cols + " is not a multiple of the " + type
                    + " block size " + type.blockSize());
        }
        long expected = type.bytesFor(Math.multiplyExact(rows, (long) cols));
        if (data.byteSize() != expected) {
            throw new ModelFormatException(name + ": holds " + data.byteSize() + " bytes; expected " + expected
                    + " for " + type + " [" + rows + ", " + cols + "]");
        }
        return new Tensor(name, type, rows, cols, data, null, 0);
    }

    /** llama2.c v2 group-quantized tensor: int8 values then one FP32 scale per {@code groupSize} elements. */
    public static Tensor q8Group(String name, long rows, int cols, MemorySegment values, MemorySegment scales,
                                 int groupSize) {
        long n = Math.multiplyExact(rows, (long) cols);
        if (groupSize <= 0 || n % groupSize != 0) {
            throw new ModelFormatException(name + ": group size " + groupSize + " does not divide " + n + " elements");
        }
        if (values.byteSize() != n || scales.byteSize() != n / groupSize * 4) {
            throw new ModelFormatException(name + ": sizes " + values.byteSize() + "/" + scales.byteSize()
                    + " do not match [" + rows + ", " + cols + "] with group size " + groupSize);
        }
        return new Tensor(name, DType.Q8_GROUP, rows, cols, values, scales, groupSize);
    }

    /**
     * A view of this tensor whose logical row r is this tensor's row {@code order[r]}; {@code order} must be a
     * permutation of [0, rows). The same memory is shared; only the index array (one int per row) is new.
     */
    public Tensor withRowOrder(String viewName, int[] order) {
        if (order.length != rows) {
            throw new IllegalArgumentException(name + ": row order has " + order.length + " entries for " + rows
                    + " rows");
        }
        boolean[] seen = new boolean[order.length];
        int[] composed = new int[order.length];
        for (int r = 0; r < order.length; r++) {
            int s = order[r];
            if (s < 0 || s >= rows || seen[s]) {
                throw new IllegalArgumentException(name + ": row order is not a permutation (entry " + r + " = " + s
                        + ")");
            }
            seen[s] = true;
            composed[r] = (int) storedRow(s);
        }
        return new Tensor(viewName, type, rows, cols, data, groupScales, groupSize, composed);
    }

    /**
     * The same memory with rows in stored order (this tensor itself when it is not permuted). The view is created
     * once, so kernels may key caches on it. Logical row r of this tensor is row {@link #storedRow}(r) of the view.
     */
    public Tensor storedOrder() {
        return storedOrder;
    }

    /** True when logical rows are not stored in order (see {@link #withRowOrder}). */
    public boolean isRowPermuted() {
        return rowOrder != null;
    }

    /** The stored row that holds logical row {@code row}. */
    public long storedRow(long row) {
        return rowOrder == null ? row : rowOrder[Math.toIntExact(row)];
    }

    public String name() {
        return name;
    }

    public DType type() {
        return type;
    }

    public long rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public long elements() {
        return rows * cols;
    }

    /** The raw bytes in stored row order (for Q8_GROUP, the int8 values); see {@link #storedRow}. */
    public MemorySegment data() {
        return data;
    }

    /** Q8_GROUP scales, or null. */
    public MemorySegment groupScales() {
        return groupScales;
    }

    public int groupSize() {
        return groupSize;
    }

    /** Stored bytes including any separate scales. */
    public long byteSize() {
        return data.byteSize() + (groupScales == null ? 0 : groupScales.byteSize());
    }

    /** A view of rows [first, first + count) sharing the same memory (not for Q8_GROUP with groups across rows). */
    public Tensor rowSlice(String sliceName, long first, long count) {
        if (first < 0 || count <= 0 || first + count > rows) {
            throw new IndexOutOfBoundsException(name + ": rows [" + first + ", " + (first + count) + ") of " + rows);
        }
        if (rowOrder != null) {
            // the selected rows may be stored anywhere: keep all the memory, narrow the index instead
            int[] sub = Arrays.copyOfRange(rowOrder, (int) first, (int) (first + count));
            return new Tensor(sliceName, type, count, cols, data, groupScales, groupSize, sub);
        }
        if (type == DType.Q8_GROUP) {
            if (cols % groupSize != 0) {
                throw new IllegalArgumentException(name + ": cannot slice rows across groups");
            }
            long per = cols / groupSize;
            return new Tensor(sliceName, type, count, cols, data.asSlice(first * cols, count * cols),
                    groupScales.asSlice(first * per * 4, count * per * 4), groupSize);
        }
        long rowBytes = rowBytes();
        return new Tensor(sliceName, type, count, cols, data.asSlice(first * rowBytes, count * rowBytes), null, 0);
    }

    public long rowBytes() {
        return type == DType.Q8_GROUP ? cols : type.bytesFor(cols);
    }

    /** Element {@code col} of row {@code row}, dequantized to FP32. */
    public float get(long row, int col) {
        row = storedRow(row);
        long i = row * cols + col;
        return switch (type) {
            case F32 -> data.get(F32, i * 4);
            case F16 -> Float.float16ToFloat(data.get(I16, i * 2));
            case BF16 -> Float.intBitsToFloat((data.get(I16, i * 2) & 0xFFFF) << 16);
            case Q8_0 -> {
                long block = row * rowBytes() + (col >>> 5) * 34L;
                float d = Float.float16ToFloat(data.get(I16, block));
                yield data.get(ValueLayout.JAVA_BYTE, block + 2 + (col & 31)) * d;
            }
            case Q4_0 -> {
                long block = row * rowBytes() + (col >>> 5) * 18L;
                float d = Float.float16ToFloat(data.get(I16, block));
                int j = col & 31;
                int b = data.get(ValueLayout.JAVA_BYTE, block + 2 + (j & 15)) & 0xFF;
                int nibble = j < 16 ? b & 0x0F : b >>> 4;
                yield (nibble - 8) * d;
            }
            case Q8_GROUP -> data.get(ValueLayout.JAVA_BYTE, i) * groupScales.get(F32, (i / groupSize) * 4);
        };
    }

    /** Dequantizes row {@code row} into {@code dst[0..cols)}. */
    public void readRow(long row, float[] dst) {
        if (type == DType.F32) {
            MemorySegment.copy(data, F32, storedRow(row) * cols * 4, dst, 0, cols);
            return;
        }
        for (int c = 0; c < cols; c++) {
            dst[c] = get(row, c);
        }
    }

    /** The whole tensor as FP32 (for small tensors such as norms; never for weight matrices on a hot path). */
    public float[] toFloatArray() {
        if (elements() > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException(name + " is too large for a float[]");
        }
        float[] out = new float[(int) elements()];
        float[] row = new float[cols];
        for (long r = 0; r < rows; r++) {
            readRow(r, row);
            System.arraycopy(row, 0, out, (int) (r * cols), cols);
        }
        return out;
    }

    /**
     * The golden dot product of row {@code row} with {@code x}: {@code val += w[j] * x[j]} for ascending j, starting
     * from +0.0f, with no fused multiply-add (the order llama2.c's matmul uses).
     */
    public float dot(long row, float[] x) {
        float val = 0.0f;
        if (type == DType.F32) {
            long base = storedRow(row) * cols * 4;
            for (int j = 0; j < cols; j++) {
                val += data.get(F32, base + 4L * j) * x[j];
            }
            return val;
        }
        for (int j = 0; j < cols; j++) {
            val += get(row, j) * x[j];
        }
        return val;
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(rows == 1 ? new long[] {cols} : new long[] {rows, cols});
    }
}
