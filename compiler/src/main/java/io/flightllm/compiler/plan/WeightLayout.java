package io.flightllm.compiler.plan;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.numerics.Sparsity;
import io.flightllm.compiler.shape.LinearShape;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.LinearKind;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every weight tile lives in HBM. Each core's tiles go to that core's own channels only (so weight loads run at
 * the own-channel efficiency), rotating over them tile by tile so consecutive loads hit different channels.
 */
public final class WeightLayout {
    private final Map<String, List<RowTile>> byLinearAndCore = new HashMap<>();
    private final int cores;

    private WeightLayout(int cores) {
        this.cores = cores;
    }

    public static WeightLayout plan(ModelShape m, HardwareConfig hw, List<CorePlan> plans, Tiling t,
                                    ChannelAllocator alloc) {
        WeightLayout out = new WeightLayout(hw.cores());
        int[] rotation = new int[hw.cores()];
        for (int l = 0; l < m.layerCount(); l++) {
            for (LinearKind k : LinearKind.LAYER_KINDS) {
                out.place(m.linear(l, k), l, hw, plans, t, alloc, rotation, m.paddedHeadSize());
            }
        }
        out.place(m.classifier(), -1, hw, plans, t, alloc, rotation, m.paddedHeadSize());
        return out;
    }

    private void place(LinearShape s, int layer, HardwareConfig hw, List<CorePlan> plans, Tiling t,
                       ChannelAllocator alloc, int[] rotation, int phs) {
        for (CorePlan p : plans) {
            int c = p.core();
            int[] channels = hw.channelsOf(c);
            Range rbs = p.rowBlocks(s.kind(), phs);
            List<RowTile> rowTiles = new ArrayList<>();
            for (int rb = rbs.start(); rb < rbs.end(); rb += t.rowBlocks()) {
                int nrb = Math.min(t.rowBlocks(), rbs.end() - rb);
                List<WeightTile> kTiles = new ArrayList<>();
                int firstChannel = channels[rotation[c] % channels.length];
                for (int cb = 0; cb < s.colBlocks(); cb += t.colBlocks()) {
                    int ncb = Math.min(t.colBlocks(), s.colBlocks() - cb);
                    int ch = channels[rotation[c]++ % channels.length];
                    long kept = 0;
                    long pos = 0;
                    long segments = 0;
                    for (int r = rb; r < rb + nrb; r++) {
                        for (int b = cb; b < cb + ncb; b++) {
                            int n = s.density(r, b);
                            kept += (long) Sparsity.BLOCK * n;
                            pos += n < Sparsity.BLOCK ? (long) Sparsity.BLOCK * n : 0;
                            segments += n > 0 && n < Sparsity.BLOCK ? Sparsity.BLOCK : 0;
                        }
                    }
                    String what = s.name() + " tile rows " + rb * 16 + ".. cols " + cb * 16 + "..";
                    long va = alloc.allocate(ch, (kept * s.bits() + 7) / 8, what + " values");
                    boolean masks = s.indexEncoding() == io.flightllm.arch.numerics.IndexEncoding.MASK16;
                    long indexBytes = masks ? 2 * segments : pos / 2;
                    long pa = pos == 0 ? -1 : alloc.allocate(ch, indexBytes, what + " indices");
                    long da = alloc.allocate(ch, (long) nrb * ncb, what + " densities");
                    kTiles.add(new WeightTile(layer, s.kind(), c, rb, nrb, cb, ncb, s.bits(), kept, pos, segments,
                            s.indexEncoding(), ch, va, pa, da));
                }
                String what = s.name() + " rows " + rb * 16 + "..";
                long sa = alloc.allocate(firstChannel, 2L * nrb * 16 * s.groups(), what + " scales");
                long ba = s.bias() ? alloc.allocate(firstChannel, 4L * nrb * 16, what + " bias") : -1;
                rowTiles.add(new RowTile(layer, s.kind(), c, rb, nrb, s.groups(), firstChannel, sa, ba, kTiles));
            }
            byLinearAndCore.put(key(layer, s.kind(), c), rowTiles);
        }
    }

    private static String key(int layer, LinearKind kind, int core) {
        return layer + "/" + kind + "/" + core;
    }

    /** The row tiles of one linear on one core, in row order (empty when the core owns none of its rows). */
    public List<RowTile> rowTiles(int layer, LinearKind kind, int core) {
        List<RowTile> r = byLinearAndCore.get(key(kind == LinearKind.CLASSIFIER ? -1 : layer, kind, core));
        if (r == null) {
            throw new IllegalArgumentException("no tiles for layer " + layer + " " + kind + " core " + core);
        }
        return r;
    }

    public int cores() {
        return cores;
    }

    /** Every weight tile, for the packer. */
    public List<RowTile> all() {
        List<RowTile> out = new ArrayList<>();
        byLinearAndCore.values().forEach(out::addAll);
        return out;
    }
}
