package io.flightllm.arch.isa;

import io.flightllm.arch.numerics.Sum16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The golden MM/MV output stage of one (token, row), exactly as docs/isa.md writes it: 16 FP32 partials and one INT32
 * open-group sum carried across K tiles in an 80-byte partial-sum record. The simulator runs this per row (one reused
 * instance: {@link #reset}, {@link #load}, {@link #add}, {@link #close}, {@link #store}); the test proves that every
 * tiling of K gives the bits of {@link io.flightllm.arch.numerics.Sfu#linearOutput}.
 */
public final class OutputStage {
    /** Scale of the j-th group a tile touches (j = 0: the group holding block k0). */
    @FunctionalInterface
    public interface GroupScale {
        float scale(int j);
    }

    private final float[] p = new float[Isa.LANES];
    private int acc;

    /** The state of a first tile: partials +0.0, open sum 0. */
    public OutputStage() {
    }

    /** Back to a first tile's state: partials +0.0, open sum 0. */
    public void reset() {
        Arrays.fill(p, 0.0f);
        acc = 0;
    }

    /** The state of the partial-sum record at {@code record[offset..offset + 80)} (little-endian). */
    public void load(byte[] record, int offset) {
        ByteBuffer b = ByteBuffer.wrap(record, offset, Isa.PSUM_BYTES).slice().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < Isa.LANES; i++) {
            p[i] = b.getFloat(4 * i);
        }
        acc = b.getInt(4 * Isa.LANES);
    }

    /** Writes the partial-sum record at {@code record[offset..offset + 80)}: partials, open sum, zeros. */
    public void store(byte[] record, int offset) {
        write(ByteBuffer.wrap(record, offset, Isa.PSUM_BYTES));
    }

    /** Adds an exact INT32 sum of activation x weight products to the open group. */
    public void add(int sum) {
        acc += sum;
    }

    /** The state read from a partial-sum record at the buffer's position (80 bytes, little-endian). */
    public static OutputStage read(ByteBuffer record) {
        ByteBuffer b = record.slice().order(ByteOrder.LITTLE_ENDIAN);
        OutputStage s = new OutputStage();
        for (int i = 0; i < Isa.LANES; i++) {
            s.p[i] = b.getFloat(4 * i);
        }
        s.acc = b.getInt(4 * Isa.LANES);
        return s;
    }

    /** Writes the partial-sum record at the buffer's position: partials, open sum, zeros to byte 80. */
    public void write(ByteBuffer record) {
        ByteBuffer b = record.slice().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < Isa.LANES; i++) {
            b.putFloat(4 * i, p[i]);
        }
        b.putInt(4 * Isa.LANES, acc);
        for (int i = 4 * Isa.LANES + 4; i < Isa.PSUM_BYTES; i++) {
            b.put(i, (byte) 0);
        }
    }

    /**
     * One tile of this row: {@code blockSums[j]} is the exact INT32 sum over block j's columns of activation x weight
     * (block k0 + j of the row); {@code group} is G in blocks (0: one group); groups close at their last block, and
     * with {@code last} the open group closes after the tile's final block.
     */
    public void tile(int k0, int group, int[] blockSums, GroupScale wScale, float aScale, boolean last) {
        int firstGroup = group == 0 ? 0 : k0 / group;
        for (int j = 0; j < blockSums.length; j++) {
            acc += blockSums[j];
            int abs = k0 + j;
            if (group > 0 && (abs + 1) % group == 0) {
                close(abs / group, wScale.scale(abs / group - firstGroup), aScale);
            }
        }
        int end = k0 + blockSums.length;
        if (last && (group == 0 || end % group != 0)) {
            int g = group == 0 ? 0 : end / group;
            close(g, wScale.scale(g - firstGroup), aScale);
        }
    }

    /** Closes group {@code g}: its open sum, scaled by weight scale x activation scale, joins partial g mod 16. */
    public void close(int g, float ws, float as) {
        p[g & (Isa.LANES - 1)] += (ws * as) * (float) acc;
        acc = 0;
    }

    /** The row's FP32 result: sum16's tree over the partials (before bias and relu). */
    public float result() {
        return Sum16.reduce(p); // reads the partials without changing them
    }

    /** The result after the optional bias and relu of a last tile. */
    public float finish(boolean bias, float biasValue, boolean relu) {
        float y = result();
        if (bias) {
            y = y + biasValue;
        }
        return relu ? Math.max(y, 0.0f) : y;
    }
}
