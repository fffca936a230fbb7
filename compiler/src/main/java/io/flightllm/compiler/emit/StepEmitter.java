package io.flightllm.compiler.emit;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.isa.BLayout;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.IndexEncoding;
import io.flightllm.arch.isa.InstructionBuilder;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.MaskMode;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.Mm;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.isa.Param;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.isa.St;
import io.flightllm.arch.isa.Sys;
import io.flightllm.arch.isa.SysOp;
import io.flightllm.arch.program.Region;
import io.flightllm.compiler.plan.CorePlan;
import io.flightllm.compiler.plan.MemoryPlan;
import io.flightllm.compiler.plan.RowTile;
import io.flightllm.compiler.plan.Tiling;
import io.flightllm.compiler.plan.WeightLayout;
import io.flightllm.compiler.plan.WeightTile;
import io.flightllm.compiler.shape.LinearShape;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.LinearKind;

import java.util.ArrayList;
import java.util.List;

/**
 * Emits one core's program for one launch: {@code m} token rows starting at the parameter {@code pos} (decode: m = 1,
 * MV mode; prefill: MM mode with a causal mask), attending to {@code ctx} cached positions (the bucket; positions at
 * or beyond the parameter {@code ctx_len} are masked). The operator sequence and its numerics are docs/numerics.md's,
 * one LLaMA layer after another; docs/compiler.md walks through it. Decode keeps every activation on chip: the only
 * HBM traffic is weights, the KV cache and the final logits.
 */
public final class StepEmitter {
    private static final List<String> NONE = List.of();
    private static final List<String> SHARED = List.of("G:ATT", "G:H", "G:YS");

    private final ModelShape m;
    private final HardwareConfig hw;
    private final CorePlan core;
    private final WeightLayout weights;
    private final MemoryPlan mem;
    private final Tiling tiling;
    private final boolean prefill;
    private final int rows;
    private final int ctx;
    private final int kvPositions;
    private final StreamBuilder out = new StreamBuilder();
    private final Layout at;
    private int slot;
    private int logSlot;

    private StepEmitter(ModelShape m, HardwareConfig hw, CorePlan core, WeightLayout weights, MemoryPlan mem,
                        Tiling tiling, boolean prefill, int rows, int ctx, int kvPositions) {
        this.m = m;
        this.hw = hw;
        this.core = core;
        this.weights = weights;
        this.mem = mem;
        this.tiling = tiling;
        this.prefill = prefill;
        this.rows = rows;
        this.ctx = ctx;
        this.kvPositions = kvPositions;
        this.at = new Layout(m, hw, core, tiling, rows, ctx);
    }

    /** The instructions of one core's program. */
    public static StreamBuilder emit(ModelShape m, HardwareConfig hw, CorePlan core, WeightLayout weights,
                                     MemoryPlan mem, Tiling tiling, boolean prefill, int rows, int ctx,
                                     int kvPositions) {
        StepEmitter e = new StepEmitter(m, hw, core, weights, mem, tiling, prefill, rows, ctx16(ctx), kvPositions);
        e.program();
        return e.out;
    }

    /** Key rows per K/V tile: one B slot of head_dim-byte rows, a multiple of 16. */
    static int kvTileRows(Tiling t, int hsp) {
        return (int) Math.min(1 << 20, (long) t.rows() * t.cols() / hsp / 16 * 16);
    }

    /** K/V tiles a launch at context {@code ctx} walks per head (its size depends on nothing else but rows). */
    public static int kvTiles(ModelShape m, HardwareConfig hw, Tiling t, int rows, int ctx) {
        int tr = kvTileRows(t, m.paddedHeadSize());
        return (ctx16(ctx) + tr - 1) / tr;
    }

    /** The smallest context with {@code tiles} K/V tiles. */
    public static int ctxOfTiles(ModelShape m, HardwareConfig hw, Tiling t, int rows, int tiles) {
        return (tiles - 1) * kvTileRows(t, m.paddedHeadSize()) + 16;
    }

    private static int ctx16(int ctx) {
        return CompressedLinear.ceil16(ctx);
    }

    /** Checks that the on-chip buffers hold a launch of {@code rows} rows at context {@code ctx}. */
    public static void checkFits(ModelShape m, HardwareConfig hw, CorePlan core, Tiling tiling, int rows, int ctx) {
        new Layout(m, hw, core, tiling, rows, ctx);
    }

