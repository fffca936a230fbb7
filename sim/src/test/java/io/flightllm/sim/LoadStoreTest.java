package io.flightllm.sim;

import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.Param;
import io.flightllm.arch.isa.St;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoadStoreTest {
    private final SplittableRandom rnd = new SplittableRandom(11);

    private byte[] random(int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    @Test
    void plainLoadWalksThreeLoopsWithStridesAndTheParameter() {
        Rig r = new Rig(1);
        byte[] mem = random(1 << 16);
        r.m.hbm(3).write(0, mem, 0, mem.length);
        int len = 5;
        long addr = 100;
        int pstride = 7;
        Params p = new Params(9, 0, 0);
        r.run(p, Ld.builder().target(Buffer.A).buf(2).mem(Mem.HBM).channel(3).addr(addr).param(Param.POS)
                .pstride(pstride).len(len).n0(3).s0(11).n1(2).s1(300).n2(2).s2(4000));
        byte[] got = r.get(0, Buffer.A, 32, 3 * 2 * 2 * len);
        int at = 0;
        for (int i2 = 0; i2 < 2; i2++) {
            for (int i1 = 0; i1 < 2; i1++) {
                for (int i0 = 0; i0 < 3; i0++) {
                    long src = addr + 9L * pstride + i0 * 11L + i1 * 300L + i2 * 4000L;
                    for (int b = 0; b < len; b++) {
                        assertThat(got[at++]).as("chunk %d,%d,%d byte %d", i0, i1, i2, b).isEqualTo(mem[(int) src + b]);
                    }
                }
            }
        }
        assertThat(r.m.counters().hbmRead(3)).isEqualTo(12L * len);
    }

    /** Packs values as the ISA defines the stream: value j in bits [j b, j b + b), little-endian. */
    static byte[] pack(int[] values, int bits) {
        byte[] out = new byte[(values.length * bits + 7) / 8];
        for (int j = 0; j < values.length; j++) {
            for (int i = 0; i < bits; i++) {
                int t = j * bits + i;
                out[t / 8] |= (byte) ((values[j] >> i & 1) << (t % 8));
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 8})
    void dequantizingLoadSignExtendsEveryValueIntoB(int bits) {
        Rig r = new Rig(1);
        int lo = -(1 << (bits - 1));
        int n = 301;
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = i < (1 << bits) ? lo + i : lo + rnd.nextInt(1 << bits); // every code first, then random
        }
        byte[] stream = pack(v, bits);
        r.m.hbm(0).write(64, stream, 0, stream.length);
        r.run(Ld.builder().target(Buffer.B).buf(1).mem(Mem.HBM).channel(0).addr(64).len(stream.length).wbits(bits));
        int count = 8 * stream.length / bits;
        byte[] got = r.get(0, Buffer.B, 16, count);
        for (int i = 0; i < n; i++) {
            assertThat(got[i]).as("value %d", i).isEqualTo((byte) v[i]);
        }
        assertThat(count).isGreaterThanOrEqualTo(n);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 8})
    void fastUnpackEqualsTheBitByBitDefinition(int bits) {
        byte[] src = random(777);
        for (int count : new int[] {0, 1, 2, 3, 7, 8 * 777 / bits}) {
            byte[] a = new byte[count + 3];
            byte[] b = new byte[count + 3];
            Dequantizer.unpack(src, 5, Math.min(count, 8 * 772 / bits), bits, a, 2);
            Dequantizer.unpackReference(src, 5, Math.min(count, 8 * 772 / bits), bits, b, 2);
            assertThat(a).as("%d values of %d bits", count, bits).isEqualTo(b);
        }
    }

    @Test
    void fp16LoadWidensExactlyIntoScaleAndGlobal() {
        Rig r = new Rig(1);
        short[] h = {0x3c00, (short) 0xbc00, 0x0001, 0x03ff, 0x7bff, (short) 0xfc00, 0x7e00, (short) 0x8000};
        byte[] bytes = new byte[2 * h.length];
        for (int i = 0; i < h.length; i++) {
            Bytes.i16(bytes, 2 * i, h[i]);
        }
        r.m.ddr().write(128, bytes, 0, bytes.length);
        r.run(Ld.builder().target(Buffer.SCALE).buf(3).mem(Mem.DDR).addr(128).len(bytes.length).fp16(true),
                Ld.builder().target(Buffer.GLOBAL).buf(5).mem(Mem.DDR).addr(128).len(4).n0(4).s0(4).fp16(true));
        float[] expected = new float[h.length];
        for (int i = 0; i < h.length; i++) {
            expected[i] = Float.float16ToFloat(h[i]);
        }
        Rig.assertBits(r.getF32(0, Buffer.SCALE, 12, h.length), expected, "scale entries");
        Rig.assertBits(r.getF32(0, Buffer.GLOBAL, 80, h.length), expected, "global");
    }

    @Test
    void zeroLoadClearsWithoutReadingMemory() {
        Rig r = new Rig(1);
        r.put(0, Buffer.META, 0, random(64));
        r.run(Ld.builder().target(Buffer.META).buf(1).len(16).n0(2).zero(true));
        assertThat(r.get(0, Buffer.META, 16, 32)).containsOnly(0);
        assertThat(r.m.counters().hbmRead(0)).isZero();
    }

    @Test
    void storeWritesChunksAtStrideAndParameterAndNarrowsToFp16() {
        Rig r = new Rig(1);
        byte[] a = random(48);
        r.put(0, Buffer.A, 0, a);
        // values whose FP16 rounding is a tie (to even), a subnormal, an overflow and a plain value
        float[] f = {1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, 1e-6f, 70000f, -2.5f, 0.1f};
        r.putF32(0, Buffer.GLOBAL, 16, f);
        Params p = new Params(0, 0, 4);
        r.run(p, St.builder().src(Buffer.A).buf(0).mem(Mem.HBM).channel(2).addr(1000).param(Param.N_VALID_ROWS)
                        .pstride(100).n(3).len(16).stride(40),
                St.builder().src(Buffer.GLOBAL).buf(1).mem(Mem.DDR).addr(8).n(3).len(4).stride(10).fp16(true));
        for (int i = 0; i < 3; i++) {
            byte[] got = new byte[16];
            r.m.hbm(2).read(1400 + 40L * i, got, 0, 16);
            assertThat(got).isEqualTo(java.util.Arrays.copyOfRange(a, 16 * i, 16 * i + 16));
        }
        for (int i = 0; i < 6; i++) {
            byte[] got = new byte[2];
            r.m.ddr().read(8 + 10L * (i / 2) + 2 * (i % 2), got, 0, 2);
            assertThat(Bytes.i16(got, 0)).as("value %d", i).isEqualTo(Float.floatToFloat16(f[i]));
        }
        assertThat(Float.floatToFloat16(f[0])).isEqualTo((short) 0x3c00);
        assertThat(r.m.counters().hbmWritten(2)).isEqualTo(48);
    }

    @Test
    void outOfBoundsAccessesAreRefusedNamingTheInstruction() {
        Rig r = new Rig(1);
        long channel = r.m.hw().hbm().channelBytes();
        assertThatThrownBy(() -> r.run(Ld.builder().target(Buffer.A).channel(1).addr(channel - 8).len(16)))
                .isInstanceOf(SimException.class).hasMessageContaining("BOUNDS").hasMessageContaining("core 0 LD #0")
                .hasMessageContaining("HBM channel 1").hasMessageContaining("beyond the channel");
        long a = r.m.hw().buffers().aBytes();
        assertThatThrownBy(() -> r.run(Ld.builder().target(Buffer.A).buf((int) (a / 16) - 1).len(32)))
                .isInstanceOf(SimException.class).hasMessageContaining("beyond the buffer's " + a + " bytes");
        long half = r.m.hw().buffers().globalBytes() / 2;
        assertThatThrownBy(() -> r.run(Ld.builder().target(Buffer.GLOBAL).buf((int) (half / 16) - 1).len(32)))
                .isInstanceOf(SimException.class).hasMessageContaining("cross the boundary");
        assertThatThrownBy(() -> r.run(new Params(1_000_000, 0, 0), St.builder().src(Buffer.A).mem(Mem.DDR)
                .param(Param.POS).pstride(4096).len(16))).isInstanceOf(SimException.class)
                .hasMessageContaining("beyond the DDR").hasMessageContaining("pos 1000000");
    }
}
