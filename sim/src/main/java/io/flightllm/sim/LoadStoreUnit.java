package io.flightllm.sim;

import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.St;
import io.flightllm.arch.isa.check.Footprint;

/**
 * LD and ST of one core (docs/isa.md "LD", "ST"): chunks between an off-chip memory and a buffer, through the
 * dequantizer or the FP16 widener on the way in and the FP16 narrower on the way out. Bounds were checked from the
 * instruction's footprint before it runs.
 */
final class LoadStoreUnit {
    private final Machine m;
    private final CoreState core;
    private final Counters.Core count;
    private byte[] scratch = new byte[1 << 16];

    LoadStoreUnit(Machine m, CoreState core, Counters.Core count) {
        this.m = m;
        this.core = core;
        this.count = count;
    }

    private byte[] scratch(int n) {
        if (scratch.length < n) {
            scratch = new byte[n];
        }
        return scratch;
    }

    private OffChipMemory memory(Mem mem, int channel) {
        return mem == Mem.DDR ? m.ddr() : m.hbm(channel);
    }

    void load(Ld x, Params p) {
        long out = Footprint.loadChunkOutput(x);
        long chunks = (long) x.n0() * x.n1() * x.n2();
        Buffer t = x.target();
        Span dst = core.span(t, (long) x.buf() * t.unitBytes(), chunks * out);
        byte[] d = dst.array();
        int at = dst.offset();
        int len = x.len();
        OffChipMemory mem = x.zero() ? null : memory(x.mem(), x.channel());
        long base = x.addr() + p.value(x.param()) * x.pstride();
        for (int i2 = 0; i2 < x.n2(); i2++) {
            for (int i1 = 0; i1 < x.n1(); i1++) {
                for (int i0 = 0; i0 < x.n0(); i0++) {
                    long src = base + i0 * x.s0() + i1 * x.s1() + i2 * x.s2();
                    if (x.zero()) {
                        java.util.Arrays.fill(d, at, at + len, (byte) 0);
                    } else if (x.fp16()) {
                        byte[] s = scratch(len);
                        mem.read(src, s, 0, len);
                        for (int i = 0; i < len / 2; i++) {
                            Bytes.f32(d, at + 4 * i, Float.float16ToFloat(Bytes.i16(s, 2 * i)));
                        }
                    } else if (x.wbits() != 8) {
                        byte[] s = scratch(len);
                        mem.read(src, s, 0, len);
                        Dequantizer.unpack(s, 0, Dequantizer.count(len, x.wbits()), x.wbits(), d, at);
                    } else {
                        mem.read(src, d, at, len);
                    }
                    at += (int) out;
                }
            }
        }
        if (!x.zero()) {
            offChip(x.mem(), x.channel(), chunks * len, false);
        }
        count.bufferWritten[t.ordinal()] += chunks * out;
    }

    void store(St x, Params p) {
        int len = x.len();
        int in = x.fp16() ? 2 * len : len;
        Buffer s = x.src();
        Span src = core.span(s, (long) x.buf() * s.unitBytes(), (long) x.n() * in);
        OffChipMemory mem = memory(x.mem(), x.channel());
        long base = x.addr() + p.value(x.param()) * x.pstride();
        byte[] a = src.array();
        for (int i = 0; i < x.n(); i++) {
            int from = src.offset() + i * in;
            long to = base + i * x.stride();
            if (x.fp16()) {
                byte[] t = scratch(len);
                for (int j = 0; j < len / 2; j++) {
                    Bytes.i16(t, 2 * j, Float.floatToFloat16(Bytes.f32(a, from + 4 * j)));
                }
                mem.write(to, t, 0, len);
            } else {
                mem.write(to, a, from, len);
            }
        }
        offChip(x.mem(), x.channel(), (long) x.n() * len, true);
        count.bufferRead[s.ordinal()] += (long) x.n() * in;
    }

    private void offChip(Mem mem, int channel, long bytes, boolean write) {
        if (mem == Mem.DDR) {
            if (write) {
                count.ddrWritten += bytes;
            } else {
                count.ddrRead += bytes;
            }
        } else if (write) {
            count.hbmWritten[channel] += bytes;
        } else {
            count.hbmRead[channel] += bytes;
        }
    }
}