    private void program() {
        int dim16 = CompressedLinear.ceil16(m.config().dim());
        Region input = mem.region("input", -1);
        add(Ld.builder().target(Buffer.GLOBAL).buf(at.x).mem(Mem.HBM).channel(input.channel()).addr(input.address())
                .len(4 * rows * dim16), Queue.LD, NONE, List.of("G:X"));
        for (int l = 0; l < m.layerCount(); l++) {
            layer(l);
        }
        norm(2 * m.layerCount());
        classifier();
    }

    private void layer(int l) {
        norm(2 * l);
        int hsp = m.paddedHeadSize();
        int qh = core.qHeads().size();
        int kvh = core.kvHeads().size();
        if (kvh > 0) {
            linear(l, LinearKind.Q, at.q, at.qStride, false);
            linear(l, LinearKind.K, at.k, at.kvStride, false);
            linear(l, LinearKind.V, at.v, at.kvStride, false);
            Region rope = mem.region("rope", -1);
            add(Ld.builder().target(Buffer.GLOBAL).buf(at.rope).mem(Mem.DDR).addr(rope.address()).param(Param.POS)
                    .pstride(4 * hsp).len(4 * rows * hsp), Queue.LD, NONE, List.of("G:ROPE"));
            misc(Misc.builder().op(MiscOp.ROPE).rows(rows).n(qh * hsp).a(at.q).aStride(at.qStride).b(at.rope)
                    .bStride(hsp / 4).dst(at.q).dStride(at.qStride).seg(hsp / 16), List.of("G:Q", "G:ROPE"),
                    List.of("G:Q"));
            misc(Misc.builder().op(MiscOp.ROPE).rows(rows).n(kvh * hsp).a(at.k).aStride(at.kvStride).b(at.rope)
                    .bStride(hsp / 4).dst(at.k).dStride(at.kvStride).seg(hsp / 16), List.of("G:K", "G:ROPE"),
                    List.of("G:K"));
            misc(Misc.builder().op(MiscOp.QUANT).rows(rows).n(qh * hsp).a(at.q).aStride(at.qStride).dst(at.qq)
                    .dStride(qh * hsp / 16).sdst(at.qScale).seg(hsp / 16), List.of("G:Q"), List.of("A:QQ", "S:QQ"));
            for (int j = 0; j < kvh; j++) {
                int h = core.kvHeads().start() + j;
                storeKv(l, h, j, at.k, "k", "ks");
                storeKv(l, h, j, at.v, "v", "vs");
            }
            for (int i = 0; i < qh; i++) {
                attendHead(l, i);
            }
        }
        sys();
        misc(Misc.builder().op(MiscOp.QUANT).rows(rows).n(m.config().nHeads() * hsp).a(at.att).aStride(at.attStride)
                .dst(at.act).dStride(at.actStride).sdst(at.actScale), List.of("G:ATT"), List.of("A:ACT", "S:ACT"));
        linear(l, LinearKind.O, at.ys, at.ysStride, true);
        sys();
        misc(Misc.builder().op(MiscOp.ADD).rows(rows).n(m.config().dim()).a(at.x).aStride(at.xStride).b(at.ys)
                .bStride(at.ysStride).dst(at.x).dStride(at.xStride), List.of("G:X", "G:YS"), List.of("G:X"));
        norm(2 * l + 1);
        linear(l, LinearKind.W1, at.a1, at.ffnStride, false);
        linear(l, LinearKind.W3, at.a3, at.ffnStride, false);
        int ffnRows = core.ffnRowBlocks().size() * 16;
        int ffnStart = core.ffnRowBlocks().start() * 16;
        if (ffnRows > 0) {
            misc(Misc.builder().op(MiscOp.SILU).rows(rows).n(ffnRows).a(at.a1).aStride(at.ffnStride).b(at.a3)
                    .bStride(at.ffnStride).dst(at.h + ffnStart / 4).dStride(at.hStride), List.of("G:A1", "G:A3"),
                    List.of("G:H"));
        }
        sys();
        misc(Misc.builder().op(MiscOp.QUANT).rows(rows).n(m.config().hiddenDim()).a(at.h).aStride(at.hStride)
                .dst(at.act).dStride(at.actStride).sdst(at.actScale), List.of("G:H"), List.of("A:ACT", "S:ACT"));
        linear(l, LinearKind.W2, at.ys, at.ysStride, true);
        sys();
        misc(Misc.builder().op(MiscOp.ADD).rows(rows).n(m.config().dim()).a(at.x).aStride(at.xStride).b(at.ys)
                .bStride(at.ysStride).dst(at.x).dStride(at.xStride), List.of("G:X", "G:YS"), List.of("G:X"));
    }

