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
 * the own-channel efficiency); each tile's rows are split into stripes on consecutive channels (one row block each,
 * up to the core's channel count), and the rotation continues from tile to tile, so the loads of one tile, and of
 * consecutive tiles, run on different channels at once.
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
            for (LinearKind k : m.layerKinds()) {
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
                String scaleWhat = s.name() + " rows " + rb * 16 + ".. scales";
                List<RowTile.ScalePart> scales = new ArrayList<>();
                int sparts = Math.min(nrb, channels.length);
                for (int j = 0; j < sparts; j++) {
                    int sb0 = rb + j * nrb / sparts;
                    int sb1 = rb + (j + 1) * nrb / sparts;
                    int ch = channels[rotation[c]++ % channels.length];
                    scales.add(new RowTile.ScalePart(sb0, sb1 - sb0, ch, alloc.allocate(ch,
                            2L * (sb1 - sb0) * 16 * s.groups(), scaleWhat)));
                }
                for (int cb = 0; cb < s.colBlocks(); cb += t.colBlocks()) {
                    int ncb = Math.min(t.colBlocks(), s.colBlocks() - cb);
                    String what = s.name() + " tile rows " + rb * 16 + ".. cols " + cb * 16 + "..";
                    // the tile's rows spread over up to one channel each, so its loads overlap
                    int parts = Math.min(nrb, channels.length);
                    List<WeightTile.Stripe> stripes = new ArrayList<>();
                    long kept = 0;
                    long pos = 0;
                    long segments = 0;
                    for (int j = 0; j < parts; j++) {
                        int sb0 = rb + j * nrb / parts;
                        int sb1 = rb + (j + 1) * nrb / parts;
                        int ch = channels[rotation[c]++ % channels.length];
                        long sk = 0;
                        long sp = 0;
                        long ss = 0;
                        for (int r = sb0; r < sb1; r++) {
                            for (int b = cb; b < cb + ncb; b++) {
                                int n = s.density(r, b);
                                sk += (long) Sparsity.BLOCK * n;
                                sp += n < Sparsity.BLOCK ? (long) Sparsity.BLOCK * n : 0;
                                ss += n > 0 && n < Sparsity.BLOCK ? Sparsity.BLOCK : 0;
                            }
                        }
                        String part = what + " rows " + sb0 * 16 + "..";
                        WeightTile.Stripe st = new WeightTile.Stripe(sb0, sb1 - sb0, ch, sk, sp, ss,
                                alloc.allocate(ch, (sk * s.bits() + 7) / 8, part + " values"), -1);
                        if (sp > 0) {
                            st = new WeightTile.Stripe(sb0, sb1 - sb0, ch, sk, sp, ss, st.valuesAddress(),
                                    alloc.allocate(ch, st.indexBytes(s.indexEncoding()), part + " indices"));
                        }
                        stripes.add(st);
                        kept += sk;
                        pos += sp;
                        segments += ss;
                    }
                    int home = stripes.getFirst().channel();
                    long da = alloc.allocate(home, (long) nrb * ncb, what + " densities");
                    kTiles.add(new WeightTile(layer, s.kind(), c, rb, nrb, cb, ncb, s.bits(), kept, pos, segments,
                            s.indexEncoding(), home, da, stripes));
                }
                String what = s.name() + " rows " + rb * 16 + "..";
                long ba = s.bias() ? alloc.allocate(firstChannel, 4L * nrb * 16, what + " bias") : -1;
                rowTiles.add(new RowTile(layer, s.kind(), c, rb, nrb, s.groups(), firstChannel, ba, kTiles, scales));
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
