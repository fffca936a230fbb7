package io.flightllm.arch.isa.check;

import io.flightllm.arch.isa.BLayout;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.MatrixOp;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.MaskMode;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.Mm;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.isa.Param;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.isa.St;
import io.flightllm.arch.isa.Sys;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Consistency rules between fields (docs/isa.md, "Rules"): each field is valid on its own (the decoder checks that),
 * but some combinations have no meaning. Fields an instruction does not use must be zero, so every instruction has
 * exactly one encoding and the simulator never has to decide what an ignored field means.
 */
public final class Rules {
    private Rules() {
    }

    /** The rule violations of one instruction (empty when it is consistent). */
    public static List<String> check(Instruction inst) {
        List<String> p = new ArrayList<>();
        switch (inst) {
            case Ld x -> load(x, p);
            case St x -> store(x, p);
            case Mm x -> {
                matrix(MatrixOp.of(x), p);
                if (x.m() > 1 && x.aStride() < x.k()) {
                    p.add("a_stride=" + x.aStride() + " is less than k=" + x.k() + ": token rows of A overlap");
                }
                if (x.m() > 1 && x.last() && x.outStride() * 4L < x.rows()) {
                    p.add("out_stride=" + x.outStride() + " lines hold fewer than rows=" + x.rows()
                            + " results: token rows of out overlap");
                }
            }
            case Mv x -> matrix(MatrixOp.of(x), p);
            case Misc x -> misc(x, p);
            case Sys x -> {
            }
        }
        return p;
    }

    private static void zero(List<String> p, String field, long value, String why) {
        if (value != 0) {
            p.add(field + "=" + value + " must be 0 " + why);
        }
    }

    private static void memory(Mem mem, int channel, Param param, int pstride, List<String> p) {
        if (mem == Mem.DDR) {
            zero(p, "channel", channel, "for mem=ddr (DDR is one channel)");
        }
        if (param == Param.NONE) {
            zero(p, "pstride", pstride, "when param=none");
        }
    }

    private static void load(Ld x, List<String> p) {
        if (x.wbits() != 8 && x.target() != Buffer.B) {
            p.add("wbits=" + x.wbits() + " needs target=b (the dequantizer writes into B only)");
        }
        if (x.fp16() && x.target() != Buffer.GLOBAL && x.target() != Buffer.SCALE) {
            p.add("fp16=1 needs target=global or target=scale (FP32 buffers)");
        }
        if (x.fp16() && x.len() % 2 != 0) {
            p.add("fp16=1 needs an even len (whole FP16 values), got len=" + x.len());
        }
        if (x.zero()) {
            String why = "when zero=1 (no memory is read)";
            zero(p, "wbits code", x.wbits() == 8 ? 0 : x.wbits(), why);
            zero(p, "fp16", x.fp16() ? 1 : 0, why);
            zero(p, "mem", x.mem().ordinal(), why);
            zero(p, "channel", x.channel(), why);
            zero(p, "addr", x.addr(), why);
            zero(p, "param", x.param().ordinal(), why);
            zero(p, "pstride", x.pstride(), why);
            zero(p, "s0", x.s0(), why);
            zero(p, "s1", x.s1(), why);
            zero(p, "s2", x.s2(), why);
        } else {
            memory(x.mem(), x.channel(), x.param(), x.pstride(), p);
        }
    }

    private static void store(St x, List<String> p) {
        if (x.fp16() && x.src() != Buffer.GLOBAL && x.src() != Buffer.SCALE) {
            p.add("fp16=1 needs src=global or src=scale (FP32 buffers)");
        }
        if (x.fp16() && x.len() % 2 != 0) {
            p.add("fp16=1 needs an even len (whole FP16 values), got len=" + x.len());
        }
        memory(x.mem(), x.channel(), x.param(), x.pstride(), p);
    }

