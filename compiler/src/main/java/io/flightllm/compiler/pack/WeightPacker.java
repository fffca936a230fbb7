package io.flightllm.compiler.pack;

import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.arch.numerics.Sparsity;
import io.flightllm.compiler.plan.RowTile;
import io.flightllm.compiler.plan.WeightTile;
import io.flightllm.compress.CompressedLinear;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Writes the bytes of planned tiles ({@link io.flightllm.compiler.plan.WeightLayout}) into per-channel images, in the
 * format {@link WeightTile} documents: values as one little-endian b-bit stream (two's complement), positions two per
 * byte (low nibble first), one N byte per block, FP16 scales [rows][groups] and FP32 biases little-endian.
 */
public final class WeightPacker {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private WeightPacker() {
    }

    /** Packs one row tile (scales, bias and every K tile) of {@code w} into {@code channels}. */
    public static void pack(RowTile t, CompressedLinear w, MemorySegment[] channels) {
        int r0 = t.rowBlock0() * Sparsity.BLOCK;
        int rows = Math.min(t.rows(), w.paddedRows() - r0);
        short[] scales = w.scaleBits();
        for (RowTile.ScalePart part : t.scaleParts()) {
            MemorySegment ch = channels[part.channel()];
            int p0 = part.rowBlock0() * Sparsity.BLOCK;
            int p1 = Math.min((part.rowBlock0() + part.rowBlocks()) * Sparsity.BLOCK, w.paddedRows());
            for (int r = p0; r < p1; r++) {
                for (int g = 0; g < w.groups(); g++) {
                    ch.set(F16, part.address() + 2L * ((long) (r - p0) * w.groups() + g), scales[r * w.groups() + g]);
                }
            }
        }
        MemorySegment sc = channels[t.channel()];
        if (t.hasBias()) {
            float[] bias = w.bias();
            for (int r = 0; r < rows; r++) {
                sc.set(F32, t.biasAddress() + 4L * r, r0 + r < w.rows() ? bias[r0 + r] : 0f);
            }
        }
        for (WeightTile k : t.kTiles()) {
            packTile(k, w, channels);
        }
    }

    private static void packTile(WeightTile k, CompressedLinear w, MemorySegment[] channels) {
        for (WeightTile.Stripe st : k.stripes()) {
            packStripe(k, st, w, channels[st.channel()]);
        }
        MemorySegment ch = channels[k.channel()];
        long da = k.densitiesAddress();
        for (int rb = k.rowBlock0(); rb < k.rowBlock0() + k.rowBlocks(); rb++) {
            for (int cb = k.colBlock0(); cb < k.colBlock0() + k.colBlocks(); cb++) {
                ch.set(ValueLayout.JAVA_BYTE, da++, (byte) w.density(rb, cb));
            }
        }
    }

    private static void packStripe(WeightTile k, WeightTile.Stripe st, CompressedLinear w, MemorySegment ch) {
        byte[] values = w.values();
        byte[] positions = w.positions();
        int bits = w.bits();
        long mask = (1L << bits) - 1;
        long acc = 0;
        int accBits = 0;
        long va = st.valuesAddress();
        int nibAcc = 0;
        boolean highNibble = false;
        long pa = st.positionsAddress();
        boolean masks = k.indexEncoding() == IndexEncoding.MASK16;
        for (int rb = st.rowBlock0(); rb < st.rowBlock0() + st.rowBlocks(); rb++) {
            for (int r = rb * Sparsity.BLOCK; r < (rb + 1) * Sparsity.BLOCK; r++) {
                for (int cb = k.colBlock0(); cb < k.colBlock0() + k.colBlocks(); cb++) {
                    int n = w.density(rb, cb);
                    int vo = (int) (w.valueOffset(r) + w.blockValueOffset(rb, cb));
                    for (int i = 0; i < n; i++) {
                        acc |= (values[vo + i] & mask) << accBits;
                        accBits += bits;
                        if (accBits >= 32) {
                            ch.set(I32, va, (int) acc);
                            va += 4;
                            acc >>>= 32;
                            accBits -= 32;
                        }
                    }
                    if (n > 0 && n < Sparsity.BLOCK && masks) {
                        int po = (int) (w.positionOffset(r) + w.blockPositionOffset(rb, cb));
                        ch.set(I16, pa, (short) IndexEncoding.mask(positions, po, n));
                        pa += 2;
                    } else if (n > 0 && n < Sparsity.BLOCK) {
                        int po = (int) (w.positionOffset(r) + w.blockPositionOffset(rb, cb));
                        for (int i = 0; i < n; i++) {
                            int p = positions[po + i] & 0xf;
                            if (highNibble) {
                                ch.set(ValueLayout.JAVA_BYTE, pa++, (byte) (nibAcc | p << 4));
                            } else {
                                nibAcc = p;
                            }
                            highNibble = !highNibble;
                        }
                    }
                }
            }
        }
        for (; accBits > 0; accBits -= 8, acc >>>= 8) {
            ch.set(ValueLayout.JAVA_BYTE, va++, (byte) acc);
        }
    }
}
