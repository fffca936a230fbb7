package io.flightllm.sim;

import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.MaskMode;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.numerics.ArchMath;
import io.flightllm.arch.numerics.Int8Quantizer;
import io.flightllm.arch.numerics.Sfu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Every MISC operation against the shared numerics, over several rows with strides, masks from the parameters. */
class SfuUnitTest {
    static final int ROWS = 3;
    static final int N = 37;
    static final int STRIDE = 16; // lines between rows: room for 64 floats, rows hold 37
    static final int A = 0;
    static final int B = 100;
    static final int C = 200;
    static final int DST = 300;

    private final SplittableRandom rnd = new SplittableRandom(5);

    private float[][] rows(int n, float scale) {
        float[][] x = new float[ROWS][n];
        for (float[] r : x) {
            for (int i = 0; i < n; i++) {
                r[i] = (float) (rnd.nextGaussian() * scale);
            }
        }
        return x;
    }

    private static void put(Rig r, int addr, int stride, float[][] x) {
        for (int i = 0; i < x.length; i++) {
            r.putF32(0, Buffer.GLOBAL, 16L * (addr + i * stride), x[i]);
        }
    }

    private static float[] row(Rig r, int addr, int stride, int i, int n) {
        return r.getF32(0, Buffer.GLOBAL, 16L * (addr + i * stride), n);
    }

    private static Misc.Builder op(MiscOp op) {
        return Misc.builder().op(op).rows(ROWS).n(N).a(A).aStride(STRIDE).dst(DST).dStride(STRIDE);
    }

    @Test
    void elementwiseOpsAndNorms() {
        Rig r = new Rig(1);
        float[][] a = rows(N, 2);
        float[][] b = rows(N, 1);
        float[][] c = rows(N, 1);
        put(r, A, STRIDE, a);
        put(r, B, STRIDE, b);
        put(r, C, 0, new float[][] {c[0]});
        for (MiscOp o : new MiscOp[] {MiscOp.ADD, MiscOp.MUL, MiscOp.SILU, MiscOp.SCALE, MiscOp.RMSNORM,
                MiscOp.LAYERNORM}) {
            Misc.Builder m = op(o);
            switch (o) {
                case SCALE -> m.imm(0.125f * 3);
                case RMSNORM -> m.b(B).bStride(0).imm(1e-5f);
                case LAYERNORM -> m.b(B).bStride(0).c(C).imm(1e-5f);
                default -> m.b(B).bStride(STRIDE);
            }
            r.run(m);
            for (int i = 0; i < ROWS; i++) {
                float[] e = new float[N];
                switch (o) {
                    case ADD -> { for (int j = 0; j < N; j++) { e[j] = a[i][j] + b[i][j]; } }
                    case MUL -> { for (int j = 0; j < N; j++) { e[j] = a[i][j] * b[i][j]; } }
                    case SILU -> { e = a[i].clone(); Sfu.siluMul(e, b[i], N); }
                    case SCALE -> { for (int j = 0; j < N; j++) { e[j] = a[i][j] * (0.125f * 3); } }
                    case RMSNORM -> Sfu.rmsnorm(a[i], b[0], N, 1e-5f, e);
                    default -> Sfu.layernorm(a[i], b[0], c[0], N, 1e-5f, e);
                }
                Rig.assertBits(row(r, DST, STRIDE, i, N), e, o + " row " + i);
            }
        }
        // beyond n nothing is written
        assertThat(r.getF32(0, Buffer.GLOBAL, 16L * DST + 4 * N, 64 - N)).containsOnly(0.0f);
    }

    @ParameterizedTest(name = "{0} pos={1} ctx_len={2}")
    @CsvSource({"OFF, 0, 0", "CTX, 9, 10", "CTX, 0, 0", "CAUSAL, 5, 7", "CAUSAL, 30, 45", "BLOCK, 30, 45",
        "BLOCK, 40, 64", "BLOCK, 3, 64"})
    void softmaxAndMaskHonourTheValidColumns(MaskMode mode, int pos, int ctxLen) {
        Rig r = new Rig(1);
        float[][] a = rows(N, 3);
        put(r, A, STRIDE, a);
        Params p = new Params(pos, ctxLen, ROWS);
        // mask=block: 16-position blocks, one sink block, a band of one block
        var softmax = op(MiscOp.SOFTMAX).mask(mode);
        var mask = op(MiscOp.MASK).mask(mode).dst(DST + 50);
        if (mode == MaskMode.BLOCK) {
            softmax.maskGeometry(16, 1, 1);
            mask.maskGeometry(16, 1, 1);
        }
        r.run(p, softmax, mask);
        for (int i = 0; i < ROWS; i++) {
            int valid = switch (mode) {
                case OFF -> N;
                case CTX -> Math.min(N, ctxLen);
                case CAUSAL, BLOCK -> Math.min(N, Math.min(ctxLen, pos + i + 1));
            };
            int h0 = mode == MaskMode.BLOCK ? Math.min(valid, 16) : valid; // the sink block is 0..15
            int h1 = mode == MaskMode.BLOCK ? Math.min(valid, Math.max(16, (pos + i) / 16 * 16)) : valid;
            float[] e = new float[N];
            float[] v = Arrays.copyOf(a[i], valid);
            Sfu.softmax(v, valid, h0, h1);
            System.arraycopy(v, 0, e, 0, valid);
            Rig.assertBits(row(r, DST, STRIDE, i, N), e, "softmax row " + i);
            float[] masked = a[i].clone();
            Arrays.fill(masked, valid, N, Float.NEGATIVE_INFINITY);
            Arrays.fill(masked, h0, h1, Float.NEGATIVE_INFINITY);
            Rig.assertBits(row(r, DST + 50, STRIDE, i, N), masked, "mask row " + i);
            if (mode == MaskMode.BLOCK && pos + i >= 32) {
                assertThat(h1).as("row " + i + " has a hole").isGreaterThan(h0);
            }
        }
    }