    private static void matrix(MatrixOp x, List<String> p) {
        if (!x.sparse()) {
            String why = "when sparse=0";
            zero(p, "b_lines", x.bLines(), why);
            zero(p, "idx", x.idx(), why);
            zero(p, "idx_lines", x.idxLines(), why);
            zero(p, "fsb", x.fsb(), why);
            zero(p, "idx_enc", x.idxEnc() == IndexEncoding.POSITIONS4 ? 0 : 1, why);
        } else {
            if (x.bLayout() != BLayout.ROW) {
                p.add("sparse=1 needs b_layout=row");
            }
            if (x.bLines() == 0) {
                p.add("sparse=1 needs b_lines >= 1 (the extent of the kept values)");
            }
        }
        if (!x.ws()) {
            zero(p, "wscale", x.wscale(), "when ws=0");
            zero(p, "wstride", x.wstride(), "when ws=0");
        } else if (x.wstride() < x.groupsTouched()) {
            p.add("wstride=" + x.wstride() + " is less than the " + x.groupsTouched()
                    + " groups the tile touches: rows' weight scales overlap");
        }
        if (x.first() && x.k0() != 0) {
            p.add("k0=" + x.k0() + " with first=1: the first tile of a row starts at block 0");
        }
        if (!x.bias()) {
            zero(p, "bias_addr", x.biasAddr(), "when bias=0");
        }
        if (!x.last()) {
            String why = "when last=0 (the results are written only by the last tile)";
            zero(p, "out", x.out(), why);
            zero(p, "out_stride", x.outStride(), why);
            zero(p, "bias", x.bias() ? 1 : 0, why);
            zero(p, "relu", x.relu() ? 1 : 0, why);
        }
        if (x.first() && x.last()) {
            zero(p, "psum", x.psum(), "when first=1 and last=1 (no partial sums are kept)");
        }
        if (x.queue() == Queue.MM && x.m() == 1) {
            zero(p, "a_stride", x.aStride(), "when m=1");
            zero(p, "out_stride", x.outStride(), "when m=1");
            zero(p, "astride", x.astride(), "when m=1");
        }
    }

    private static void misc(Misc x, List<String> p) {
        String why = "for op=" + x.op().name().toLowerCase(java.util.Locale.ROOT);
        Map<String, Long> optional = Map.ofEntries(Map.entry("b", (long) x.b()),
                Map.entry("b_stride", (long) x.bStride()), Map.entry("c", (long) x.c()),
                Map.entry("imm", (long) Float.floatToRawIntBits(x.imm())), Map.entry("mask", (long) x.mask().ordinal()),
                Map.entry("seg", (long) x.seg()), Map.entry("fp16", x.fp16() ? 1L : 0L),
                Map.entry("sdst", (long) x.sdst()), Map.entry("mask_block", (long) x.maskBlock()),
                Map.entry("mask_sinks", (long) x.maskSinks()), Map.entry("mask_band", (long) x.maskBand()));
        for (String f : MiscOp.OPTIONAL.stream().sorted().toList()) {
            if (!x.op().uses().contains(f) && optional.get(f) != 0) {
                p.add(f + " must be 0 " + why + " (it reads only " + String.join(", ",
                        x.op().uses().stream().sorted().toList()) + " besides a, dst, rows, n and the strides)");
            }
        }
        if (x.mask() == MaskMode.BLOCK) {
            if (x.maskBlock() == 0 || x.maskBlock() % 16 != 0) {
                p.add("mask=block needs mask_block a positive multiple of 16, got " + x.maskBlock());
            }
            if (x.maskBand() == 0) {
                p.add("mask=block needs mask_band >= 1 (the row's own block), got 0");
            }
        } else if (x.op().uses().contains("mask")) {
            String why2 = "unless mask=block";
            zero(p, "mask_block", x.maskBlock(), why2);
            zero(p, "mask_sinks", x.maskSinks(), why2);
            zero(p, "mask_band", x.maskBand(), why2);
        }
        if (x.op() == MiscOp.ROPE && x.seg() == 0 && x.n() % 2 != 0) {
            p.add("op=rope over a whole row needs an even n (pairs), got n=" + x.n());
        }
        if (x.op() == MiscOp.ROPE && x.seg() != 0 && x.n() % (16 * x.seg()) != 0) {
            p.add("op=rope needs n to be a multiple of the head width 16 x seg = " + 16 * x.seg() + ", got n="
                    + x.n());
        }
    }
}
