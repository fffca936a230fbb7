package io.flightllm.arch.isa.check;

import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.MatrixOp;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.Mm;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.isa.Param;
import io.flightllm.arch.isa.St;
import io.flightllm.arch.isa.Sys;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The byte ranges each instruction touches, from the semantics in docs/isa.md. All address terms have non-negative
 * coefficients, so the smallest address uses every loop index and parameter at its minimum and the largest at its
 * maximum: the ranges are exact bounds over all loop iterations and parameter values.
 */
public final class Footprint {
    private static final int LINE = 16;
    private static final int FP32 = 4;

    private Footprint() {
    }

    /** The accesses of {@code inst} with parameters ranging over {@code params}. */
    public static List<Access> of(Instruction inst, Function<Param, Limits.Range> params) {
        List<Access> a = new ArrayList<>();
        switch (inst) {
            case Ld ld -> load(ld, params.apply(ld.param()), a);
            case St st -> store(st, params.apply(st.param()), a);
            case Mm mm -> matrix(MatrixOp.of(mm), a);
            case Mv mv -> matrix(MatrixOp.of(mv), a);
            case Misc misc -> misc(misc, a);
            case Sys sys -> {
            }
        }
        return a;
    }

    /** Bytes one LD chunk writes into its target. */
    public static long loadChunkOutput(Ld ld) {
        if (ld.zero()) {
            return ld.len();
        }
        if (ld.wbits() != 8) {
            return 8L * ld.len() / ld.wbits();
        }
        return ld.fp16() ? 2L * ld.len() : ld.len();
    }

    /** Segments per row of a MISC quant: ceil(ceil(n / 16) / seg), or 1 when seg is 0. */
    public static long segments(int n, int seg) {
        long blocks = (n + 15L) / 16;
        return seg == 0 ? 1 : (blocks + seg - 1) / seg;
    }

    private static void onChip(List<Access> out, Buffer b, long unitAddr, long bytes, boolean write, String op) {
        long lo = unitAddr * b.unitBytes();
        out.add(new Access(new Access.Region.OnChip(b), lo, lo + bytes, write, op));
    }

    private static void load(Ld ld, Limits.Range p, List<Access> out) {
        long chunks = (long) ld.n0() * ld.n1() * ld.n2();
        onChip(out, ld.target(), ld.buf(), chunks * loadChunkOutput(ld), true, "buf");
        if (!ld.zero()) {
            long span = (ld.n0() - 1L) * ld.s0() + (ld.n1() - 1L) * ld.s1() + (ld.n2() - 1L) * ld.s2();
            out.add(new Access(new Access.Region.OffChip(ld.mem(), ld.channel()), ld.addr() + p.min() * ld.pstride(),
                    ld.addr() + p.max() * ld.pstride() + span + ld.len(), false, "addr"));
        }
    }

    private static void store(St st, Limits.Range p, List<Access> out) {
        long in = st.fp16() ? 2L * st.len() : st.len();
        onChip(out, st.src(), st.buf(), st.n() * in, false, "buf");
        long span = (st.n() - 1L) * st.stride();
        out.add(new Access(new Access.Region.OffChip(st.mem(), st.channel()), st.addr() + p.min() * st.pstride(),
                st.addr() + p.max() * st.pstride() + span + st.len(), true, "addr"));
    }

    private static void matrix(MatrixOp x, List<Access> out) {
        int m = x.m();
        onChip(out, Buffer.A, x.a(), ((m - 1L) * x.aStride() + x.k()) * LINE, false, "a");
        onChip(out, Buffer.B, x.b(), x.sparse() ? (long) x.bLines() * LINE : (long) x.rows() * x.k() * LINE, false,
                "b");
        if (x.sparse()) {
            onChip(out, Buffer.META, x.idx(), (long) x.idxLines() * LINE, false, "idx");
            onChip(out, Buffer.FSB, x.fsb(), (long) x.rows() / 16 * x.k(), false, "fsb");
        }
        if (x.ws()) {
            onChip(out, Buffer.SCALE, x.wscale(), ((x.rows() - 1L) * x.wstride() + x.groupsTouched()) * FP32, false,
                    "wscale");
        }
        onChip(out, Buffer.SCALE, x.ascale(), ((m - 1L) * x.astride() + 1) * FP32, false, "ascale");
        long psumBytes = (long) m * x.rows() * Isa.PSUM_BYTES;
        if (!x.first()) {
            onChip(out, Buffer.GLOBAL, x.psum(), psumBytes, false, "psum");
        }
        if (!x.last()) {
            onChip(out, Buffer.GLOBAL, x.psum(), psumBytes, true, "psum");
        } else {
            if (x.bias()) {
                onChip(out, Buffer.BIAS, x.biasAddr(), (long) x.rows() * FP32, false, "bias_addr");
            }
            onChip(out, Buffer.GLOBAL, x.out(), (m - 1L) * x.outStride() * LINE + (long) x.rows() * FP32, true,
                    "out");
        }
    }

    private static void misc(Misc x, List<Access> out) {
        long rowBytes = (long) x.n() * FP32;
        onChip(out, Buffer.GLOBAL, x.a(), (x.rows() - 1L) * x.aStride() * LINE + rowBytes, false, "a");
        if (x.op().uses().contains("b")) {
            long bRow = x.op() == MiscOp.ROPE ? (x.seg() == 0 ? x.n() : 16L * x.seg()) * FP32 : rowBytes;
            onChip(out, Buffer.GLOBAL, x.b(), (x.rows() - 1L) * x.bStride() * LINE + bRow, false, "b");
        }
        if (x.op().uses().contains("c")) {
            onChip(out, Buffer.GLOBAL, x.c(), rowBytes, false, "c");
        }
        if (x.op() == MiscOp.QUANT) {
            long q = (x.n() + 15L) / 16 * 16;
            onChip(out, Buffer.A, x.dst(), (x.rows() - 1L) * x.dStride() * LINE + q, true, "dst");
            onChip(out, Buffer.SCALE, x.sdst(), x.rows() * segments(x.n(), x.seg()) * FP32, true, "sdst");
        } else {
            onChip(out, Buffer.GLOBAL, x.dst(), (x.rows() - 1L) * x.dStride() * LINE + rowBytes, true, "dst");
        }
    }
}