    @Test
    void softmaxGivesTheSameBitsForEitherSignOfZero() {
        // docs/sim.md "Signed zeros": the MPE's output stage may turn a score of -0.0 into +0.0; softmax cannot tell
        float[] plus = {0.0f, 0.0f, 1.5f, -2.0f};
        float[] minus = {-0.0f, 0.0f, 1.5f, -2.0f};
        Sfu.softmax(plus, 4);
        Sfu.softmax(minus, 4);
        Rig.assertBits(minus, plus, "softmax with -0.0");
        float[] allPlus = {0.0f, 0.0f};
        float[] allMinus = {-0.0f, -0.0f};
        Sfu.softmax(allPlus, 2);
        Sfu.softmax(allMinus, 2);
        Rig.assertBits(allMinus, allPlus, "softmax of zeros");
        assertThat(Float.floatToRawIntBits(ArchMath.exp(-0.0f))).isEqualTo(Float.floatToRawIntBits(ArchMath.exp(0.0f)));
    }

    @ParameterizedTest(name = "seg={0} fp16={1}")
    @CsvSource({"0, false", "1, false", "2, true", "1, true"})
    void quantWritesInt8RowsAndOneScalePerSegment(int seg, boolean fp16) {
        Rig r = new Rig(1);
        float[][] a = rows(N, 4);
        a[1] = new float[N]; // an all-zero row: scale 0, q 0
        put(r, A, STRIDE, a);
        r.put(0, Buffer.A, 16L * 10, filledBytes(ROWS * 3 * 16, (byte) 0x55));
        int dStride = 3;
        r.run(Misc.builder().op(MiscOp.QUANT).rows(ROWS).n(N).a(A).aStride(STRIDE).dst(10).dStride(dStride).sdst(7)
                .seg(seg).fp16(fp16));
        int n16 = 48;
        int segLen = seg == 0 ? n16 : 16 * seg;
        int segments = (n16 + segLen - 1) / segLen;
        for (int i = 0; i < ROWS; i++) {
            byte[] q = new byte[n16];
            float[] s = new float[segments];
            for (int j = 0; j < segments; j++) {
                int off = j * segLen;
                int len = Math.min(segLen, N - off);
                s[j] = fp16 ? Float.float16ToFloat(Int8Quantizer.quantizeRowFp16(a[i], off, len, q, off))
                        : Int8Quantizer.quantizeRow(a[i], off, len, q, off);
            }
            assertThat(r.get(0, Buffer.A, 16L * (10 + i * dStride), n16)).as("row %d", i).isEqualTo(q);
            Rig.assertBits(r.getF32(0, Buffer.SCALE, 4L * (7 + i * segments), segments), s, "scales of row " + i);
        }
    }

    private static byte[] filledBytes(int n, byte v) {
        byte[] b = new byte[n];
        Arrays.fill(b, v);
        return b;
    }

    @Test
    void ropeRotatesEachHeadWithItsRowOfTheTable() {
        Rig r = new Rig(1);
        int n = 64;
        int h = 32;
        float[][] a = rows(n, 1);
        put(r, A, STRIDE, a);
        float[][] table = rows(h, 1);
        put(r, B, 8, table);
        r.run(Misc.builder().op(MiscOp.ROPE).rows(ROWS).n(n).a(A).aStride(STRIDE).b(B).bStride(8).dst(A)
                .dStride(STRIDE).seg(h / 16));
        for (int i = 0; i < ROWS; i++) {
            float[] e = a[i].clone();
            float[] cos = Arrays.copyOf(table[i], h / 2);
            float[] sin = Arrays.copyOfRange(table[i], h / 2, h);
            Sfu.rope(e, 0, h, cos, sin);
            Sfu.rope(e, h, h, cos, sin);
            Rig.assertBits(row(r, A, STRIDE, i, n), e, "rope in place, row " + i);
        }
    }

    @Test
    void aRowWhoseEveryValidColumnIsMaskedGivesZerosNotNaN() {
        // no sink block: a padded row (pos + r beyond ctx_len) in a later block than every valid key has none left
        Rig r = new Rig(1);
        float[][] a = rows(N, 5);
        put(r, A, STRIDE, a);
        Params p = new Params(32, 20, ROWS);
        r.run(p, op(MiscOp.SOFTMAX).mask(MaskMode.BLOCK).maskGeometry(16, 0, 1));
        for (int i = 0; i < ROWS; i++) {
            assertThat(row(r, DST, STRIDE, i, N)).as("row " + i).containsOnly(0.0f);
        }
    }
}
