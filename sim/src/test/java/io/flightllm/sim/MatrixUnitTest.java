package io.flightllm.sim;

import io.flightllm.arch.isa.BLayout;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.arch.isa.InstructionBuilder;
import io.flightllm.arch.isa.Mm;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.numerics.Sfu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * MM and MV against the golden output stage {@link Sfu#linearOutput} (exact INT32 group sums, then sum16 over groups
 * of (w_scale x a_scale) x acc): dense and sparse (every N, both index encodings), K split into tiles at any block
 * (partial-sum records carried between instructions), several token rows, the COL layout, bias, relu and ws=0.
 */
class MatrixUnitTest {
    static final int[] NS = {0, 2, 4, 8, 16};
    // on-chip placement (lines / entries) used by every case
    static final int A = 0;
    static final int B = 0;
    static final int META = 0;
    static final int FSB = 0;
    static final int WSCALE = 0;
    static final int ASCALE = 4000;
    static final int OUT = 0;
    static final int PSUM = 8000;

    /** A random layer: weights (zero where not kept), N per block, scales, token rows. */
    static final class Layer {
        final int rows;
        final int kBlocks;
        final int g;
        final int m;
        final byte[][] w;
        final byte[][] n;
        final float[][] ws;
        final byte[][] a;
        final float[] as;

