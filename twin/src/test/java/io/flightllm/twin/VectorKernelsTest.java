package io.flightllm.twin;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.compress.CompressedLinear;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The exact FP32-lane dot kernels equal the plain integer sums, including at the largest magnitudes (where a lane
 * holding more than 1024 products would pass 2^24 and round) and across the chunk boundary.
 */
class VectorKernelsTest {
    private static final int[] LENGTHS = {16, 48, 128, 2048, VectorKernels.EXACT_CHUNK,
        VectorKernels.EXACT_CHUNK + 48, 3 * VectorKernels.EXACT_CHUNK + 32};

    /** Weights 127, activations alternating -127 / -128: odd products, sums far beyond 2^24 over long rows. */
    @Test
    void int8DotsAreExactAtTheWorstCaseMagnitude() {
        for (int len : LENGTHS) {
            byte[] w = new byte[len + 16];
            float[] a = new float[len + 16];
            float[] wf = new float[len + 16];
            long want = 0;
            for (int i = 0; i < len; i++) {
                w[i + 16] = 127;
                wf[i + 16] = 127;
                a[i + 16] = (i & 1) == 0 ? -127 : -128;
                want += 127L * (long) a[i + 16];
            }
            assertThat(Math.abs(want)).as("the sum needs more than FP32's 24 bits").isGreaterThan(len >= 2048
                    ? 1L << 24 : 0);
            assertThat((long) VectorKernels.denseDot(w, 16, a, 16, len)).as("denseDot len " + len).isEqualTo(want);
            assertThat((long) VectorKernels.denseGroup(w, 16, a, 16, len)).as("denseGroup len " + len)
                    .isEqualTo(want);
            assertThat((long) VectorKernels.floatDot(wf, 16, a, 16, len)).as("floatDot len " + len).isEqualTo(want);
            assertThat((long) VectorKernels.shortDot(w, 16, shorts(a), 16, len)).as("shortDot len " + len)
                    .isEqualTo(want);
            byte[] two = new byte[2 * len + 16]; // row 0 = w, row 1 = -w: both extremes of every 16-bit lane
            for (int i = 0; i < len; i++) {
                two[16 + i] = 127;
                two[16 + len + i] = -127;
            }
            long both = VectorKernels.shortDot2(two, 16, 16 + len, shorts(a), 16, len);
            assertThat((long) (int) (both >> 32)).as("shortDot2 row 0, len " + len).isEqualTo(want);
            assertThat((long) (int) both).as("shortDot2 row 1, len " + len).isEqualTo(-want);
        }
    }