    /** RMSNorm of X with norm row {@code index}, then the INT8 row quantization shared by the next linears. */
    private void norm(int index) {
        Region norms = mem.region("norms", core.core());
        int dim16 = CompressedLinear.ceil16(m.config().dim());
        add(Ld.builder().target(Buffer.GLOBAL).buf(at.normW).mem(Mem.HBM).channel(norms.channel())
                .addr(norms.address() + 4L * index * dim16).len(4 * m.config().dim()), Queue.LD, NONE,
                List.of("G:NORMW"));
        misc(Misc.builder().op(MiscOp.RMSNORM).rows(rows).n(m.config().dim()).a(at.x).aStride(at.xStride)
                .b(at.normW).bStride(0).dst(at.xn).dStride(at.xStride).imm(m.config().normEps()),
                List.of("G:X", "G:NORMW"), List.of("G:XN"));
        misc(Misc.builder().op(MiscOp.QUANT).rows(rows).n(m.config().dim()).a(at.xn).aStride(at.xStride)
                .dst(at.act).dStride(at.actStride).sdst(at.actScale), List.of("G:XN"), List.of("A:ACT", "S:ACT"));
    }

    /** Quantizes KV head {@code h} (local j) of the rows with FP16 scales and stores it at positions pos.. */
    private void storeKv(int l, int h, int j, int src, String kind, String scaleKind) {
        int hsp = m.paddedHeadSize();
        String res = kind.equals("k") ? "KQ" : "VQ";
        int aq = kind.equals("k") ? at.kq : at.vq;
        int sq = kind.equals("k") ? at.kScale : at.vScale;
        misc(Misc.builder().op(MiscOp.QUANT).rows(rows).n(hsp).a(src + j * hsp / 4).aStride(at.kvStride)
                .dst(aq + j * rows * hsp / 16).dStride(hsp / 16).sdst(sq + j * rows).fp16(true),
                List.of("G:" + kind.toUpperCase()), List.of("A:" + res + j, "S:" + res + j));
        Region r = mem.region("kv." + kind + "." + h, core.core());
        Region s = mem.region("kv." + scaleKind + "." + h, core.core());
        String cache = "H:kv" + l + "." + h;
        add(St.builder().src(Buffer.A).buf(aq + j * rows * hsp / 16).mem(Mem.HBM).channel(r.channel())
                .addr(r.address() + (long) l * kvPositions * hsp).param(Param.POS).pstride(hsp).n(rows).len(hsp)
                .stride(hsp), Queue.ST, List.of("A:" + res + j), List.of(cache));
        add(St.builder().src(Buffer.SCALE).buf(sq + j * rows).mem(Mem.HBM).channel(s.channel()).fp16(true)
                .addr(s.address() + 2L * l * kvPositions).param(Param.POS).pstride(2).n(rows).len(2).stride(2),
                Queue.ST, List.of("S:" + res + j), List.of(cache));
    }

