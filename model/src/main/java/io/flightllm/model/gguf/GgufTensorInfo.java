package io.flightllm.model.gguf;

import io.flightllm.model.DType;
import java.util.Arrays;

/**
 * One tensor info of a GGUF file. {@code ne[0]} is the contiguous (row) length; the rows are the product of the
 * other dimensions. {@code dtype} is null for ggml types that have no {@link DType} here, and then
 * {@code byteSize} is -1 (unknown).
 *
 * @param offset bytes from the start of the data section
 */
public record GgufTensorInfo(String name, long[] ne, int ggmlType, DType dtype, long offset, long byteSize) {
    public GgufTensorInfo {
        ne = ne.clone();
    }

    @Override
    public long[] ne() {
        return ne.clone();
    }

    public int nDims() {
        return ne.length;
    }

    public int cols() {
        return (int) ne[0];
    }

    public long rows() {
        long r = 1;
        for (int i = 1; i < ne.length; i++) {
            r *= ne[i]; // overflow was excluded when the info was read
        }
        return r;
    }

    public String shape() {
        return Arrays.toString(ne);
    }
}
