package io.flightllm.twin;

import io.flightllm.arch.numerics.ArchMath;
import io.flightllm.arch.numerics.Sum16;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