    /** Scores, softmax, V-scale fold, quantization and P.V of local query head i. */
    private void attendHead(int l, int i) {
        int hsp = m.paddedHeadSize();
        int qHead = core.qHeads().start() + i;
        int kvHead = qHead / m.config().kvMul();
        String cache = "H:kv" + l + "." + kvHead;
        Region kr = mem.region("kv.k." + kvHead, core.core());
        Region ksr = mem.region("kv.ks." + kvHead, core.core());
        Region vr = mem.region("kv.v." + kvHead, core.core());
        Region vsr = mem.region("kv.vs." + kvHead, core.core());
        long kBase = kr.address() + (long) l * kvPositions * hsp;
        long vBase = vr.address() + (long) l * kvPositions * hsp;
        for (int t0 = 0; t0 < ctx; t0 += at.kvTileRows) {
            int n = Math.min(at.kvTileRows, ctx - t0);
            int s = nextSlot();
            add(Ld.builder().target(Buffer.B).buf(at.bSlot[s]).mem(Mem.HBM).channel(kr.channel())
                    .addr(kBase + (long) t0 * hsp).len(n * hsp), Queue.LD, List.of(cache), List.of("B" + s));
            add(Ld.builder().target(Buffer.SCALE).buf(at.wScale[s]).mem(Mem.HBM).channel(ksr.channel()).fp16(true)
                    .addr(ksr.address() + 2L * ((long) l * kvPositions + t0)).len(2 * n), Queue.LD, List.of(cache),
                    List.of("W" + s));
            matrix(hsp / 16, 0, n, at.qq + i * hsp / 16, at.qStride * 4 / 16, at.bSlot[s], BLayout.ROW,
                    at.s + t0 / 4, at.sStride, true, true, true, at.wScale[s], 1, 0, at.qScale + i,
                    core.qHeads().size(), null, List.of("A:QQ", "S:QQ", "B" + s, "W" + s), List.of("G:S"));
        }
        float inv = 1.0f / (float) Math.sqrt((float) m.config().headSize());
        misc(Misc.builder().op(MiscOp.SCALE).rows(rows).n(ctx).a(at.s).aStride(at.sStride).dst(at.s)
                .dStride(at.sStride).imm(inv), List.of("G:S"), List.of("G:S"));
        misc(Misc.builder().op(MiscOp.SOFTMAX).rows(rows).n(ctx).a(at.s).aStride(at.sStride).dst(at.s)
                .dStride(at.sStride).mask(prefill ? MaskMode.CAUSAL : MaskMode.CTX), List.of("G:S"), List.of("G:S"));
        add(Ld.builder().target(Buffer.GLOBAL).buf(at.vs).mem(Mem.HBM).channel(vsr.channel()).fp16(true)
                .addr(vsr.address() + 2L * l * kvPositions).len(2 * ctx), Queue.LD, List.of(cache), List.of("G:VS"));
        misc(Misc.builder().op(MiscOp.MUL).rows(rows).n(ctx).a(at.s).aStride(at.sStride).b(at.vs).bStride(0)
                .dst(at.s).dStride(at.sStride), List.of("G:S", "G:VS"), List.of("G:S"));
        misc(Misc.builder().op(MiscOp.QUANT).rows(rows).n(ctx).a(at.s).aStride(at.sStride).dst(at.pq)
                .dStride(at.pqStride).sdst(at.pScale), List.of("G:S"), List.of("A:PQ", "S:PQ"));
        int tiles = (ctx + at.kvTileRows - 1) / at.kvTileRows;
        for (int tile = 0; tile < tiles; tile++) {
            int t0 = tile * at.kvTileRows;
            int n = Math.min(at.kvTileRows, ctx - t0);
            int s = nextSlot();
            add(Ld.builder().target(Buffer.B).buf(at.bSlot[s]).mem(Mem.HBM).channel(vr.channel())
                    .addr(vBase + (long) t0 * hsp).len(n * hsp), Queue.LD, List.of(cache), List.of("B" + s));
            matrix(n / 16, t0 / 16, hsp, at.pq + t0 / 16, at.pqStride, at.bSlot[s], BLayout.COL,
                    at.att + qHead * hsp / 4, at.attStride, tile == 0, tile == tiles - 1, false, 0, 0, 0,
                    at.pScale, 1, null, List.of("A:PQ", "S:PQ", "B" + s), List.of("G:ATT", "G:PSUM"));
        }
    }

    /**
     * A linear layer over this core's rows: per row tile, per K tile (ascending), load values, indices, densities and
     * the weight scales of the groups the tile touches, then one MM/MV that carries the 16 partial sums to the next.
     * Results land at {@code dst} (shared outputs at their global row, private ones at the core's local row).
     */
    private void linear(int l, LinearKind kind, int dst, int dstStride, boolean sharedDst) {
        LinearShape s = kind == LinearKind.CLASSIFIER ? m.classifier() : m.linear(l, kind);
        List<RowTile> tiles = weights.rowTiles(l, kind, core.core());
        if (tiles.isEmpty()) {
            return;
        }
        int firstRow = tiles.get(0).rowBlock0() * 16;
        String dstRes = sharedDst ? "G:YS" : "G:" + kind;
        for (RowTile rt : tiles) {
            int outRow = rt.rowBlock0() * 16 - (sharedDst ? 0 : firstRow);
            int nk = rt.kTiles().size();
            for (int j = 0; j < nk; j++) {
                WeightTile wt = rt.kTiles().get(j);
                int sl = nextSlot();
                loadWeightTile(s, rt, wt, sl);
                int g0 = s.groups() == 1 ? 0 : wt.colBlock0() * 16 / s.groupSize();
                int g1 = s.groups() == 1 ? 0 : ((wt.colBlock0() + wt.colBlocks()) * 16 - 1) / s.groupSize();
                matrix(wt.colBlocks(), wt.colBlock0(), rt.rows(), at.act + wt.colBlock0(), at.actStride,
                        at.bSlot[sl], BLayout.ROW, dst + outRow / 4, dstStride, j == 0, j == nk - 1, true,
                        at.wScale[sl], g1 - g0 + 1, s.groups() == 1 ? 0 : s.groupSize() / 16, at.actScale, 1, wt,
                        List.of("A:ACT", "S:ACT", "B" + sl, "W" + sl, "M" + sl, "F" + sl),
                        List.of(dstRes, "G:PSUM"));
            }
        }
    }

