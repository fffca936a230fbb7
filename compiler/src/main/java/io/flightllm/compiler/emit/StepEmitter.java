package io.flightllm.compiler.emit;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.isa.BLayout;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.InstructionBuilder;
import io.flightllm.arch.isa.Isa;
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
import io.flightllm.compiler.plan.KvStripes;
import io.flightllm.compiler.plan.MemoryPlan;
import io.flightllm.compiler.plan.Range;
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
 * one layer after another (LLaMA: RMSNorm, RoPE, SwiGLU; OPT: LayerNorm with bias, pre- or post-norm, linear biases,
 * ReLU, positions added by the host to the input rows); docs/compiler.md walks through it. Decode keeps every
 * activation on chip: the only HBM traffic is weights, the KV cache and the final logits. A prefill launch splits the per-row SFU work (norms, the
 * residual adds, the quantization of every linear's input) across cores by rows: each core keeps the residual of its
 * own rows only and exchanges its rows' INT8 activations and scales with the other cores through an HBM scratch
 * region ({@link #exchange}), because every core's MM reads all rows.
 */
public final class StepEmitter {
    private static int[] r(int... ids) {
        return ids;
    }

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
    /** Prefill with the row split: this core runs the per-row SFU work of {@link #mine} only. */
    private final boolean split;
    /** The rows whose residual this core keeps (all rows unless split). */
    private final Range mine;
    /** The resource id of ATT: with the split it shares its area (and id) with H. */
    private final int resAtt;
    private final StreamBuilder out;
    private final LinearCache cache;
    private LinearCache.Recorder recording;
    private final Layout at;
    private int slot;
    private int logSlot;
    private int scaleSlot;
    private int biasSlot;

    private StepEmitter(ModelShape m, HardwareConfig hw, CorePlan core, WeightLayout weights, MemoryPlan mem,
                        Tiling tiling, boolean prefill, int rows, int ctx, int kvPositions, LinearCache cache,
                        boolean strict) {
        this.cache = cache;
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
        // only counting (strict off) keeps the replicated rows: the baseline counts the artifact's style of program
        this.split = prefill && strict;
        this.mine = split ? ownRows(hw, core, rows) : new Range(0, rows);
        this.resAtt = split ? Res.G_H : Res.G_ATT;
        this.at = new Layout(m, hw, core, tiling, rows, ctx, strict, split);
        this.out = new StreamBuilder(Res.count(m.layerCount(), m.config().nKvHeads()));
    }

    /** The instructions of one core's program. */
    public static StreamBuilder emit(ModelShape m, HardwareConfig hw, CorePlan core, WeightLayout weights,
                                     MemoryPlan mem, Tiling tiling, boolean prefill, int rows, int ctx,
                                     int kvPositions, LinearCache cache, boolean strict) {
        StepEmitter e = new StepEmitter(m, hw, core, weights, mem, tiling, prefill, rows, ctx16(ctx), kvPositions,
                cache, strict);
        e.program();
        return e.out;
    }

    /** Key rows per K/V tile: one B slot of head_dim-byte rows, a multiple of 16. */
    public static int kvTileRows(Tiling t, int hsp) {
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

    /**
     * Checks that the on-chip buffers hold a launch of {@code rows} rows at context {@code ctx} ({@code prefill}: with
     * the row split of a prefill launch).
     */
    public static void checkFits(ModelShape m, HardwareConfig hw, CorePlan core, Tiling tiling, int rows, int ctx,
                                 boolean prefill) {
        new Layout(m, hw, core, tiling, rows, ctx, true, prefill);
    }

    /** The rows of a prefill launch of {@code rows} rows whose per-row SFU work {@code core} runs. */
    public static Range ownRows(HardwareConfig hw, CorePlan core, int rows) {
        return Range.split(rows, hw.cores(), core.core());
    }

    /** Bytes of one row of the exchanged activations: the widest linear input (padded). */
    public static int exchangeWidth(ModelShape m) {
        int hsp = m.paddedHeadSize();
        return Math.max(Math.max(CompressedLinear.ceil16(m.config().dim()), m.config().nHeads() * hsp),
                CompressedLinear.ceil16(m.config().hiddenDim()));
    }

    private void program() {
        int dim16 = CompressedLinear.ceil16(m.config().dim());
        Region input = mem.region("input", -1);
        if (!mine.isEmpty()) {
            add(Ld.builder().target(Buffer.GLOBAL).buf(at.x).mem(Mem.HBM).channel(input.channel())
                    .addr(input.address() + 4L * mine.start() * dim16).len(4 * mine.size() * dim16), Queue.LD,
                    Res.NONE, r(Res.G_X));
        }
        for (int l = 0; l < m.layerCount(); l++) {
            layer(l);
        }
        if (m.config().finalNorm()) {
            norm(2 * m.layerCount());
        } else {
            quant(m.config().dim(), at.x, at.xStride, Res.G_X); // post-norm OPT: X is already normalized
        }
        classifier();
    }

    private void layer(int l) {
        preNorm(2 * l);
        int hsp = m.paddedHeadSize();
        int qh = core.qHeads().size();
        int kvh = core.kvHeads().size();
        if (kvh > 0) {
            linear(l, LinearKind.Q, at.q, at.qStride, false);
            linear(l, LinearKind.K, at.k, at.kvStride, false);
            linear(l, LinearKind.V, at.v, at.kvStride, false);
            if (rope()) {
                Region rope = mem.region("rope", -1);
                add(Ld.builder().target(Buffer.GLOBAL).buf(at.rope).mem(Mem.DDR).addr(rope.address())
                        .param(Param.POS).pstride(4 * hsp).len(4 * rows * hsp), Queue.LD, Res.NONE, r(Res.G_ROPE));
                misc(Misc.builder().op(MiscOp.ROPE).rows(rows).n(qh * hsp).a(at.q).aStride(at.qStride).b(at.rope)
                        .bStride(hsp / 4).dst(at.q).dStride(at.qStride).seg(hsp / 16), r(Res.G_Q, Res.G_ROPE),
                        r(Res.G_Q));
                misc(Misc.builder().op(MiscOp.ROPE).rows(rows).n(kvh * hsp).a(at.k).aStride(at.kvStride).b(at.rope)
                        .bStride(hsp / 4).dst(at.k).dStride(at.kvStride).seg(hsp / 16), r(Res.G_K, Res.G_ROPE),
                        r(Res.G_K));
            }
            misc(Misc.builder().op(MiscOp.QUANT).rows(rows).n(qh * hsp).a(at.q).aStride(at.qStride).dst(at.qq)
                    .dStride(qh * hsp / 16).sdst(at.qScale).seg(hsp / 16), r(Res.G_Q), r(Res.A_QQ, Res.S_QQ));
            // each KV head's stores, then its query heads' attention: a head's stores release tokens to its own
            // loads, so storing every head first would hold two tokens per head, past the counter depth of 8 with
            // more than four heads per core
            int kvMul = m.config().kvMul();
            for (int j = 0; j < kvh; j++) {
                int h = core.kvHeads().start() + j;
                storeKv(l, h, j, at.k, true);
                storeKv(l, h, j, at.v, false);
                for (int i = j * kvMul; i < (j + 1) * kvMul; i++) {
                    attendHead(l, i);
                }
            }
        }
        sys();
        quant(m.config().nHeads() * hsp, at.att + mine.start() * at.attStride, at.attStride, resAtt);
        linear(l, LinearKind.O, at.ys, at.ysStride, true);
        sys();
        residual();
        postNorm(2 * l);
        preNorm(2 * l + 1);
        if (swiglu()) {
            linear(l, LinearKind.W1, at.a1, at.ffnStride, false, Res.G_A1);
            linear(l, LinearKind.W3, at.a3, at.ffnStride, false, Res.G_A3);
            int ffnRows = core.ffnRowBlocks().size() * 16;
            int ffnStart = core.ffnRowBlocks().start() * 16;
            if (ffnRows > 0) {
                misc(Misc.builder().op(MiscOp.SILU).rows(rows).n(ffnRows).a(at.a1).aStride(at.ffnStride).b(at.a3)
                        .bStride(at.ffnStride).dst(at.h + ffnStart / 4).dStride(at.hStride), r(Res.G_A1, Res.G_A3),
                        r(Res.G_H));
            }
        } else {
            // fc1 + bias, relu in the output stage, straight into H at the core's global rows
            linear(l, LinearKind.W1, at.h, at.hStride, true, Res.G_H);
        }
        sys();
        quant(m.config().hiddenDim(), at.h + mine.start() * at.hStride, at.hStride, Res.G_H);
        linear(l, LinearKind.W2, at.ys, at.ysStride, true);
        sys();
        residual();
        postNorm(2 * l + 1);
    }

    /** A block's input: pre-norm, the norm of X then its quantization; post-norm (OPT), X itself quantized. */
    private void preNorm(int index) {
        if (m.config().normBefore()) {
            norm(index);
        } else {
            quant(m.config().dim(), at.x, at.xStride, Res.G_X);
        }
    }

    /** Post-norm (OPT's do_layer_norm_before = false): X = LayerNorm(X) in place after the block's residual add. */
    private void postNorm(int index) {
        if (m.config().normBefore()) {
            return;
        }
        loadNorm(index);
        if (!mine.isEmpty()) {
            misc(Misc.builder().op(MiscOp.LAYERNORM).rows(mine.size()).n(m.config().dim()).a(at.x)
                    .aStride(at.xStride).b(at.normW).bStride(0).c(at.normB).dst(at.x).dStride(at.xStride)
                    .imm(m.config().normEps()), r(Res.G_X, Res.G_NORMW), r(Res.G_X));
        }
    }

    /** X += YS for this core's rows (YS is in the shared window at the global row). */
    private void residual() {
        if (mine.isEmpty()) {
            return;
        }
        misc(Misc.builder().op(MiscOp.ADD).rows(mine.size()).n(m.config().dim()).a(at.x).aStride(at.xStride)
                .b(at.ys + mine.start() * at.ysStride).bStride(at.ysStride).dst(at.x).dStride(at.xStride),
                r(Res.G_X, Res.G_YS), r(Res.G_X));
    }

    /**
     * The INT8 row quantization of this core's rows of an {@code n}-wide linear input at {@code a} (resource
     * {@code res}) into ACT and its scales; with the split, then the exchange that gives every core all rows.
     */
    private void quant(int n, int a, int aStride, int res) {
        if (!mine.isEmpty()) {
            int stride = actStride(n);
            misc(Misc.builder().op(MiscOp.QUANT).rows(mine.size()).n(n).a(a).aStride(aStride)
                    .dst(at.act + mine.start() * stride).dStride(stride).sdst(at.actScale + mine.start()), r(res),
                    r(Res.A_ACT, Res.S_ACT));
        }
        if (split) {
            exchange(CompressedLinear.ceil16(n));
        }
    }

    /**
     * ACT lines between the rows of an {@code n}-wide input: with the split the rows are packed at their own width,
     * so the exchange moves no padding; otherwise the launch's one stride for every input.
     */
    private int actStride(int n) {
        return split ? CompressedLinear.ceil16(n) / 16 : at.actStride;
    }

    /**
     * The exchange of a split launch: this core stores its rows of ACT ({@code width} bytes each) and their FP32 scales
     * to its scratch regions, a barrier, then every core loads each core's rows back to their place in ACT and SCALE.
     * The next exchange's stores come after at least one more barrier, which every core passes only after its loads
     * completed, so one scratch per core suffices.
     */
    private void exchange(int width) {
        int stride = width / 16;
        if (!mine.isEmpty()) {
            Region xa = mem.region(MemoryPlan.XCHG_ACT, core.core());
            Region xs = mem.region(MemoryPlan.XCHG_SCALE, core.core());
            checkScratch(xa, (long) mine.size() * width);
            add(St.builder().src(Buffer.A).buf(at.act + mine.start() * stride).mem(Mem.HBM).channel(xa.channel())
                    .addr(xa.address()).len(mine.size() * width), Queue.ST, r(Res.A_ACT), r(Res.H_XCHG));
            add(St.builder().src(Buffer.SCALE).buf(at.actScale + mine.start()).mem(Mem.HBM).channel(xs.channel())
                    .addr(xs.address()).len(4 * mine.size()), Queue.ST, r(Res.S_ACT), r(Res.H_XCHG));
        }
        sys();
        for (int c = 0; c < hw.cores(); c++) {
            Range theirs = Range.split(rows, hw.cores(), c);
            if (theirs.isEmpty()) {
                continue;
            }
            Region xa = mem.region(MemoryPlan.XCHG_ACT, c);
            Region xs = mem.region(MemoryPlan.XCHG_SCALE, c);
            add(Ld.builder().target(Buffer.A).buf(at.act + theirs.start() * stride).mem(Mem.HBM).channel(xa.channel())
                    .addr(xa.address()).len(theirs.size() * width), Queue.LD, r(Res.H_XCHG), r(Res.A_ACT));
            add(Ld.builder().target(Buffer.SCALE).buf(at.actScale + theirs.start()).mem(Mem.HBM)
                    .channel(xs.channel()).addr(xs.address()).len(4 * theirs.size()), Queue.LD, r(Res.H_XCHG),
                    r(Res.S_ACT));
        }
    }

    private void checkScratch(Region xa, long bytes) {
        if (bytes > xa.bytes()) {
            throw new IllegalArgumentException("a prefill launch of " + rows + " rows exchanges " + bytes
                    + " bytes per core, beyond the " + xa.bytes() + "-byte scratch planned for the compiled chunk");
        }
    }

    /**
     * The norm of X with norm row {@code index} (RMSNorm; LayerNorm with the bias row of the same index), then the
     * INT8 row quantization shared by the next linears.
     */
    private void norm(int index) {
        loadNorm(index);
        if (!mine.isEmpty()) {
            Misc.Builder b = Misc.builder().rows(mine.size()).n(m.config().dim()).a(at.x).aStride(at.xStride)
                    .b(at.normW).bStride(0).dst(at.xn).dStride(at.xStride).imm(m.config().normEps());
            b = m.normBias() ? b.op(MiscOp.LAYERNORM).c(at.normB) : b.op(MiscOp.RMSNORM);
            misc(b, r(Res.G_X, Res.G_NORMW), r(Res.G_XN));
        }
        quant(m.config().dim(), at.xn, at.xStride, Res.G_XN);
    }

    /** Norm row {@code index} into NORMW (and its bias row into NORMB, LayerNorm models). */
    private void loadNorm(int index) {
        Region norms = mem.region("norms", core.core());
        int dim16 = CompressedLinear.ceil16(m.config().dim());
        add(Ld.builder().target(Buffer.GLOBAL).buf(at.normW).mem(Mem.HBM).channel(norms.channel())
                .addr(norms.address() + 4L * index * dim16).len(4 * m.config().dim()), Queue.LD, Res.NONE,
                r(Res.G_NORMW));
        if (m.normBias()) {
            long biasRow = 2L * m.layerCount() + 1 + index;
            add(Ld.builder().target(Buffer.GLOBAL).buf(at.normB).mem(Mem.HBM).channel(norms.channel())
                    .addr(norms.address() + 4L * biasRow * dim16).len(4 * m.config().dim()), Queue.LD, Res.NONE,
                    r(Res.G_NORMW));
        }
    }

    private boolean rope() {
        return m.config().positions() == io.flightllm.model.ModelConfig.PositionKind.ROPE;
    }

    private boolean swiglu() {
        return m.config().mlp() == io.flightllm.model.ModelConfig.MlpKind.SWIGLU;
    }

    /** Quantizes KV head {@code h} (local j) of the rows with FP16 scales and stores it at positions pos.. */
    private void storeKv(int l, int h, int j, int src, boolean key) {
        int hsp = m.paddedHeadSize();
        int aRes = (key ? Res.A_KQ : Res.A_VQ) + j;
        int sRes = (key ? Res.S_KQ : Res.S_VQ) + j;
        int aq = key ? at.kq : at.vq;
        int sq = key ? at.kScale : at.vScale;
        misc(Misc.builder().op(MiscOp.QUANT).rows(rows).n(hsp).a(src + j * hsp / 4).aStride(at.kvStride)
                .dst(aq + j * rows * hsp / 16).dStride(hsp / 16).sdst(sq + j * rows).fp16(true),
                r(key ? Res.G_K : Res.G_V), r(aRes, sRes));
        // every position this program stores lies in one sub-tile (buckets never straddle one), hence one channel
        KvStripes kv = mem.kv();
        int sub = (ctx - 1) / kv.subTile();
        Region reg = mem.region((key ? "kv.k." : "kv.v.") + h + "." + kv.part(sub), core.core());
        Region sc = mem.region((key ? "kv.ks." : "kv.vs.") + h, core.core());
        int cache = Res.kv(l, h, m.config().nKvHeads());
        add(St.builder().src(Buffer.A).buf(aq + j * rows * hsp / 16).mem(Mem.HBM).channel(reg.channel())
                .addr(reg.address() + kv.storeOffset(l, sub)).param(Param.POS).pstride(hsp).n(rows).len(hsp)
                .stride(hsp), Queue.ST, r(aRes), r(cache));
        add(St.builder().src(Buffer.SCALE).buf(sq + j * rows).mem(Mem.HBM).channel(sc.channel()).fp16(true)
                .addr(sc.address() + 2L * l * kvPositions).param(Param.POS).pstride(2).n(rows).len(2).stride(2),
                Queue.ST, r(sRes), r(cache));
    }

    /** Scores, softmax, V-scale fold, quantization and P.V of local query head i. */
    private void attendHead(int l, int i) {
        int hsp = m.paddedHeadSize();
        int qHead = core.qHeads().start() + i;
        int kvHead = qHead / m.config().kvMul();
        int cache = Res.kv(l, kvHead, m.config().nKvHeads());
        Region ksr = mem.region("kv.ks." + kvHead, core.core());
        Region vsr = mem.region("kv.vs." + kvHead, core.core());
        slot = 0;
        for (int t0 = 0; t0 < ctx; t0 += at.kvTileRows) {
            int n = Math.min(at.kvTileRows, ctx - t0);
            int s = nextSlot();
            loadKvTile(l, kvHead, true, t0, n, s, cache);
            add(Ld.builder().target(Buffer.SCALE).buf(at.wScale[s % 2]).mem(Mem.HBM).channel(ksr.channel()).fp16(true)
                    .addr(ksr.address() + 2L * ((long) l * kvPositions + t0)).len(2 * n), Queue.LD, r(cache),
                    r(Res.W0 + s % 2));
            matrix(hsp / 16, 0, n, at.qq + i * hsp / 16, at.qStride * 4 / 16, at.bSlot[s], BLayout.ROW,
                    at.s + t0 / 4, at.sStride, true, true, true, at.wScale[s % 2], 1, 0, at.qScale + i,
                    core.qHeads().size(), null, r(Res.A_QQ, Res.S_QQ, Res.B0 + s, Res.W0 + s % 2), r(Res.G_S));
        }
        float inv = 1.0f / (float) Math.sqrt((float) m.config().headSize());
        misc(Misc.builder().op(MiscOp.SCALE).rows(rows).n(ctx).a(at.s).aStride(at.sStride).dst(at.s)
                .dStride(at.sStride).imm(inv), r(Res.G_S), r(Res.G_S));
        misc(softmaxMask(Misc.builder().op(MiscOp.SOFTMAX).rows(rows).n(ctx).a(at.s).aStride(at.sStride).dst(at.s)
                .dStride(at.sStride)), r(Res.G_S), r(Res.G_S));
        add(Ld.builder().target(Buffer.GLOBAL).buf(at.vs).mem(Mem.HBM).channel(vsr.channel()).fp16(true)
                .addr(vsr.address() + 2L * l * kvPositions).len(2 * ctx), Queue.LD, r(cache), r(Res.G_VS));
        misc(Misc.builder().op(MiscOp.MUL).rows(rows).n(ctx).a(at.s).aStride(at.sStride).b(at.vs).bStride(0)
                .dst(at.s).dStride(at.sStride), r(Res.G_S, Res.G_VS), r(Res.G_S));
        misc(Misc.builder().op(MiscOp.QUANT).rows(rows).n(ctx).a(at.s).aStride(at.sStride).dst(at.pq)
                .dStride(at.pqStride).sdst(at.pScale), r(Res.G_S), r(Res.A_PQ, Res.S_PQ));
        int tiles = (ctx + at.kvTileRows - 1) / at.kvTileRows;
        for (int tile = 0; tile < tiles; tile++) {
            int t0 = tile * at.kvTileRows;
            int n = Math.min(at.kvTileRows, ctx - t0);
            int s = nextSlot();
            loadKvTile(l, kvHead, false, t0, n, s, cache);
            matrix(n / 16, t0 / 16, hsp, at.pq + t0 / 16, at.pqStride, at.bSlot[s], BLayout.COL,
                    at.att + qHead * hsp / 4, at.attStride, tile == 0, tile == tiles - 1, false, 0, 0, 0,
                    at.pScale, 1, null, r(Res.A_PQ, Res.S_PQ, Res.B0 + s), r(resAtt, Res.G_PSUM));
        }
    }

    /**
     * Decode masks padded keys (ctx_len); prefill is causal, and block-sparse where the model has an attention mask
     * (prompt rows only: the twins' rule, docs/numerics.md).
     */
    private Misc.Builder softmaxMask(Misc.Builder b) {
        if (!prefill) {
            return b.mask(MaskMode.CTX);
        }
        var am = m.attentionMask();
        return am == null ? b.mask(MaskMode.CAUSAL)
                : b.mask(MaskMode.BLOCK).maskGeometry(am.blockSize(), am.sinkBlocks(), am.localBlocks());
    }

    /** Positions [t0, t0 + n) of K (or V) into B slot s: one LD per sub-tile, each from its part's channel. */
    private void loadKvTile(int l, int kvHead, boolean key, int t0, int n, int s, int cache) {
        KvStripes kv = mem.kv();
        int hsp = m.paddedHeadSize();
        for (int sub = t0 / kv.subTile(); sub <= (t0 + n - 1) / kv.subTile(); sub++) {
            int r0 = Math.max(t0, sub * kv.subTile());
            int r1 = Math.min(t0 + n, (sub + 1) * kv.subTile());
            Region reg = mem.region((key ? "kv.k." : "kv.v.") + kvHead + "." + kv.part(sub), core.core());
            add(Ld.builder().target(Buffer.B).buf(at.bSlot[s] + (r0 - t0) * hsp / 16).mem(Mem.HBM)
                    .channel(reg.channel()).addr(reg.address() + kv.offset(l, r0)).len((r1 - r0) * hsp), Queue.LD,
                    r(cache), r(Res.B0 + s));
        }
    }

    /**
     * A linear layer over this core's rows: per row tile, per K tile (ascending), load values, indices, densities and
     * the weight scales, then one MM/MV that carries the 16 partial sums to the next. The scales of a whole row tile
     * are loaded once when they fit a scale slot, else per K tile (the groups the tile touches). Results land at
     * {@code dst} (shared outputs at their global row, private ones at the core's local row).
     */
    private void linear(int l, LinearKind kind, int dst, int dstStride, boolean sharedDst) {
        int dstRes = switch (kind) {
            case Q -> Res.G_Q;
            case K -> Res.G_K;
            case V -> Res.G_V;
            case O, W2 -> Res.G_YS;
            default -> throw new IllegalArgumentException(kind + " names its destination resource");
        };
        linear(l, kind, dst, dstStride, sharedDst, dstRes);
    }

    private void linear(int l, LinearKind kind, int dst, int dstStride, boolean sharedDst, int dstRes) {
        if (replay(l, kind.ordinal())) {
            return;
        }
        recording = new LinearCache.Recorder();
        slot = 0;
        scaleSlot = 0;
        biasSlot = 0;
        emitLinear(l, kind, dst, dstStride, sharedDst, dstRes);
        cache.put(l, kind.ordinal(), recording.block());
        recording = null;
    }

    private boolean replay(int l, int kind) {
        LinearCache.Block b = cache.get(l, kind);
        if (b == null) {
            return false;
        }
        for (int i = 0; i < b.queues().length; i++) {
            out.add(b.words().get(i), b.queues()[i], b.reads().get(i), b.writes().get(i), b.densities().get(i));
        }
        return true;
    }

    private void emitLinear(int l, LinearKind kind, int dst, int dstStride, boolean sharedDst, int dstRes) {
        LinearShape s = m.linear(l, kind);
        List<RowTile> tiles = weights.rowTiles(l, kind, core.core());
        if (tiles.isEmpty()) {
            return;
        }
        int firstRow = tiles.get(0).rowBlock0() * 16;
        // OPT's fc1: relu after the bias, in the output stage of the last K tile
        boolean relu = kind == LinearKind.W1 && m.config().mlp() == io.flightllm.model.ModelConfig.MlpKind.RELU;
        for (RowTile rt : tiles) {
            int outRow = rt.rowBlock0() * 16 - (sharedDst ? 0 : firstRow);
            rowTile(s, rt, dst + outRow / 4, dstStride, dstRes, relu);
        }
    }

    /**
     * One row tile of a linear: its K tiles in ascending order into one output slice; with a bias, the tile's FP32
     * biases are loaded into a BIAS slot first and the last K tile adds them (then relu, when asked).
     */
    private void rowTile(LinearShape s, RowTile rt, int outAddr, int outStride, int outRes, boolean relu) {
        boolean wholeRowScales = (long) rt.rows() * s.groups() <= at.wScaleEntries;
        int sc = -1;
        int nk = rt.kTiles().size();
        int bias = -1;
        if (rt.hasBias()) {
            bias = biasSlot;
            biasSlot ^= 1;
            add(Ld.builder().target(Buffer.BIAS).buf(at.bias[bias]).mem(Mem.HBM).channel(rt.channel())
                    .addr(rt.biasAddress()).len(4 * rt.rows()), Queue.LD, Res.NONE, r(Res.BI0 + bias));
        }
        for (int j = 0; j < nk; j++) {
            WeightTile wt = rt.kTiles().get(j);
            int sl = nextSlot();
            loadWeightTile(s, wt, sl);
            int g0 = s.groups() == 1 ? 0 : wt.colBlock0() * 16 / s.groupSize();
            int g1 = s.groups() == 1 ? 0 : ((wt.colBlock0() + wt.colBlocks()) * 16 - 1) / s.groupSize();
            int wscale;
            int wstride;
            if (wholeRowScales) {
                if (j == 0) {
                    sc = nextScaleSlot();
                    loadScales(s, rt, 0, s.groups(), sc);
                }
                wscale = at.wScale[sc] + g0;
                wstride = s.groups();
            } else {
                sc = nextScaleSlot();
                loadScales(s, rt, g0, g1 - g0 + 1, sc);
                wscale = at.wScale[sc];
                wstride = g1 - g0 + 1;
            }
            boolean last = j == nk - 1;
            int[] reads = bias >= 0 && last
                    ? r(Res.A_ACT, Res.S_ACT, Res.B0 + sl, Res.W0 + sc, Res.M0 + sl, Res.F0 + sl, Res.BI0 + bias)
                    : r(Res.A_ACT, Res.S_ACT, Res.B0 + sl, Res.W0 + sc, Res.M0 + sl, Res.F0 + sl);
            matrix(wt.colBlocks(), wt.colBlock0(), rt.rows(), at.act + wt.colBlock0(), actStride(s.paddedCols()),
                    at.bSlot[sl],
                    BLayout.ROW, outAddr, outStride, j == 0, last, true, wscale, wstride,
                    s.groups() == 1 ? 0 : s.groupSize() / 16, at.actScale, 1, wt, reads,
                    r(outRes, Res.G_PSUM), wt.sparse() ? tileDensities(s, wt) : null,
                    new Stage(last && bias >= 0 ? at.bias[bias] : -1, last && relu));
        }
    }

    /** The scales of groups [g0, g0 + count) of every row of the row tile, one LD per scale part. */
    private void loadScales(LinearShape s, RowTile rt, int g0, int count, int sc) {
        for (RowTile.ScalePart part : rt.scaleParts()) {
            int partRows = part.rowBlocks() * 16;
            int row0 = (part.rowBlock0() - rt.rowBlock0()) * 16;
            Ld.Builder b = Ld.builder().target(Buffer.SCALE).buf(at.wScale[sc] + row0 * count).mem(Mem.HBM)
                    .channel(part.channel()).addr(part.address() + 2L * g0).fp16(true);
            if (count == s.groups()) {
                b.len(2 * count * partRows); // whole rows are contiguous in HBM
            } else {
                b.len(2 * count).n0(partRows).s0(2L * s.groups());
            }
            add(b, Queue.LD, Res.NONE, r(Res.W0 + sc));
        }
    }

    /** One LD per stripe for the values (and the positions), back to back in the slot; one for the densities. */
    private void loadWeightTile(LinearShape s, WeightTile wt, int sl) {
        long bLine = at.bSlot[sl];
        for (WeightTile.Stripe st : wt.stripes()) {
            add(Ld.builder().target(Buffer.B).buf((int) bLine).mem(Mem.HBM).channel(st.channel())
                    .addr(st.valuesAddress()).len((int) st.valueBytes(s.bits())).wbits(s.bits()), Queue.LD, Res.NONE,
                    r(Res.B0 + sl));
            bLine += st.keptValues() / 16;
        }
        if (wt.sparse()) {
            long mLine = at.meta[sl];
            for (WeightTile.Stripe st : wt.stripes()) {
                if (st.positions() > 0) {
                    add(Ld.builder().target(Buffer.META).buf((int) mLine).mem(Mem.HBM).channel(st.channel())
                            .addr(st.positionsAddress()).len((int) st.indexBytes(wt.indexEncoding())), Queue.LD,
                            Res.NONE,
                            r(Res.M0 + sl));
                    mLine += st.indexBytes(wt.indexEncoding()) / 16;
                }
            }
            add(Ld.builder().target(Buffer.FSB).buf(at.fsb[sl]).mem(Mem.HBM).channel(wt.channel())
                    .addr(wt.densitiesAddress()).len((int) wt.densityBytes()), Queue.LD, Res.NONE, r(Res.F0 + sl));
        }
    }

    /** The N of each block of a weight tile, [rowBlocks][colBlocks] row-major (for the timing model). */
    private static byte[] tileDensities(LinearShape s, WeightTile wt) {
        byte[] out = new byte[wt.rowBlocks() * wt.colBlocks()];
        for (int r = 0; r < wt.rowBlocks(); r++) {
            System.arraycopy(s.blockN(), (wt.rowBlock0() + r) * s.colBlocks() + wt.colBlock0(), out,
                    r * wt.colBlocks(), wt.colBlocks());
        }
        return out;
    }

    /** One MM (prefill) or MV (decode) tile without a weight tile's densities. */
    private void matrix(int k, int k0, int nRows, int a, int aStride, int b, BLayout layout, int outAddr,
                        int outStride, boolean first, boolean last, boolean ws, int wscale, int wstride, int group,
                        int ascale, int astride, WeightTile wt, int[] reads, int[] writes) {
        matrix(k, k0, nRows, a, aStride, b, layout, outAddr, outStride, first, last, ws, wscale, wstride, group, ascale,
                astride, wt, reads, writes, null, Stage.PLAIN);
    }

    /** The output stage's extras of a last tile: the BIAS address (lines) of row 0's bias or -1, and relu. */
    private record Stage(int biasAddr, boolean relu) {
        static final Stage PLAIN = new Stage(-1, false);
    }

    /** One MM (prefill) or MV (decode) tile; {@code density} goes with it to {@link StreamBuilder}. */
    private void matrix(int k, int k0, int nRows, int a, int aStride, int b, BLayout layout, int outAddr,
                        int outStride, boolean first, boolean last, boolean ws, int wscale, int wstride, int group,
                        int ascale, int astride, WeightTile wt, int[] reads, int[] writes, byte[] density,
                        Stage stage) {
        boolean bias = stage.biasAddr() >= 0;
        boolean sparse = wt != null && wt.sparse();
        if (!last) { // only the last K tile writes results (canonical encoding)
            outAddr = 0;
            outStride = 0;
        }
        if (prefill) {
            Mm.Builder b2 = Mm.builder().m(rows).k(k).k0(k0).rows(nRows).a(a).aStride(aStride).b(b).bLayout(layout)
                    .out(outAddr).outStride(outStride).first(first).last(last).psum(first && last ? 0 : at.psum).ws(ws)
                    .wscale(wscale)
                    .wstride(wstride).group(group).ascale(ascale).astride(astride).bias(bias)
                    .biasAddr(bias ? stage.biasAddr() : 0).relu(stage.relu());
            if (sparse) {
                b2.sparse(true).idxEnc(wt.indexEncoding()).bLines((int) ((wt.keptValues() + 15) / 16))
                        .idx(at.meta[slot(b)]).idxLines((int) ((wt.positionBytes() + 15) / 16)).fsb(at.fsb[slot(b)]);
            }
            add(b2, Queue.MM, reads, writes, density);
        } else {
            Mv.Builder b2 = Mv.builder().k(k).k0(k0).rows(nRows).a(a).b(b).bLayout(layout).out(outAddr).first(first)
                    .last(last).psum(first && last ? 0 : at.psum).ws(ws).wscale(wscale).wstride(wstride).group(group)
                    .ascale(ascale).bias(bias).biasAddr(bias ? stage.biasAddr() : 0).relu(stage.relu());
            if (sparse) {
                b2.sparse(true).idxEnc(wt.indexEncoding()).bLines((int) ((wt.keptValues() + 15) / 16))
                        .idx(at.meta[slot(b)]).idxLines((int) ((wt.positionBytes() + 15) / 16)).fsb(at.fsb[slot(b)]);
            }
            add(b2, Queue.MV, reads, writes, density);
        }
    }

    private int slot(int bAddr) {
        for (int s = 0; s < at.bSlot.length; s++) {
            if (at.bSlot[s] == bAddr) {
                return s;
            }
        }
        throw new IllegalStateException("B address " + bAddr + " is no slot");
    }

    private void classifier() {
        List<RowTile> tiles = weights.rowTiles(-1, LinearKind.CLASSIFIER, core.core());
        Region logits = mem.region("logits", -1);
        int vocab = m.config().vocabSize();
        logSlot = 0;
        for (int i = 0; i < tiles.size(); i++) {
            RowTile rt = tiles.get(i);
            int ls = logSlot;
            logSlot ^= 1;
            int tileRows = rt.rows();
            // each row tile is cached on its own (key -2 - i): the logits stores after it depend on the row count
            if (!replay(-2 - i, LinearKind.CLASSIFIER.ordinal())) {
                recording = new LinearCache.Recorder();
                slot = 0;
                scaleSlot = 0;
                biasSlot = 0;
                rowTile(m.classifier(), rt, at.log[ls], tileRows / 4, Res.G_LOG0 + ls, false);
                cache.put(-2 - i, LinearKind.CLASSIFIER.ordinal(), recording.block());
                recording = null;
            }
            int r0 = rt.rowBlock0() * 16;
            int real = Math.min(tileRows, vocab - r0);
            if (real == tileRows) {
                add(St.builder().src(Buffer.GLOBAL).buf(at.log[ls]).mem(Mem.HBM).channel(logits.channel())
                        .addr(logits.address() + 4L * r0).n(rows).len(4 * real).stride(4L * vocab), Queue.ST,
                        r(Res.G_LOG0 + ls), r(Res.H_LOGITS));
            } else if (real > 0) {
                for (int row = 0; row < rows; row++) { // a partial last tile: one row at a time
                    add(St.builder().src(Buffer.GLOBAL).buf(at.log[ls] + row * tileRows / 4).mem(Mem.HBM)
                            .channel(logits.channel()).addr(logits.address() + 4L * ((long) row * vocab + r0))
                            .len(4 * real), Queue.ST, r(Res.G_LOG0 + ls), r(Res.H_LOGITS));
                }
            }
        }
    }

    private void sys() {
        int i = add(Sys.builder().op(SysOp.BARRIER), Queue.SYS, Res.SHARED, Res.SHARED);
        out.dependOnAll(i);
    }

    private int nextScaleSlot() {
        int s = scaleSlot;
        scaleSlot ^= 1;
        return s;
    }

    private int nextSlot() {
        int s = slot;
        slot = (slot + 1) % tiling.slots();
        return s;
    }

    private void misc(Misc.Builder b, int[] reads, int[] writes) {
        add(b, Queue.MISC, reads, writes);
    }

    private int add(InstructionBuilder<?, ?> b, Queue q, int[] reads, int[] writes) {
        return add(b, q, reads, writes, null);
    }

    private int add(InstructionBuilder<?, ?> b, Queue q, int[] reads, int[] writes, byte[] density) {
        int[] words = Isa.encode(b.build());
        if (recording != null) {
            recording.add(words, q.ordinal(), reads, writes, density);
        }
        return out.add(words, q.ordinal(), reads, writes, density);
    }

    /** The on-chip addresses of one launch (lines for A/B/GLOBAL/META/FSB, entries for SCALE). */
    static final class Layout {
        final int x;
        final int xStride;
        final int xn;
        final int normW;
        /** The LayerNorm bias row (LayerNorm models; else 0 lines at NORMW's end). */
        final int normB;
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
        final int[] bSlot;
        final int[] meta;
        final int[] fsb;
        final int[] wScale = new int[2];
        /** The two BIAS slots of a row tile's FP32 biases. */
        final int[] bias = new int[2];
        final int actScale;
        final int qScale;
        final int kScale;
        final int vScale;
        final int pScale;
        final int kvTileRows;
        final long wScaleEntries;

        /**
         * {@code strict}: fail when a buffer overflows; off only to count the baseline's instructions. {@code split}:
         * a prefill launch with the row split, whose X and XN hold the core's own rows only and whose ATT and H share
         * one area (ATT is dead after its quantization, H is written after two more barriers, and H is dead after its
         * quantization, the next ATT written after two more: no core can touch one while another uses the other).
         */
        Layout(ModelShape m, HardwareConfig hw, CorePlan core, Tiling t, int rows, int ctx, boolean strict,
               boolean split) {
            int hsp = m.paddedHeadSize();
            int dim16 = CompressedLinear.ceil16(m.config().dim());
            int hidden16 = CompressedLinear.ceil16(m.config().hiddenDim());
            int qRows = m.config().nHeads() * hsp;
            int qh = core.qHeads().size();
            int kvh = core.kvHeads().size();
            int ffn = core.ffnRowBlocks().size() * 16;
            int ctx16 = CompressedLinear.ceil16(ctx);
            OnChip shared = OnChip.globalShared(hw).strict(strict);
            attStride = qRows / 4;
            hStride = hidden16 / 4;
            if (split) {
                att = shared.alloc("ATT|H", (long) rows * Math.max(attStride, hStride));
                h = att;
            } else {
                att = shared.alloc("ATT", (long) rows * attStride);
                h = shared.alloc("H", (long) rows * hStride);
            }
            int ysRows = Math.max(dim16, 16);
            ys = shared.alloc("YS", (long) rows * ysRows / 4);
            ysStride = ysRows / 4;
            OnChip g = OnChip.globalPrivate(hw).strict(strict);
            xStride = dim16 / 4;
            int xRows = split ? ownRows(hw, core, rows).size() : rows;
            x = g.alloc("X", (long) xRows * xStride);
            xn = g.alloc("XN", (long) xRows * xStride);
            normW = g.alloc("NORMW", xStride);
            normB = g.alloc("NORMB", m.normBias() ? xStride : 0);
            qStride = qh * hsp / 4;
            q = g.alloc("Q", (long) rows * qStride);
            kvStride = kvh * hsp / 4;
            k = g.alloc("K", (long) rows * kvStride);
            v = g.alloc("V", (long) rows * kvStride);
            boolean rope = m.config().positions() == io.flightllm.model.ModelConfig.PositionKind.ROPE;
            this.rope = g.alloc("ROPE", rope ? (long) rows * hsp / 4 : 0);
            ffnStride = ffn / 4;
            // OPT's fc1 writes H directly: no A1/A3
            boolean swiglu = m.config().mlp() == io.flightllm.model.ModelConfig.MlpKind.SWIGLU;
            a1 = g.alloc("A1", swiglu ? (long) rows * ffnStride : 0);
            a3 = g.alloc("A3", swiglu ? (long) rows * ffnStride : 0);
            psum = g.alloc("PSUM", (long) io.flightllm.arch.isa.Isa.PSUM_LINES * rows * Math.max(t.rows(), hsp));
            log[0] = g.alloc("LOG0", (long) rows * t.rows() / 4);
            log[1] = g.alloc("LOG1", (long) rows * t.rows() / 4);
            // context-dependent areas last, so every other address is the same in every length bucket
            sStride = ctx16 / 4;
            s = g.alloc("S", kvh == 0 ? 0 : (long) rows * sStride);
            vs = g.alloc("VS", kvh == 0 ? 0 : ctx16 / 4);
            OnChip a = OnChip.of(Buffer.A, hw).strict(strict);
            actStride = Math.max(Math.max(dim16, qRows), hidden16) / 16;
            act = a.alloc("ACT", (long) rows * actStride);
            qq = a.alloc("QQ", (long) rows * qh * hsp / 16);
            kq = a.alloc("KQ", (long) kvh * rows * hsp / 16);
            vq = a.alloc("VQ", (long) kvh * rows * hsp / 16);
            pqStride = ctx16 / 16;
            pq = a.alloc("PQ", kvh == 0 ? 0 : (long) rows * pqStride);
            OnChip b = OnChip.of(Buffer.B, hw).strict(strict);
            long slotLines = (long) t.rows() * t.cols() / 16;
            OnChip meta2 = OnChip.of(Buffer.META, hw).strict(strict);
            long metaLines = ((long) t.rows() * t.cols() / 4 + 15) / 16;
            OnChip fsb2 = OnChip.of(Buffer.FSB, hw).strict(strict);
            long fsbLines = ((long) t.rowBlocks() * t.colBlocks() + 15) / 16;
            bSlot = new int[t.slots()];
            meta = new int[t.slots()];
            fsb = new int[t.slots()];
            for (int s = 0; s < t.slots(); s++) {
                bSlot[s] = b.alloc("B" + s, slotLines);
                meta[s] = meta2.alloc("META" + s, metaLines);
                fsb[s] = fsb2.alloc("FSB" + s, fsbLines);
            }
            kvTileRows = kvTileRows(t, hsp);
            OnChip sc = OnChip.of(Buffer.SCALE, hw).strict(strict);
            int groupsPerTile = t.cols() / 16 + 1;
            long small = (long) rows * (1 + qh + 2L * kvh) + rows;
            long free = hw.buffers().scaleBytes() / Buffer.SCALE.unitBytes() - small;
            // each slot holds at least one K tile's groups or one K tile of key scales; more when it fits
            wScaleEntries = Math.max(Math.max((long) t.rows() * groupsPerTile, kvTileRows), free / 2);
            wScale[0] = sc.alloc("WSCALE0", wScaleEntries);
            wScale[1] = sc.alloc("WSCALE1", wScaleEntries);
            actScale = sc.alloc("ACTSCALE", rows);
            qScale = sc.alloc("QSCALE", (long) rows * qh);
            kScale = sc.alloc("KSCALE", (long) rows * kvh);
            vScale = sc.alloc("VSCALE", (long) rows * kvh);
            pScale = sc.alloc("PSCALE", rows);
            OnChip bi = OnChip.of(Buffer.BIAS, hw).strict(strict);
            boolean biases = m.linears().stream().anyMatch(LinearShape::bias);
            long biasLines = biases ? (long) t.rows() * 4 / Buffer.BIAS.unitBytes() : 0;
            bias[0] = bi.alloc("BIAS0", biasLines);
            bias[1] = bi.alloc("BIAS1", biasLines);
        }
    }
}
