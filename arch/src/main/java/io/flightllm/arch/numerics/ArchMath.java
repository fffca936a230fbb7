package io.flightllm.arch.numerics;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The accelerator's transcendental functions, built only from IEEE FP32 +, -, x and integer bit operations, so a
 * scalar loop, a SIMD loop of any width, the simulator and the RTL compute the same bits (DESIGN.md: no libm, no FMA,
 * no {@code VectorOperators.EXP}).
 *
 * <p>exp(x): clamp x to [-104, 89]; k = round-to-nearest-even(x * log2(e)) by the 1.5 * 2^23 trick; r = (x - k * LN2_HI)
 * - k * LN2_LO (LN2_HI has 9 significant bits, so k * LN2_HI is exact); e^r by a degree-7 Taylor polynomial in
 * Horner form; the result scaled by 2^(k >> 1) and then 2^(k - (k >> 1)), so both factors are normal floats and
 * underflow rounds once. Accuracy: at most a few ulp against the correctly rounded value (tested).
 */
public final class ArchMath {
    static final float LOG2E = 1.44269504088896341f;
    static final float ROUND_MAGIC = 12582912.0f; // 1.5 * 2^23
    static final float LN2_HI = 0.693359375f;      // 0x3F318000, 9 significant bits
    static final float LN2_LO = -2.12194440e-4f;
    static final float LO = -104.0f;
    static final float HI = 89.0f;
    // 1/n! for n = 7 .. 2
    static final float C7 = 1.0f / 5040.0f;
    static final float C6 = 1.0f / 720.0f;
    static final float C5 = 1.0f / 120.0f;
    static final float C4 = 1.0f / 24.0f;
    static final float C3 = 1.0f / 6.0f;
    static final float C2 = 0.5f;

    private ArchMath() {
    }

    /** The accelerator's exp. */
    public static float exp(float x) {
        float xc = Math.min(Math.max(x, LO), HI);
        float k = (xc * LOG2E + ROUND_MAGIC) - ROUND_MAGIC;
        float r = (xc - k * LN2_HI) - k * LN2_LO;
        float p = C7;
        p = p * r + C6;
        p = p * r + C5;
        p = p * r + C4;
        p = p * r + C3;
        p = p * r + C2;
        p = p * r + 1.0f;
        p = p * r + 1.0f;
        int ki = (int) k;
        int k1 = ki >> 1;
        int k2 = ki - k1;
        return p * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k2 + 127) << 23);
    }

    /** {@link #exp} on every lane; bit-identical to the scalar form. */
    public static FloatVector exp(FloatVector x) {
        VectorSpecies<Float> fs = x.species();
        FloatVector xc = x.lanewise(VectorOperators.MAX, LO).lanewise(VectorOperators.MIN, HI);
        FloatVector k = xc.mul(LOG2E).add(ROUND_MAGIC).sub(ROUND_MAGIC);
        FloatVector r = xc.sub(k.mul(LN2_HI)).sub(k.mul(LN2_LO));
        FloatVector p = FloatVector.broadcast(fs, C7);
        p = p.mul(r).add(C6);
        p = p.mul(r).add(C5);
        p = p.mul(r).add(C4);
        p = p.mul(r).add(C3);
        p = p.mul(r).add(C2);
        p = p.mul(r).add(1.0f);
        p = p.mul(r).add(1.0f);
        // convert (same shape) rather than convertShape to a looked-up species: keeps the call intrinsic when inlined
        IntVector ki = (IntVector) k.convert(VectorOperators.F2I, 0);
        IntVector k1 = ki.lanewise(VectorOperators.ASHR, 1);
        IntVector k2 = ki.sub(k1);
        FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** silu(a) = a * (1 / (1 + exp(-a))), in that order. */
    public static float silu(float a) {
        return a * (1.0f / (1.0f + exp(-a)));
    }

    /** 1 / sqrt(v) as the SFU computes it: an IEEE sqrt, then an IEEE division. */
    public static float rsqrt(float v) {
        return 1.0f / (float) Math.sqrt(v);
    }
}