    private void loadWeightTile(LinearShape s, RowTile rt, WeightTile wt, int sl) {
        List<String> w = List.of("B" + sl);
        add(Ld.builder().target(Buffer.B).buf(at.bSlot[sl]).mem(Mem.HBM).channel(wt.channel())
                .addr(wt.valuesAddress()).len((int) wt.valueBytes()).wbits(s.bits()), Queue.LD, NONE, w);
        if (wt.sparse()) {
            if (wt.positions() > 0) {
                add(Ld.builder().target(Buffer.META).buf(at.meta[sl]).mem(Mem.HBM).channel(wt.channel())
                        .addr(wt.positionsAddress()).len((int) wt.positionBytes()), Queue.LD, NONE, List.of("M" + sl));
            }
            add(Ld.builder().target(Buffer.FSB).buf(at.fsb[sl]).mem(Mem.HBM).channel(wt.channel())
                    .addr(wt.densitiesAddress()).len((int) wt.densityBytes()), Queue.LD, NONE, List.of("F" + sl));
        }
        int g0 = s.groups() == 1 ? 0 : wt.colBlock0() * 16 / s.groupSize();
        int g1 = s.groups() == 1 ? 0 : ((wt.colBlock0() + wt.colBlocks()) * 16 - 1) / s.groupSize();
        int count = g1 - g0 + 1;
        Ld.Builder sc = Ld.builder().target(Buffer.SCALE).buf(at.wScale[sl]).mem(Mem.HBM).channel(rt.channel())
                .addr(rt.scalesAddress() + 2L * g0).fp16(true).len(2 * count);
        if (rt.rows() > 1) {
            sc.n0(rt.rows()).s0(2L * s.groups());
        }
        add(sc, Queue.LD, NONE, List.of("W" + sl));
    }

    /** One MM (prefill) or MV (decode) tile. */
    private void matrix(int k, int k0, int nRows, int a, int aStride, int b, BLayout layout, int outAddr,
                        int outStride, boolean first, boolean last, boolean ws, int wscale, int wstride, int group,
                        int ascale, int astride, WeightTile wt, List<String> reads, List<String> writes) {
        boolean sparse = wt != null && wt.sparse();
        if (prefill) {
            Mm.Builder b2 = Mm.builder().m(rows).k(k).k0(k0).rows(nRows).a(a).aStride(aStride).b(b).bLayout(layout)
                    .out(outAddr).outStride(outStride).first(first).last(last).psum(first && last ? 0 : at.psum).ws(ws).wscale(wscale)
                    .wstride(wstride).group(group).ascale(ascale).astride(astride);
            if (sparse) {
                b2.sparse(true).idxEnc(IndexEncoding.POS4).bLines((int) ((wt.keptValues() + 15) / 16))
                        .idx(at.meta[slot(b)]).idxLines((int) ((wt.positionBytes() + 15) / 16)).fsb(at.fsb[slot(b)]);
            }
            add(b2, Queue.MM, reads, writes);
        } else {
            Mv.Builder b2 = Mv.builder().k(k).k0(k0).rows(nRows).a(a).b(b).bLayout(layout).out(outAddr).first(first)
                    .last(last).psum(first && last ? 0 : at.psum).ws(ws).wscale(wscale).wstride(wstride).group(group).ascale(ascale);
            if (sparse) {
                b2.sparse(true).idxEnc(IndexEncoding.POS4).bLines((int) ((wt.keptValues() + 15) / 16))
                        .idx(at.meta[slot(b)]).idxLines((int) ((wt.positionBytes() + 15) / 16)).fsb(at.fsb[slot(b)]);
            }
            add(b2, Queue.MV, reads, writes);
        }
    }