        Layer(SplittableRandom rnd, int rows, int kBlocks, int g, int m, boolean sparse) {
            this.rows = rows;
            this.kBlocks = kBlocks;
            this.g = g;
            this.m = m;
            int k = 16 * kBlocks;
            w = new byte[rows][k];
            n = new byte[rows / 16][kBlocks];
            for (int rb = 0; rb < rows / 16; rb++) {
                for (int j = 0; j < kBlocks; j++) {
                    n[rb][j] = (byte) (sparse ? NS[(rb + 3 * j + rnd.nextInt(2)) % NS.length] : 16);
                }
            }
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < kBlocks; j++) {
                    int keep = n[r / 16][j];
                    int[] cols = rnd.ints(0, 16).distinct().limit(keep).sorted().toArray();
                    for (int c : cols) { // kept weights are non-zero, so the dense matrix shows which are kept
                        int v = rnd.nextInt(254) - 127;
                        w[r][16 * j + c] = (byte) (v >= 0 ? v + 1 : v);
                    }
                }
            }
            ws = new float[rows][groups()];
            for (float[] row : ws) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = Float.float16ToFloat(Float.floatToFloat16(rnd.nextFloat() * 0.01f));
                }
            }
            a = new byte[m][k];
            as = new float[m];
            for (int t = 0; t < m; t++) {
                for (int c = 0; c < k; c++) {
                    a[t][c] = (byte) (rnd.nextInt(255) - 127);
                }
                as[t] = rnd.nextFloat() * 0.05f;
            }
        }

        int groups() {
            return g == 0 ? 1 : (kBlocks + g - 1) / g;
        }

        /** The golden result of token t. */
        float[] expected(int t, boolean ws1) {
            float[] y = new float[rows];
            for (int r = 0; r < rows; r++) {
                int[] acc = new int[groups()];
                for (int c = 0; c < 16 * kBlocks; c++) {
                    acc[g == 0 ? 0 : c / 16 / g] += w[r][c] * a[t][c];
                }
                float[] s = ws1 ? ws[r] : filled(groups(), 1.0f);
                y[r] = Sfu.linearOutput(acc, s, groups(), as[t]);
            }
            return y;
        }
    }

    static float[] filled(int n, float v) {
        float[] f = new float[n];
        Arrays.fill(f, v);
        return f;
    }

    /** Loads the operands of tile [j0, j1) into the rig and returns the instruction. */
    static InstructionBuilder<?, ?> tile(Rig r, Layer l, int j0, int j1, boolean sparse, IndexEncoding enc,
                                         BLayout layout, boolean ws, boolean mm, boolean first, boolean last) {
        int k = j1 - j0;
        ByteArrayOutputStream values = new ByteArrayOutputStream();
        ByteArrayOutputStream meta = new ByteArrayOutputStream();
        byte[] fsb = new byte[l.rows / 16 * k];
        int nibble = -1;
        for (int rb = 0; rb < l.rows / 16; rb++) {
            for (int j = j0; j < j1; j++) {
                fsb[rb * k + j - j0] = l.n[rb][j];
            }
        }
        if (layout == BLayout.COL) {
            for (int c = 16 * j0; c < 16 * j1; c++) {
                for (int row = 0; row < l.rows; row++) {
                    values.write(l.w[row][c]);
                }
            }
        } else {
            for (int row = 0; row < l.rows; row++) {
                for (int j = j0; j < j1; j++) {
                    int n = l.n[row / 16][j];
                    int mask = 0;
                    for (int c = 0; c < 16; c++) {
                        boolean kept = !sparse || n == 16 || l.w[row][16 * j + c] != 0;
                        if (kept) {
                            values.write(l.w[row][16 * j + c]);
                            mask |= 1 << c;
                            if (sparse && n > 0 && n < 16 && enc == IndexEncoding.POSITIONS4) {
                                if (nibble < 0) {
                                    nibble = c;
                                } else {
                                    meta.write(nibble | c << 4);
                                    nibble = -1;
                                }
                            }
                        }
                    }
                    if (sparse && n > 0 && n < 16 && enc == IndexEncoding.MASK16) {
                        meta.write(mask & 0xff);
                        meta.write(mask >> 8);
                    }
                }
            }
        }
        if (nibble >= 0) {
            meta.write(nibble);
        }
        byte[] bv = values.toByteArray();
        r.put(0, Buffer.B, 16L * B, bv);
        int groupsTouched = l.g == 0 ? 1 : (j1 - 1) / l.g - j0 / l.g + 1;
        float[] sc = new float[l.rows * groupsTouched];
        for (int row = 0; row < l.rows; row++) {
            for (int i = 0; i < groupsTouched; i++) {
                sc[row * groupsTouched + i] = l.ws[row][(l.g == 0 ? 0 : j0 / l.g) + i];
            }
        }
        r.putF32(0, Buffer.SCALE, 4L * WSCALE, sc);
        r.putF32(0, Buffer.SCALE, 4L * ASCALE, l.as);
        int aStride = l.kBlocks + 3;
        for (int t = 0; t < l.m; t++) {
            r.put(0, Buffer.A, 16L * (A + t * aStride), l.a[t]);
        }
        int outStride = l.rows / 4 + 2;
        int bLines = (bv.length + 15) / 16;
        int idxLines = (meta.size() + 15) / 16;
        if (sparse) {
            r.put(0, Buffer.META, 16L * META, meta.toByteArray());
            r.put(0, Buffer.FSB, 16L * FSB, fsb);
        }
        if (mm) {
            Mm.Builder b = Mm.builder().m(l.m).k(k).k0(j0).rows(l.rows).a(A + j0).aStride(l.m > 1 ? aStride : 0)
                    .b(B).bLayout(layout).out(last ? OUT : 0).outStride(last && l.m > 1 ? outStride : 0)
                    .first(first).last(last).psum(first && last ? 0 : PSUM).group(l.g).ascale(ASCALE)
                    .astride(l.m > 1 ? 1 : 0).ws(ws).wscale(0).wstride(ws ? groupsTouched : 0);
            if (sparse) {
                b.sparse(true).idxEnc(enc).bLines(bLines).idx(META).idxLines(idxLines).fsb(FSB);
            }
            return b;
        }
        Mv.Builder b = Mv.builder().k(k).k0(j0).rows(l.rows).a(A + j0).b(B).bLayout(layout).out(last ? OUT : 0)
                .first(first).last(last).psum(first && last ? 0 : PSUM).group(l.g).ascale(ASCALE).ws(ws).wscale(0)
                .wstride(ws ? groupsTouched : 0);
        if (sparse) {
            b.sparse(true).idxEnc(enc).bLines(bLines).idx(META).idxLines(idxLines).fsb(FSB);
        }
        return b;
    }

    static void runTiles(Rig r, Layer l, int[] cuts, boolean sparse, IndexEncoding enc, BLayout layout, boolean ws,
                         boolean mm) {
        for (int i = 0; i + 1 < cuts.length; i++) {
            r.run(tile(r, l, cuts[i], cuts[i + 1], sparse, enc, layout, ws, mm, i == 0, i + 2 == cuts.length));
        }
    }

    static void check(Rig r, Layer l, boolean ws, String what) {
        int outStride = l.m > 1 ? l.rows / 4 + 2 : 0;
        for (int t = 0; t < l.m; t++) {
            Rig.assertBits(r.getF32(0, Buffer.GLOBAL, 16L * (OUT + t * outStride), l.rows), l.expected(t, ws),
                    what + " token " + t);
        }
    }

    @ParameterizedTest(name = "G={0} cuts={1}")
    @CsvSource({"0, 0 7", "0, 0 3 7", "2, 0 7", "2, 0 1 4 7", "3, 0 5 6 7", "1, 0 2 7", "4, 0 4 7", "8, 0 3 7"})
    void denseMvEqualsTheGoldenOutputStageHoweverKIsTiled(int g, String cuts) {
        Layer l = new Layer(new SplittableRandom(g * 31L + cuts.length()), 32, 7, g, 1, false);
        Rig r = new Rig(1);
        runTiles(r, l, Arrays.stream(cuts.split(" ")).mapToInt(Integer::parseInt).toArray(), false,
                IndexEncoding.POSITIONS4, BLayout.ROW, true, false);
        check(r, l, true, "dense MV");
    }

    @ParameterizedTest(name = "{0} G={1} cuts={2}")
    @CsvSource({"POSITIONS4, 0, 0 6", "POSITIONS4, 2, 0 3 6", "MASK16, 0, 0 6", "MASK16, 3, 0 1 5 6",
        "POSITIONS4, 1, 0 2 4 6"})
    void sparseMvSelectsTheKeptColumnsOfEveryN(IndexEncoding enc, int g, String cuts) {
        Layer l = new Layer(new SplittableRandom(7 + g), 48, 6, g, 1, true);
        boolean[] seen = new boolean[17];
        for (byte[] row : l.n) {
            for (byte n : row) {
                seen[n] = true;
            }
        }
        for (int n : NS) {
            assertThat(seen[n]).as("the layer has blocks at N = %d", n).isTrue();
        }
        Rig r = new Rig(1);
        runTiles(r, l, Arrays.stream(cuts.split(" ")).mapToInt(Integer::parseInt).toArray(), true, enc,
                BLayout.ROW, true, false);
        check(r, l, true, "sparse MV " + enc);
        long kept = 0;
        for (byte[] row : l.n) {
            for (byte n : row) {
                kept += 16L * n;
            }
        }
        assertThat(r.m.counters().mvMacs()).isEqualTo(kept);
        assertThat(r.m.counters().toMap().toString()).contains("mv_dense_macs=" + 48 * 6 * 16);
    }

    @Test
    void mmRunsEveryTokenRowWithItsOwnScaleAndOutputRow() {
        Layer l = new Layer(new SplittableRandom(3), 32, 5, 2, 3, true);
        Rig r = new Rig(1);
        runTiles(r, l, new int[] {0, 2, 5}, true, IndexEncoding.POSITIONS4, BLayout.ROW, true, true);
        check(r, l, true, "sparse MM");
        Layer d = new Layer(new SplittableRandom(4), 16, 3, 0, 2, false);
        Rig r2 = new Rig(1);
        runTiles(r2, d, new int[] {0, 3}, false, IndexEncoding.POSITIONS4, BLayout.ROW, true, true);
        check(r2, d, true, "dense MM");
        assertThat(r2.m.counters().mmMacs()).isEqualTo(2L * 16 * 48);
    }

    @Test
    void colLayoutWithoutWeightScalesIsPvOverTiles() {
        Layer l = new Layer(new SplittableRandom(5), 16, 6, 0, 1, false);
        Rig r = new Rig(1);
        runTiles(r, l, new int[] {0, 2, 6}, false, IndexEncoding.POSITIONS4, BLayout.COL, false, false);
        check(r, l, false, "COL MV, ws=0");
    }

    @Test
    void biasThenReluAfterTheLastGroup() {
        Layer l = new Layer(new SplittableRandom(6), 16, 2, 0, 1, false);
        Rig r = new Rig(1);
        float[] bias = new float[16];
        for (int i = 0; i < 16; i++) {
            bias[i] = (i - 8) * 0.75f;
        }
        r.putF32(0, Buffer.BIAS, 32, bias);
        r.run(((Mv.Builder) tile(r, l, 0, 2, false, IndexEncoding.POSITIONS4, BLayout.ROW, true, false, true, true))
                .bias(true).biasAddr(2).relu(true));
        float[] y = l.expected(0, true);
        for (int i = 0; i < 16; i++) {
            y[i] = Math.max(y[i] + bias[i], 0.0f);
        }
        Rig.assertBits(r.getF32(0, Buffer.GLOBAL, 0, 16), y, "bias + relu");
    }

    @Test
    void fsbAndIndexContentsThatCannotBeExecutedAreRefused() {
        Layer l = new Layer(new SplittableRandom(8), 16, 2, 0, 1, true);
        Rig r = new Rig(1);
        Mv.Builder mv = ((Mv.Builder) tile(r, l, 0, 2, true, IndexEncoding.MASK16, BLayout.ROW, true, false, true,
                true)).bLines(32).idxLines(4);
        r.put(0, Buffer.FSB, 16L * FSB, new byte[] {5, 16});
        assertThatThrownBy(() -> r.run(mv)).isInstanceOf(SimException.class).hasMessageContaining("OPERAND")
                .hasMessageContaining("is N = 5").hasMessageContaining("core 0 MV #0");
        r.put(0, Buffer.FSB, 16L * FSB, new byte[] {4, 0});
        r.put(0, Buffer.META, 16L * META, new byte[] {(byte) 0xff, 0});
        assertThatThrownBy(() -> r.run(mv)).isInstanceOf(SimException.class)
                .hasMessageContaining("with 8 bits set; its block has N = 4");
        r.put(0, Buffer.FSB, 16L * FSB, new byte[] {16, 16});
        assertThatThrownBy(() -> r.run(mv.bLines(1))).isInstanceOf(SimException.class)
                .hasMessageContaining("need 512 kept values, b_lines = 1");
    }
}