    @Test
    void int8DotsMatchRandomRows() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int len : LENGTHS) {
            byte[] w = new byte[len + 32];
            float[] a = new float[len + 32];
            float[] wf = new float[len + 32];
            long want = 0;
            for (int i = 0; i < len; i++) {
                w[i + 32] = (byte) (rnd.nextInt(255) - 127);
                wf[i + 32] = w[i + 32];
                a[i + 16] = rnd.nextInt(256) - 128;
                want += w[i + 32] * (long) a[i + 16];
            }
            assertThat((long) VectorKernels.denseDot(w, 32, a, 16, len)).isEqualTo(want);
            assertThat((long) VectorKernels.denseGroup(w, 32, a, 16, len)).isEqualTo(want);
            assertThat((long) VectorKernels.floatDot(wf, 32, a, 16, len)).isEqualTo(want);
            assertThat((long) VectorKernels.shortDot(w, 32, shorts(a), 16, len)).isEqualTo(want);
        }
        // every tail length of the 16-bit kernel (multiples of 16 below two vectors)
        for (int len = 16; len <= 4 * VectorKernels.ILV_S.length(); len += 16) {
            byte[] w = new byte[len + 1];
            short[] a = new short[len + 2];
            long want = 0;
            for (int i = 0; i < len; i++) {
                w[i + 1] = (byte) (rnd.nextInt(255) - 127);
                a[i + 2] = (short) (rnd.nextInt(255) - 127);
                want += w[i + 1] * a[i + 2];
            }
            assertThat((long) VectorKernels.shortDot(w, 1, a, 2, len)).as("shortDot len " + len).isEqualTo(want);
        }
    }

    /** Two random rows at unrelated offsets, every tail length and long rows: each sum lands in its half. */
    @Test
    void shortDot2MatchesTwoScalarRows() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (int len = 16; len <= 4096; len += len < 256 ? 16 : 1024) {
            byte[] w = new byte[3 * len + 40];
            short[] a = new short[len + 8];
            for (int i = 0; i < w.length; i++) {
                w[i] = (byte) (rnd.nextInt(255) - 127);
            }
            for (int i = 0; i < a.length; i++) {
                a[i] = (short) (rnd.nextInt(256) - 128);
            }
            int wo0 = 3 + len;
            int wo1 = 7;
            long want0 = 0;
            long want1 = 0;
            for (int i = 0; i < len; i++) {
                want0 += w[wo0 + i] * a[8 + i];
                want1 += w[wo1 + i] * a[8 + i];
            }
            long both = VectorKernels.shortDot2(w, wo0, wo1, a, 8, len);
            assertThat((long) (int) (both >> 32)).as("row 0, len " + len).isEqualTo(want0);
            assertThat((long) (int) both).as("row 1, len " + len).isEqualTo(want1);
        }
    }

    private static short[] shorts(float[] a) {
        short[] s = new short[a.length];
        for (int i = 0; i < a.length; i++) {
            s[i] = (short) a[i];
        }
        return s;
    }

    /** Nibble pairs: low nibble = column j of the first block, high = column j of the second, both signed 4-bit. */
    @Test
    void nibbleDotsMatchTheDecodedWeights() {
        SplittableRandom rnd = new SplittableRandom(6);
        for (int blocks : new int[] {1, 2, 3, 8, 9, VectorKernels.EXACT_CHUNK / 16 + 3}) {
            int len = blocks * 16;
            int[] wv = new int[len];
            float[] a = new float[len + 16];
            long want = 0;
            for (int c = 0; c < len; c++) {
                wv[c] = blocks == 9 ? (c % 3 == 0 ? -8 : 7) : rnd.nextInt(16) - 8;
                a[c + 16] = blocks == 9 ? -128 : rnd.nextInt(256) - 128;
                want += wv[c] * (long) a[c + 16];
            }
            byte[] nb = new byte[8 + (blocks + 1) / 2 * 16];
            for (int cb = 0; cb < blocks; cb += 2) {
                for (int j = 0; j < 16; j++) {
                    int hi = cb + 1 < blocks ? wv[(cb + 1) * 16 + j] : 0;
                    nb[8 + cb / 2 * 16 + j] = (byte) ((wv[cb * 16 + j] & 0xF) | (hi << 4));
                }
            }
            assertThat((long) VectorKernels.nibbleDot(nb, 8, a, 16, blocks)).as("nibbleDot " + blocks)
                    .isEqualTo(want);
            assertThat((long) VectorKernels.nibbleGroup(nb, 8, a, 16, blocks)).as("nibbleGroup " + blocks)
                    .isEqualTo(want);
        }
    }

    /** Pairs of N = 8 blocks: 8 + 8 positions per 16-byte load, values contiguous, activations gathered per block. */
    @Test
    void gather8DotMatchesTheSparseSum() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int blocks : new int[] {2, 8, 64}) {
            byte[] a8 = new byte[16 * blocks + 16];
            byte[] values = new byte[8 * blocks + 3];
            byte[] positions = new byte[8 * blocks + 5];
            long want = 0;
            for (int i = 0; i < a8.length; i++) {
                a8[i] = (byte) (rnd.nextInt(255) - 127);
            }
            for (int b = 0; b < blocks; b++) {
                int[] pos = rnd.ints(0, 16).distinct().limit(8).sorted().toArray();
                for (int j = 0; j < 8; j++) {
                    values[3 + 8 * b + j] = (byte) (rnd.nextInt(255) - 127);
                    positions[5 + 8 * b + j] = (byte) pos[j];
                    want += values[3 + 8 * b + j] * (long) a8[16 + 16 * b + pos[j]];
                }
            }
            assertThat((long) VectorKernels.gather8Dot(a8, 16, values, 3, positions, 5, blocks)).as("blocks " + blocks)
                    .isEqualTo(want);
        }
    }
    /**
     * The group-interleaved 4-bit kernel over a whole row: every group's partial equals the scalar contract. Groups of
     * 1024 columns at the largest magnitude (7 x 127, all one sign) run 256 steps, so the 16-bit lanes must be flushed
     * in time (a lane would pass 2^15 after 19 steps); the 3-group layer leaves most lanes of its set empty.
     */
    @Test
    void interleavedSetsMatchTheScalarGroupSums() {
        SplittableRandom rnd = new SplittableRandom(8);
        for (int[] shape : new int[][] {{1024, 2 * VectorKernels.ILV_GROUPS, 1}, {16, VectorKernels.ILV_GROUPS + 5, 0},
            {64, VectorKernels.ILV_GROUPS, 0}, {32, VectorKernels.ILV_GROUPS / 2 + 1, 0}}) {
            int gs = shape[0];
            int groups = shape[1];
            boolean extreme = shape[2] == 1;
            int cols = gs * groups;
            byte[] values = new byte[16 * cols];
            for (int i = 0; i < values.length; i++) {
                values[i] = extreme ? (byte) (i % 16 < 15 ? 7 : -7) : (byte) (rnd.nextInt(15) - 7);
            }
            short[] scales = new short[16 * groups];
            for (int i = 0; i < scales.length; i++) {
                scales[i] = Float.floatToFloat16(0.001f + rnd.nextFloat());
            }
            byte[] density = new byte[cols / 16];
            Arrays.fill(density, (byte) 16);
            CompressedLinear l = new CompressedLinear("t", 16, cols, 4, gs, density, values, new byte[0], scales,
                    null);
            LinearPlan plan = LinearPlan.of(l);
            assertThat(plan.ilv()).as("interleaved sets for G=%d, %d groups", gs, groups).isNotNull();
            byte[] a8 = new byte[cols];
            for (int c = 0; c < cols; c++) {
                a8[c] = extreme ? 127 : (byte) (rnd.nextInt(255) - 127);
            }
            short[] act = new short[plan.ilv().actIndex().length];
            plan.ilv().activations(a8, act);
            float sa = 0.0173f;
            for (int r = 0; r < 16; r++) {
                float[] part = new float[16];
                float[] want = new float[16];
                for (int g = 0; g < groups; g++) {
                    long acc = 0;
                    for (int c = g * gs; c < (g + 1) * gs; c++) {
                        acc += (long) l.weight(r, c) * a8[c];
                    }
                    want[g & 15] += (l.scale(r, g) * sa) * (float) acc;
                }
                for (int g = 0; g < groups; g++) {
                    if (plan.kind()[g] == LinearPlan.ILV4) {
                        int h = Math.min(VectorKernels.ILV_GROUPS, groups - g);
                        VectorKernels.ilvSet(plan.ilv().bytes(), plan.ilv().row()[r] + plan.ilv().set()[g], act,
                                plan.ilv().actOffset(g), plan.ilv().steps(), plan.ilv().scales(), r * groups + g, sa,
                                part, g & 15, h);
                        g += h - 1;
                    } else {
                        long acc = 0;
                        for (int c = g * gs; c < (g + 1) * gs; c++) {
                            acc += (long) l.weight(r, c) * a8[c];
                        }
                        part[g & 15] += (l.scale(r, g) * sa) * (float) acc;
                    }
                }
                for (int j = 0; j < 16; j++) {
                    assertThat(Float.floatToRawIntBits(part[j])).as("G=%d groups %d row %d partial %d", gs, groups, r,
                            j).isEqualTo(Float.floatToRawIntBits(want[j]));
                }
            }
        }
    }
}