    private int slot(int bAddr) {
        return bAddr == at.bSlot[0] ? 0 : 1;
    }

    private void classifier() {
        List<RowTile> tiles = weights.rowTiles(-1, LinearKind.CLASSIFIER, core.core());
        LinearShape s = m.classifier();
        Region logits = mem.region("logits", -1);
        int vocab = m.config().vocabSize();
        for (RowTile rt : tiles) {
            int ls = logSlot;
            logSlot ^= 1;
            int nk = rt.kTiles().size();
            int tileRows = rt.rows();
            for (int j = 0; j < nk; j++) {
                WeightTile wt = rt.kTiles().get(j);
                int sl = nextSlot();
                loadWeightTile(s, rt, wt, sl);
                int g0 = s.groups() == 1 ? 0 : wt.colBlock0() * 16 / s.groupSize();
                int g1 = s.groups() == 1 ? 0 : ((wt.colBlock0() + wt.colBlocks()) * 16 - 1) / s.groupSize();
                matrix(wt.colBlocks(), wt.colBlock0(), tileRows, at.act + wt.colBlock0(), at.actStride, at.bSlot[sl],
                        BLayout.ROW, at.log[ls], tileRows / 4, j == 0, j == nk - 1, true, at.wScale[sl], g1 - g0 + 1,
                        s.groups() == 1 ? 0 : s.groupSize() / 16, at.actScale, 1, wt,
                        List.of("A:ACT", "S:ACT", "B" + sl, "W" + sl, "M" + sl, "F" + sl),
                        List.of("G:LOG" + ls, "G:PSUM"));
            }
            int r0 = rt.rowBlock0() * 16;
            int real = Math.min(tileRows, vocab - r0);
            if (real == tileRows) {
                add(St.builder().src(Buffer.GLOBAL).buf(at.log[ls]).mem(Mem.HBM).channel(logits.channel())
                        .addr(logits.address() + 4L * r0).n(rows).len(4 * real).stride(4L * vocab), Queue.ST,
                        List.of("G:LOG" + ls), List.of("H:logits"));
            } else if (real > 0) {
                for (int r = 0; r < rows; r++) { // a partial last tile: one row at a time (chunks read contiguously)
                    add(St.builder().src(Buffer.GLOBAL).buf(at.log[ls] + r * tileRows / 4).mem(Mem.HBM)
                            .channel(logits.channel()).addr(logits.address() + 4L * ((long) r * vocab + r0))
                            .len(4 * real), Queue.ST, List.of("G:LOG" + ls), List.of("H:logits"));
                }
            }
        }
    }

    private void sys() {
        int i = add(Sys.builder().op(SysOp.BARRIER), Queue.SYS, SHARED, SHARED);
        out.dependOnAll(i);
    }

    private int nextSlot() {
        int s = slot;
        slot ^= 1;
        return s;
    }

    private void misc(Misc.Builder b, List<String> reads, List<String> writes) {
        add(b, Queue.MISC, reads, writes);
    }

    private int add(InstructionBuilder<?, ?> b, Queue q, List<String> reads, List<String> writes) {
        return out.add(b, q, reads, writes);
    }

    /** The on-chip addresses of one launch (lines for A/B/GLOBAL/META/FSB, entries for SCALE). */
    static final class Layout {
        final int x;
        final int xStride;
        final int xn;
        final int normW;
        final int q;
        final int qStride;
        final int k;
        final int v;
        final int kvStride;
        final int rope;
        final int s;
        final int sStride;
        final int vs;
        final int att;
        final int attStride;
        final int h;
        final int hStride;
        final int ys;
        final int ysStride;
        final int a1;
        final int a3;
        final int ffnStride;
        final int psum;
        final int[] log = new int[2];
        final int act;
        final int actStride;
        final int qq;
        final int kq;
        final int vq;
        final int pq;
        final int pqStride;
        final int[] bSlot = new int[2];
        final int[] meta = new int[2];
        final int[] fsb = new int[2];
        final int[] wScale = new int[2];
        final int actScale;
        final int qScale;
        final int kScale;
        final int vScale;
        final int pScale;
        final int kvTileRows;

