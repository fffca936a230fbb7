package io.flightllm.arch.mpe;

import io.flightllm.arch.numerics.Int8Quantizer;
import io.flightllm.arch.numerics.Sparsity;

/**
 * The DSP48E2 slice as the CSD chain uses it, bit for bit: a 27 x 18 signed multiplier (the 27-bit operand is the
 * pre-adder output), a 48-bit post-adder and accumulator, and the INT8 packing trick. Two INT8 activations a0, a1
 * that share one weight w are packed as {@code a1 * 2^18 + a0} in the 27-bit port; the product is
 * {@code a1 w 2^18 + a0 w}, so a sum of such products holds two lanes in one 48-bit word: the low lane in bits
 * [17:0] and the high lane above. The constants here are the one place the slice's widths live.
 */
public final class Dsp48e2 {
    /** Width of the multiplier's first operand (the pre-adder output A + D). */
    public static final int MULT_A_BITS = 27;
    /** Width of the multiplier's second operand (port B). */
    public static final int MULT_B_BITS = 18;
    /** Width of the post-adder, the P register and the PCIN/PCOUT cascade. */
    public static final int P_BITS = 48;
    /** Bits of the low lane of a packed sum; the high activation is shifted by this much. */
    public static final int LANE_BITS = 18;
    /** Width of the 4-bit sparse index (position inside the 16-wide block). */
    public static final int INDEX_BITS = Integer.numberOfTrailingZeros(Sparsity.BLOCK);
    /** Largest operand magnitude of the numerics contract (INT8 in [-127, 127]). */
    public static final int OPERAND_MAX = Int8Quantizer.QMAX;

    private Dsp48e2() {
    }

    /**
     * Products of contract operands a low lane can sum without leaving its signed range:
     * floor((2^17 - 1) / 127^2) = 8 (131,071 / 16,129). Nine products of 127 x 127 (145,161) overflow, and so do
     * eight of (-128) x (-128) (exactly 2^17), which is why the operands stop at 127.
     */
    public static int overflowFreeProducts() {
        return overflowFreeProducts(OPERAND_MAX);
    }

    /** The same bound for operands of magnitude at most {@code maxAbs}. */
    public static int overflowFreeProducts(int maxAbs) {
        long laneMax = (1L << (LANE_BITS - 1)) - 1;
        return (int) (laneMax / ((long) maxAbs * maxAbs));
    }

    /** The 27-bit packed operand {@code a1 * 2^18 + a0} of two INT8 activations (the pre-adder's A + D). */
    public static long pack(int a0, int a1) {
        checkInt8(a0, "a0");
        checkInt8(a1, "a1");
        return ((long) a1 << LANE_BITS) + a0;
    }

    /** One slice step: P = Z + A x B, wrapped to 48 bits as the post-adder does; A is 27-bit, B an INT8 weight. */
    public static long mac(long packed, int w, long z) {
        if (packed < -(1L << (MULT_A_BITS - 1)) || packed >= 1L << (MULT_A_BITS - 1)) {
            throw new IllegalArgumentException("packed operand " + packed + " does not fit the 27-bit multiplier port");
        }
        checkInt8(w, "w");
        return wrap(z + packed * w, P_BITS);
    }

    /** The low lane: bits [17:0] of P, sign-extended. */
    public static long lowLane(long p) {
        return wrap(p, LANE_BITS);
    }

    /**
     * The high lane with the correction of the packed low product: P >> 18 (arithmetic) is a1 w + floor(lo / 2^18),
     * one less than a1 w whenever the low lane is negative, so bit 17 (the low lane's sign) is added back.
     */
    public static long highLane(long p) {
        return wrap((p >> LANE_BITS) + ((p >> (LANE_BITS - 1)) & 1), P_BITS - LANE_BITS);
    }

    /**
     * The overflow-adjust unit's value forwarded to the next segment: P with its low lane removed, i.e. the corrected
     * high lane times 2^18 (P - lowLane(P) exactly, in 48 bits).
     */
    public static long withoutLowLane(long p) {
        return wrap(highLane(p) << LANE_BITS, P_BITS);
    }

    /** {@code x} reduced to a {@code bits}-wide two's complement value (what a register of that width holds). */
    public static long wrap(long x, int bits) {
        return x << (64 - bits) >> (64 - bits);
    }

    private static void checkInt8(int v, String what) {
        if (v < Byte.MIN_VALUE || v > Byte.MAX_VALUE) {
            throw new IllegalArgumentException(what + " = " + v + " is not an INT8 value");
        }
    }
}
