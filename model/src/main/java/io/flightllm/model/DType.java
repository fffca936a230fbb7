package io.flightllm.model;

/**
 * Element types of stored tensors. Block types store {@link #blockSize()} elements in {@link #blockBytes()} bytes;
 * a row of a block type must be a whole number of blocks.
 */
public enum DType {
    F32(1, 4),
    F16(1, 2),
    BF16(1, 2),
    /** GGML Q8_0: per 32 elements an FP16 scale d and 32 int8 q; value = q * d. */
    Q8_0(32, 34),
    /** GGML Q4_0: per 32 elements an FP16 scale d and 16 bytes; element i < 16 is the low nibble of byte i, element
     * i >= 16 the high nibble of byte i - 16; value = (nibble - 8) * d. */
    Q4_0(32, 18),
    /** llama2.c v2 ("ak42" version 2): int8 values, with one FP32 scale per group of GS consecutive elements stored in
     * a separate array after the values. The group size is a property of the tensor, not of the type. */
    Q8_GROUP(1, 1);

    private final int blockSize;
    private final int blockBytes;

    DType(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public int blockSize() {
        return blockSize;
    }

    public int blockBytes() {
        return blockBytes;
    }

    /** Bytes of {@code elements} values (for Q8_GROUP: the int8 values only, without the scales). */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " elements, got " + elements);
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }
}