        Layout(ModelShape m, HardwareConfig hw, CorePlan core, Tiling t, int rows, int ctx) {
            int hsp = m.paddedHeadSize();
            int dim16 = CompressedLinear.ceil16(m.config().dim());
            int hidden16 = CompressedLinear.ceil16(m.config().hiddenDim());
            int qRows = m.config().nHeads() * hsp;
            int qh = core.qHeads().size();
            int kvh = core.kvHeads().size();
            int ffn = core.ffnRowBlocks().size() * 16;
            int ctx16 = CompressedLinear.ceil16(ctx);
            OnChip shared = OnChip.globalShared(hw);
            att = shared.alloc("ATT", (long) rows * qRows / 4);
            attStride = qRows / 4;
            h = shared.alloc("H", (long) rows * hidden16 / 4);
            hStride = hidden16 / 4;
            int ysRows = Math.max(dim16, 16);
            ys = shared.alloc("YS", (long) rows * ysRows / 4);
            ysStride = ysRows / 4;
            OnChip g = OnChip.globalPrivate(hw);
            xStride = dim16 / 4;
            x = g.alloc("X", (long) rows * xStride);
            xn = g.alloc("XN", (long) rows * xStride);
            normW = g.alloc("NORMW", xStride);
            qStride = qh * hsp / 4;
            q = g.alloc("Q", (long) rows * qStride);
            kvStride = kvh * hsp / 4;
            k = g.alloc("K", (long) rows * kvStride);
            v = g.alloc("V", (long) rows * kvStride);
            rope = g.alloc("ROPE", (long) rows * hsp / 4);
            sStride = ctx16 / 4;
            s = g.alloc("S", kvh == 0 ? 0 : (long) rows * sStride);
            vs = g.alloc("VS", kvh == 0 ? 0 : ctx16 / 4);
            ffnStride = ffn / 4;
            a1 = g.alloc("A1", (long) rows * ffnStride);
            a3 = g.alloc("A3", (long) rows * ffnStride);
            psum = g.alloc("PSUM", (long) io.flightllm.arch.isa.Isa.PSUM_LINES * rows * Math.max(t.rows(), hsp));
            log[0] = g.alloc("LOG0", (long) rows * t.rows() / 4);
            log[1] = g.alloc("LOG1", (long) rows * t.rows() / 4);
            OnChip a = OnChip.of(Buffer.A, hw);
            actStride = Math.max(Math.max(dim16, qRows), hidden16) / 16;
            act = a.alloc("ACT", (long) rows * actStride);
            qq = a.alloc("QQ", (long) rows * qh * hsp / 16);
            kq = a.alloc("KQ", (long) kvh * rows * hsp / 16);
            vq = a.alloc("VQ", (long) kvh * rows * hsp / 16);
            pqStride = ctx16 / 16;
            pq = a.alloc("PQ", kvh == 0 ? 0 : (long) rows * pqStride);
            OnChip b = OnChip.of(Buffer.B, hw);
            long slotLines = (long) t.rows() * t.cols() / 16;
            bSlot[0] = b.alloc("B0", slotLines);
            bSlot[1] = b.alloc("B1", slotLines);
            kvTileRows = kvTileRows(t, hsp);
            OnChip meta2 = OnChip.of(Buffer.META, hw);
            long metaLines = ((long) t.rows() * t.cols() / 4 + 15) / 16;
            meta[0] = meta2.alloc("META0", metaLines);
            meta[1] = meta2.alloc("META1", metaLines);
            OnChip fsb2 = OnChip.of(Buffer.FSB, hw);
            long fsbLines = ((long) t.rowBlocks() * t.colBlocks() + 15) / 16;
            fsb[0] = fsb2.alloc("FSB0", fsbLines);
            fsb[1] = fsb2.alloc("FSB1", fsbLines);
            OnChip sc = OnChip.of(Buffer.SCALE, hw);
            int groupsPerTile = t.cols() / 16 + 1;
            wScale[0] = sc.alloc("WSCALE0", Math.max((long) t.rows() * groupsPerTile, kvTileRows));
            wScale[1] = sc.alloc("WSCALE1", Math.max((long) t.rows() * groupsPerTile, kvTileRows));
            actScale = sc.alloc("ACTSCALE", rows);
            qScale = sc.alloc("QSCALE", (long) rows * qh);
            kScale = sc.alloc("KSCALE", (long) rows * kvh);
            vScale = sc.alloc("VSCALE", (long) rows * kvh);
            pScale = sc.alloc("PSCALE", rows);
        }
    }
}
