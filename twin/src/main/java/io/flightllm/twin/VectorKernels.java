package io.flightllm.twin;

import io.flightllm.arch.numerics.ArchMath;
import io.flightllm.arch.numerics.Sum16;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The FastTwin's vector kernels. Integer sums use the widest species (any order is exact); every FP32 sum uses the
 * 16-partial rule as two 8-lane vectors (partials 0..7 and 8..15), so the bits never depend on the SIMD width.
 */
final class VectorKernels {
    /** Integer lanes: the preferred width, at most 16 lanes (one 16-column block per step on AVX-512). */
    static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED.length() > 16
            ? IntVector.SPECIES_512 : IntVector.SPECIES_PREFERRED;
    /** Bytes with as many lanes as {@link #IS}, widened to it by B2I. */
    static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(IS.length() * 8));
    /** FP32 sums: 8 lanes, two vectors = the 16 partials. */
    static final VectorSpecies<Float> FS = FloatVector.SPECIES_256;
    private static final int L = IS.length();
    private static final int F = FS.length(); // 8

    private VectorKernels() {
    }

    /** sum of w[wo + i] x a[ao + i] for i < len (len a multiple of 16): exact INT32, any order. */
    static int dot(byte[] w, int wo, int[] a, int ao, int len) {
        IntVector acc = IntVector.zero(IS);
        for (int i = 0; i < len; i += L) {
            IntVector wv = (IntVector) ByteVector.fromArray(BS, w, wo + i).convertShape(VectorOperators.B2I, IS, 0);
            acc = acc.add(wv.mul(IntVector.fromArray(IS, a, ao + i)));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * FP32 lanes for exact integer dot products: the preferred width, 8 to 16 lanes. An INT8 x INT8 product is below
     * 2^14 in magnitude and FP32 holds every integer below 2^24, so FMA-accumulating converted INT8 values is exact
     * while each lane sums at most 1024 products; lanes then go to int (F2I, exact) and the sum finishes in int.
     */
    static final VectorSpecies<Float> XF = FloatVector.SPECIES_PREFERRED.length() > 16 ? FloatVector.SPECIES_512
            : FloatVector.SPECIES_PREFERRED.length() < 8 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> XI = VectorSpecies.of(int.class, XF.vectorShape());
    private static final VectorSpecies<Byte> XB = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(XF.length() * 8));
    private static final int XL = XF.length();
    /** Columns per exact chunk: with the accumulators summed lanewise, each lane holds at most 1024 products. */
    static final int EXACT_CHUNK = 1024 * XL;

    /** The exact INT32 sum of w[wo + i] x a[ao + i], i < len (len a multiple of 16; a holds INT8 values as FP32). */
    static int denseDot(byte[] w, int wo, float[] a, int ao, int len) {
        int total = 0;
        for (int c = 0; c < len; c += EXACT_CHUNK) {
            int end = Math.min(len, c + EXACT_CHUNK);
            FloatVector s0 = FloatVector.zero(XF);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            int i = c;
            for (; i <= end - 4 * XL; i += 4 * XL) {
                s0 = widen(w, wo + i).fma(FloatVector.fromArray(XF, a, ao + i), s0);
                s1 = widen(w, wo + i + XL).fma(FloatVector.fromArray(XF, a, ao + i + XL), s1);
                s2 = widen(w, wo + i + 2 * XL).fma(FloatVector.fromArray(XF, a, ao + i + 2 * XL), s2);
                s3 = widen(w, wo + i + 3 * XL).fma(FloatVector.fromArray(XF, a, ao + i + 3 * XL), s3);
            }
            for (; i < end; i += XL) {
                s0 = widen(w, wo + i).fma(FloatVector.fromArray(XF, a, ao + i), s0);
            }
            total += exactSum(s0.add(s1).add(s2.add(s3)));
        }
        return total;
    }

    /** The same exact sum over FP32 copies of INT8 weights (prefill: a row widened once, reused by every token). */
    static int floatDot(float[] w, int wo, float[] a, int ao, int len) {
        int total = 0;
        for (int c = 0; c < len; c += EXACT_CHUNK) {
            int end = Math.min(len, c + EXACT_CHUNK);
            FloatVector s0 = FloatVector.zero(XF);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            int i = c;
            for (; i <= end - 4 * XL; i += 4 * XL) {
                s0 = FloatVector.fromArray(XF, w, wo + i).fma(FloatVector.fromArray(XF, a, ao + i), s0);
                s1 = FloatVector.fromArray(XF, w, wo + i + XL).fma(FloatVector.fromArray(XF, a, ao + i + XL), s1);
                s2 = FloatVector.fromArray(XF, w, wo + i + 2 * XL)
                        .fma(FloatVector.fromArray(XF, a, ao + i + 2 * XL), s2);
                s3 = FloatVector.fromArray(XF, w, wo + i + 3 * XL)
                        .fma(FloatVector.fromArray(XF, a, ao + i + 3 * XL), s3);
            }
            for (; i < end; i += XL) {
                s0 = FloatVector.fromArray(XF, w, wo + i).fma(FloatVector.fromArray(XF, a, ao + i), s0);
            }
            total += exactSum(s0.add(s1).add(s2.add(s3)));
        }
        return total;
    }

    /**
     * The exact INT32 sum over {@code blocks} dense 16-column blocks stored as nibble pairs (see {@link LinearPlan}):
     * 16 bytes carry two blocks, low nibbles the first, high nibbles the second, both sign-extended from 4 bits.
     */
    static int nibbleDot(byte[] nb, int no, float[] a, int ao, int blocks) {
        int total = 0;
        int pairs = blocks / 2;
        int chunkPairs = EXACT_CHUNK / 32; // 32 products per pair
        for (int p0 = 0; p0 < pairs; p0 += chunkPairs) {
            int p1 = Math.min(pairs, p0 + chunkPairs);
            FloatVector s0 = FloatVector.zero(XF);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            int p = p0;
            for (; p <= p1 - 2; p += 2) {
                int bo = no + 16 * p;
                int c = ao + 32 * p;
                for (int j = 0; j < 16; j += XL) {
                    IntVector b0 = (IntVector) ByteVector.fromArray(XB, nb, bo + j)
                            .convertShape(VectorOperators.B2I, XI, 0);
                    IntVector b1 = (IntVector) ByteVector.fromArray(XB, nb, bo + 16 + j)
                            .convertShape(VectorOperators.B2I, XI, 0);
                    s0 = low(b0).fma(FloatVector.fromArray(XF, a, c + j), s0);
                    s1 = high(b0).fma(FloatVector.fromArray(XF, a, c + 16 + j), s1);
                    s2 = low(b1).fma(FloatVector.fromArray(XF, a, c + 32 + j), s2);
                    s3 = high(b1).fma(FloatVector.fromArray(XF, a, c + 48 + j), s3);
                }
            }
            for (; p < p1; p++) {
                int bo = no + 16 * p;
                int c = ao + 32 * p;
                for (int j = 0; j < 16; j += XL) {
                    IntVector b0 = (IntVector) ByteVector.fromArray(XB, nb, bo + j)
                            .convertShape(VectorOperators.B2I, XI, 0);
                    s0 = low(b0).fma(FloatVector.fromArray(XF, a, c + j), s0);
                    s1 = high(b0).fma(FloatVector.fromArray(XF, a, c + 16 + j), s1);
                }
            }
            total += exactSum(s0.add(s1).add(s2.add(s3)));
        }
        if ((blocks & 1) != 0) { // the odd last block: low nibbles only
            int bo = no + 16 * pairs;
            int c = ao + 32 * pairs;
            FloatVector s0 = FloatVector.zero(XF);
            for (int j = 0; j < 16; j += XL) {
                IntVector b0 = (IntVector) ByteVector.fromArray(XB, nb, bo + j)
                        .convertShape(VectorOperators.B2I, XI, 0);
                s0 = low(b0).fma(FloatVector.fromArray(XF, a, c + j), s0);
            }
            total += exactSum(s0);
        }
        return total;
    }

    /**
     * {@link #denseDot} for one scale group of at most {@link #EXACT_CHUNK} columns: one short loop, two accumulators
     * (small groups are common, so the per-call work is kept minimal).
     */
    static int denseGroup(byte[] w, int wo, float[] a, int ao, int len) {
        if (len > EXACT_CHUNK) {
            return denseDot(w, wo, a, ao, len);
        }
        FloatVector s0 = FloatVector.zero(XF);
        FloatVector s1 = s0;
        int i = 0;
        for (; i <= len - 2 * XL; i += 2 * XL) {
            s0 = widen(w, wo + i).fma(FloatVector.fromArray(XF, a, ao + i), s0);
            s1 = widen(w, wo + i + XL).fma(FloatVector.fromArray(XF, a, ao + i + XL), s1);
        }
        if (i < len) {
            s0 = widen(w, wo + i).fma(FloatVector.fromArray(XF, a, ao + i), s0);
        }
        return exactSum(s0.add(s1));
    }

    /** {@link #nibbleDot} for one scale group of at most {@link #EXACT_CHUNK} columns. */
    static int nibbleGroup(byte[] nb, int no, float[] a, int ao, int blocks) {
        if (blocks * 16 > EXACT_CHUNK) {
            return nibbleDot(nb, no, a, ao, blocks);
        }
        FloatVector s0 = FloatVector.zero(XF);
        FloatVector s1 = s0;
        int bytes = (blocks >> 1) * 16;
        for (int q = 0; q < bytes; q += XL) {
            int c = ao + 2 * (q & ~15) + (q & 15);
            IntVector b = (IntVector) ByteVector.fromArray(XB, nb, no + q).convertShape(VectorOperators.B2I, XI, 0);
            s0 = low(b).fma(FloatVector.fromArray(XF, a, c), s0);
            s1 = high(b).fma(FloatVector.fromArray(XF, a, c + 16), s1);
        }
        if ((blocks & 1) != 0) {
            for (int j = 0; j < 16; j += XL) {
                IntVector b = (IntVector) ByteVector.fromArray(XB, nb, no + bytes + j)
                        .convertShape(VectorOperators.B2I, XI, 0);
                s0 = low(b).fma(FloatVector.fromArray(XF, a, ao + 2 * bytes + j), s0);
            }
        }
        return exactSum(s0.add(s1));
    }

    /**
     * Four tokens against one FP32-widened weight group of at most {@link #EXACT_CHUNK} columns: each weight vector is
     * loaded once for the four products (prefill). out[oo + t] = the exact sum for token t.
     */
    static void floatGroup4(float[] w, int wo, float[] a0, float[] a1, float[] a2, float[] a3, int ao, int len,
                            int[] out, int oo) {
        FloatVector s0 = FloatVector.zero(XF);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        for (int i = 0; i < len; i += XL) {
            FloatVector wv = FloatVector.fromArray(XF, w, wo + i);
            s0 = wv.fma(FloatVector.fromArray(XF, a0, ao + i), s0);
            s1 = wv.fma(FloatVector.fromArray(XF, a1, ao + i), s1);
            s2 = wv.fma(FloatVector.fromArray(XF, a2, ao + i), s2);
            s3 = wv.fma(FloatVector.fromArray(XF, a3, ao + i), s3);
        }
        out[oo] = exactSum(s0);
        out[oo + 1] = exactSum(s1);
        out[oo + 2] = exactSum(s2);
        out[oo + 3] = exactSum(s3);
    }

    /**
     * Short lanes of the group-interleaved kernel ({@link #ilvSet}): 32 on AVX-512, 16 on AVX2. Lane L serves group
     * L mod {@link #ILV_GROUPS} of the set, so a flush yields one int lane per group with no horizontal sum.
     */
    static final VectorSpecies<Short> ILV_S = ShortVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            ? ShortVector.SPECIES_512 : ShortVector.SPECIES_256;
    private static final VectorSpecies<Byte> ILV_B = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(ILV_S.length() * 8));
    /** Scale groups per interleaved set (16 on AVX-512, 8 on AVX2). */
    static final int ILV_GROUPS = ILV_S.length() / 2;
    private static final VectorSpecies<Integer> ILV_I = VectorSpecies.of(int.class,
            VectorShape.forBitSize(ILV_GROUPS * 32));
    private static final VectorSpecies<Float> ILV_F = VectorSpecies.of(float.class,
            VectorShape.forBitSize(ILV_GROUPS * 32));
    /** The interleaved kernel needs 256-bit short vectors (AVX2 or better). */
    static final boolean VECTOR_ILV = ShortVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    /** Columns per group consumed by one step (two nibbles per byte, two k per lane half). */
    static final int ILV_STEP = 4;
    /**
     * Steps between flushes of the 16-bit lanes: a step adds two products of at most 7 x 127 = 889 to a lane, so 16
     * steps stay below 2^15 (16 x 2 x 889 = 28448).
     */
    private static final int ILV_FLUSH = 16;

    /**
     * One row against a set of up to {@link #ILV_GROUPS} dense scale groups of a 2..4-bit layer, all at once, in the
     * group-interleaved layout built by {@link LinearPlan}: per step, {@code ILV_S.length()} bytes whose byte L holds,
     * for group j = L mod ILV_GROUPS and h = L / ILV_GROUPS, column 4t + 2h of the group in its low nibble and column
     * 4t + 2h + 1 in its high nibble; {@code act} holds the matching activations as shorts, per step first the
     * low-nibble lanes, then the high-nibble lanes (zeros where a group is shorter or absent). Products are INT8 x
     * INT4, summed exactly in 16-bit lanes and flushed to int lanes; then, lanewise for groups j &lt; h,
     * part[po + j] = part[po + j] + ((scales[so + j] x sa) x (float) acc[j]), the contract's FP32 stage.
     */
    static void ilvSet(byte[] nb, int no, short[] act, int ao, int steps, float[] scales, int so, float sa,
                       float[] part, int po, int groups) {
        int s = ILV_S.length();
        IntVector acc = IntVector.zero(ILV_I);
        for (int t0 = 0; t0 < steps; t0 += ILV_FLUSH) {
            int t1 = Math.min(steps, t0 + ILV_FLUSH);
            ShortVector sum = ShortVector.zero(ILV_S);
            for (int t = t0; t < t1; t++) {
                ShortVector b = (ShortVector) ByteVector.fromArray(ILV_B, nb, no + s * t)
                        .convertShape(VectorOperators.B2S, ILV_S, 0);
                ShortVector lo = b.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 12);
                ShortVector hi = b.lanewise(VectorOperators.ASHR, 4);
                int at = ao + 2 * s * t;
                sum = sum.add(lo.mul(ShortVector.fromArray(ILV_S, act, at))
                        .add(hi.mul(ShortVector.fromArray(ILV_S, act, at + s))));
            }
            acc = acc.add((IntVector) sum.convertShape(VectorOperators.S2I, ILV_I, 0))
                    .add((IntVector) sum.convertShape(VectorOperators.S2I, ILV_I, 1));
        }
        FloatVector accF = (FloatVector) acc.convert(VectorOperators.I2F, 0);
        if (groups == ILV_GROUPS) {
            FloatVector term = FloatVector.fromArray(ILV_F, scales, so).mul(sa).mul(accF);
            FloatVector.fromArray(ILV_F, part, po).add(term).intoArray(part, po);
        } else {
            VectorMask<Float> m = ILV_F.indexInRange(0, groups);
            FloatVector term = FloatVector.fromArray(ILV_F, scales, so, m).mul(sa).mul(accF);
            FloatVector.fromArray(ILV_F, part, po, m).add(term, m).intoArray(part, po, m);
        }
    }

    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Byte> B16S = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;

    /**
     * XORed into every int lane of 16-bit pair sums by the int8 kernels: it turns the low half's bits into its value
     * + 2^15 (never negative), so the lane read as an int is exactly high x 2^16 + low + 2^15.
     */
    private static final int LOW_BIAS = 0x8000;

    /**
     * The exact INT32 sum of w[wo + i] x a[ao + i], i &lt; len (len a multiple of 16, at most 2^17; a holds INT8
     * values as shorts), in 16-bit lanes: a lane takes two INT8 x INT8 products per step (at most 2 x 127 x 128 =
     * 32512 &lt; 2^15: weights lie in [-127, 127], activations in [-128, 127]). Each pair of 16-bit lanes is then read
     * as one int lane x = hi x 2^16 + (lo + 2^15) ({@link #LOW_BIAS}), so x &gt;&gt; 16 = hi and hi + lo = x - 65535 x
     * (x &gt;&gt; 16) - 2^15: per step only x and x &gt;&gt; 16 are summed (an XOR, a shift and two int adds, where
     * unpacking both halves takes three shifts and two adds); the final combination is exact in wrapping int
     * arithmetic because the true sum fits an int. Few vector operations per 64-byte weight line keep many lines in flight: the kernel streams from DRAM.
     */
    static int shortDot(byte[] w, int wo, short[] a, int ao, int len) {
        int s = ILV_S.length();
        IntVector x = IntVector.zero(ILV_I);
        IntVector hi = x;
        int i = 0;
        for (; i <= len - 2 * s; i += 2 * s) {
            ShortVector a0 = ShortVector.fromArray(ILV_S, a, ao + i);
            ShortVector a1 = ShortVector.fromArray(ILV_S, a, ao + i + s);
            IntVector p = biasedPairs(w, wo + i, a0, a1);
            x = x.add(p);
            hi = hi.add(p.lanewise(VectorOperators.ASHR, 16));
        }
        return unbias(x, hi, i / (2 * s)) + shortTail(w, wo, a, ao, i, len);
    }

    /**
     * {@link #shortDot} of two rows against the same activations, sharing the activation loads: rows at w[wo0..] and
     * w[wo1..]; returns the first sum in the high 32 bits and the second in the low 32 bits. Two weight streams per
     * pass keep more DRAM lines in flight than one (more rows per pass would exceed what C2 inlines in one method and
     * box the vectors).
     */
    static long shortDot2(byte[] w, int wo0, int wo1, short[] a, int ao, int len) {
        int s = ILV_S.length();
        IntVector x0 = IntVector.zero(ILV_I);
        IntVector hi0 = x0;
        IntVector x1 = x0;
        IntVector hi1 = x0;
        int i = 0;
        for (; i <= len - 2 * s; i += 2 * s) {
            ShortVector a0 = ShortVector.fromArray(ILV_S, a, ao + i);
            ShortVector a1 = ShortVector.fromArray(ILV_S, a, ao + i + s);
            IntVector p = biasedPairs(w, wo0 + i, a0, a1);
            IntVector q = biasedPairs(w, wo1 + i, a0, a1);
            x0 = x0.add(p);
            hi0 = hi0.add(p.lanewise(VectorOperators.ASHR, 16));
            x1 = x1.add(q);
            hi1 = hi1.add(q.lanewise(VectorOperators.ASHR, 16));
        }
        int steps = i / (2 * s);
        int t0 = unbias(x0, hi0, steps) + shortTail(w, wo0, a, ao, i, len);
        int t1 = unbias(x1, hi1, steps) + shortTail(w, wo1, a, ao, i, len);
        return ((long) t0 << 32) | (t1 & 0xFFFFFFFFL);
    }

    /** Int lanes of pair sums w[at + j] x a0[j] + w[at + s + j] x a1[j] (16-bit, exact), XORed with LOW_BIAS. */
    private static IntVector biasedPairs(byte[] w, int at, ShortVector a0, ShortVector a1) {
        ShortVector b0 = (ShortVector) ByteVector.fromArray(ILV_B, w, at).convertShape(VectorOperators.B2S, ILV_S, 0);
        ShortVector b1 = (ShortVector) ByteVector.fromArray(ILV_B, w, at + ILV_S.length())
                .convertShape(VectorOperators.B2S, ILV_S, 0);
        return b0.mul(a0).add(b1.mul(a1)).reinterpretAsInts().lanewise(VectorOperators.XOR, LOW_BIAS);
    }

    /** The sum over all lanes and steps of hi + lo, from the lane sums of x and x &gt;&gt; 16 (see shortDot). */
    private static int unbias(IntVector x, IntVector hi, int steps) {
        return x.reduceLanes(VectorOperators.ADD) - 65535 * hi.reduceLanes(VectorOperators.ADD)
                - LOW_BIAS * steps * ILV_I.length();
    }

    /** The columns [i, len) shortDot's main loop leaves (fewer than two vectors, in steps of 16). */
    private static int shortTail(byte[] w, int wo, short[] a, int ao, int i, int len) {
        if (i >= len) {
            return 0;
        }
        IntVector tail = IntVector.zero(I8);
        for (; i < len; i += 16) {
            ShortVector p = ((ShortVector) ByteVector.fromArray(B16S, w, wo + i)
                    .convertShape(VectorOperators.B2S, S16, 0)).mul(ShortVector.fromArray(S16, a, ao + i));
            tail = tail.add((IntVector) p.convertShape(VectorOperators.S2I, I8, 0))
                    .add((IntVector) p.convertShape(VectorOperators.S2I, I8, 1));
        }
        return tail.reduceLanes(VectorOperators.ADD);
    }

    /** Lanes 8..15 of a 16-byte vector (defined here: the class initialises its fields in text order). */
    private static final VectorMask<Byte> HIGH8 = VectorMask.fromLong(ByteVector.SPECIES_128, 0xFF00L);

    /**
     * The exact INT32 sum of one group whose blocks are all N = 8 (an even number of blocks, at most
     * {@link #EXACT_CHUNK} columns). Per pair of blocks, one 16-byte load holds both blocks' 4-bit positions (8 + 8,
     * as stored); each block's activations are gathered by a byte shuffle (the vector MUX), the two halves blended
     * and multiplied with the pair's 16 kept values, which are contiguous in storage.
     */
    static int gather8Dot(byte[] a8, int ao, byte[] values, int vo, byte[] positions, int po, int blocks) {
        FloatVector s0 = FloatVector.zero(XF);
        FloatVector s1 = s0;
        for (int p = 0; p < blocks; p += 2) {
            ByteVector ix = ByteVector.fromArray(B16, positions, po + 8 * p);
            ByteVector ga = ix.selectFrom(ByteVector.fromArray(B16, a8, ao + 16 * p));
            ByteVector gb = ix.selectFrom(ByteVector.fromArray(B16, a8, ao + 16 * p + 16));
            ByteVector g = ga.blend(gb, HIGH8);
            for (int j = 0; j < 16; j += XL) {
                FloatVector gf = (FloatVector) g.convertShape(VectorOperators.B2F, XF, j / XL);
                if (j == 0) {
                    s0 = widen(values, vo + 8 * p).fma(gf, s0);
                } else {
                    s1 = widen(values, vo + 8 * p + j).fma(gf, s1);
                }
            }
        }
        return exactSum(s0.add(s1));
    }

    /** Widens one dense 16-column block of INT8 weights to FP32 (prefill's once-per-row decode). */
    static void widen16(byte[] w, int wo, float[] out, int oo) {
        for (int j = 0; j < 16; j += XL) {
            widen(w, wo + j).intoArray(out, oo + j);
        }
    }

    private static FloatVector widen(byte[] w, int at) {
        return (FloatVector) ByteVector.fromArray(XB, w, at).convertShape(VectorOperators.B2F, XF, 0);
    }

    private static FloatVector low(IntVector b) {
        return (FloatVector) b.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28)
                .convert(VectorOperators.I2F, 0);
    }

    private static FloatVector high(IntVector b) {
        return (FloatVector) b.lanewise(VectorOperators.ASHR, 4).convert(VectorOperators.I2F, 0);
    }

    /** The exact sum of lanes holding integers below 2^24 in magnitude. */
    private static int exactSum(FloatVector s) {
        return ((IntVector) s.convert(VectorOperators.F2I, 0)).reduceLanes(VectorOperators.ADD);
    }

    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorMask<Byte> FIRST8 = B16.indexInRange(0, 8);
    private static final VectorMask<Byte> FIRST4 = B16.indexInRange(0, 4);
    /** The vector MUX needs at least 8 int lanes (one widening step per sparse segment). */
    static final boolean VECTOR_MUX = L >= 8;

    /**
     * The sparse MUX of one N:16 segment (N = 4 or 8): gathers the activations a[c0 + pos_j] by the 4-bit positions
     * (a byte shuffle), multiplies by the N kept values and returns the products in int lanes (other lanes 0).
     */
    static IntVector muxProducts(byte[] a, int c0, byte[] positions, int po, byte[] values, int vo, int n) {
        VectorMask<Byte> m = n == 8 ? FIRST8 : FIRST4;
        ByteVector act = ByteVector.fromArray(B16, a, c0);
        ByteVector gathered = ByteVector.fromArray(B16, positions, po, m).selectFrom(act);
        IntVector g = (IntVector) gathered.convertShape(VectorOperators.B2I, IS, 0);
        IntVector w = (IntVector) ByteVector.fromArray(B16, values, vo, m).convertShape(VectorOperators.B2I, IS, 0);
        return g.mul(w);
    }

    /** acc + the products of one dense 16-column segment (w[wo..wo+16) x a[ao..ao+16)), in int lanes. */
    static IntVector dense16(IntVector acc, byte[] w, int wo, int[] a, int ao) {
        for (int i = 0; i < 16; i += L) {
            IntVector wv = (IntVector) ByteVector.fromArray(BS, w, wo + i).convertShape(VectorOperators.B2I, IS, 0);
            acc = acc.add(wv.mul(IntVector.fromArray(IS, a, ao + i)));
        }
        return acc;
    }

    static IntVector zeroInts() {
        return IntVector.zero(IS);
    }

    /** acc[d] += p x v[vo + d] for d < len (len a multiple of 16): the P.V update of one cached position. */
    static void axpy(int p, byte[] v, int vo, int[] acc, int len) {
        for (int d = 0; d < len; d += L) {
            IntVector vv = (IntVector) ByteVector.fromArray(BS, v, vo + d).convertShape(VectorOperators.B2I, IS, 0);
            IntVector.fromArray(IS, acc, d).add(vv.mul(p)).intoArray(acc, d);
        }
    }

    /** sum16 of x[i] x x[i], i < n (the RMSNorm sum of squares). */
    static float sumSquares(float[] x, int n) {
        FloatVector lo = FloatVector.zero(FS);
        FloatVector hi = FloatVector.zero(FS);
        for (int i = 0; i < n; i += 2 * F) {
            VectorMask<Float> ml = FS.indexInRange(i, n);
            VectorMask<Float> mh = FS.indexInRange(i + F, n);
            FloatVector a = FloatVector.fromArray(FS, x, i, ml);
            FloatVector b = FloatVector.fromArray(FS, x, i + F, mh);
            lo = lo.add(a.mul(a), ml);
            hi = hi.add(b.mul(b), mh);
        }
        return reduce(lo, hi);
    }

    /** y[i] = w[i] x (x[i] x r). */
    static void scale(float[] x, float[] w, float r, float[] y, int n) {
        int i = 0;
        for (; i < FS.loopBound(n); i += F) {
            FloatVector xv = FloatVector.fromArray(FS, x, i);
            FloatVector.fromArray(FS, w, i).mul(xv.mul(r)).intoArray(y, i);
        }
        for (; i < n; i++) {
            y[i] = w[i] * (x[i] * r);
        }
    }

    /**
     * Softmax of s[0..n) in place, exactly as {@code Sfu.softmax}: mx = max; e_t = exp(s_t - mx); sum16 with lane
     * t mod 16; p_t = e_t / sum.
     */
    static void softmax(float[] s, int n) {
        float mx = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < n; t++) {
            mx = Math.max(mx, s[t]);
        }
        FloatVector lo = FloatVector.zero(FS);
        FloatVector hi = FloatVector.zero(FS);
        for (int t = 0; t < n; t += 2 * F) {
            VectorMask<Float> ml = FS.indexInRange(t, n);
            VectorMask<Float> mh = FS.indexInRange(t + F, n);
            FloatVector el = ArchMath.exp(FloatVector.fromArray(FS, s, t, ml).sub(mx));
            FloatVector eh = ArchMath.exp(FloatVector.fromArray(FS, s, t + F, mh).sub(mx));
            el.intoArray(s, t, ml);
            eh.intoArray(s, t + F, mh);
            lo = lo.add(el, ml);
            hi = hi.add(eh, mh);
        }
        float sum = reduce(lo, hi);
        for (int t = 0; t < n; t++) {
            s[t] = s[t] / sum;
        }
    }

    /**
     * {@link io.flightllm.arch.numerics.Sfu#softmax(float[], int, int, int)}: columns [h0, h1) masked (+0.0 out, out of
     * the max and the sum), the sum16 lane of column t still t mod 16.
     */
    static void softmax(float[] s, int n, int h0, int h1) {
        if (h0 <= 0 && h1 >= n) { // every column masked: +0.0 throughout, as the scalar form
            java.util.Arrays.fill(s, 0, n, 0.0f);
            return;
        }
        float mx = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < n; t++) {
            if (t < h0 || t >= h1) {
                mx = Math.max(mx, s[t]);
            }
        }
        for (int t = 0; t < n; t += F) {
            VectorMask<Float> m = FS.indexInRange(t, n);
            ArchMath.exp(FloatVector.fromArray(FS, s, t, m).sub(mx)).intoArray(s, t, m);
        }
        java.util.Arrays.fill(s, Math.min(h0, n), Math.min(h1, n), 0.0f);
        FloatVector lo = FloatVector.zero(FS);
        FloatVector hi = FloatVector.zero(FS);
        for (int t = 0; t < n; t += 2 * F) {
            lo = lo.add(FloatVector.fromArray(FS, s, t, FS.indexInRange(t, n)));
            hi = hi.add(FloatVector.fromArray(FS, s, t + F, FS.indexInRange(t + F, n)));
        }
        float sum = reduce(lo, hi);
        for (int t = 0; t < n; t++) {
            s[t] = s[t] / sum;
        }
    }

    /** a[i] = silu(a[i]) x b[i] with silu(a) = a x (1 / (1 + exp(-a))). */
    static void siluMul(float[] a, float[] b, int n) {
        int i = 0;
        for (; i < FS.loopBound(n); i += F) {
            FloatVector av = FloatVector.fromArray(FS, a, i);
            FloatVector e = ArchMath.exp(av.neg());
            FloatVector sig = FloatVector.broadcast(FS, 1.0f).div(e.add(1.0f));
            av.mul(sig).mul(FloatVector.fromArray(FS, b, i)).intoArray(a, i);
        }
        for (; i < n; i++) {
            a[i] = ArchMath.silu(a[i]) * b[i];
        }
    }

    private static float reduce(FloatVector lo, FloatVector hi) {
        float[] p = new float[Sum16.LANES];
        lo.intoArray(p, 0);
        hi.intoArray(p, F);
        return Sum16.reduce(p);
    }
}
