package io.flightllm.compiler.plan;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.program.Region;
import io.flightllm.compiler.shape.ModelShape;

import java.util.ArrayList;
import java.util.List;

/**
 * The ABI regions outside the weight tiles: per core the norm weights (replicated, FP32 [2 x layers + 1][dim]; for
 * LayerNorm models [2][2 x layers + 1][dim], the weights then the biases) and the
 * KV cache of its KV heads: INT8 K and V in {@link KvStripes} parts ("kv.k.H.J", [layers][part positions][head_dim],
 * each part on its own channel, rotating) and FP16 scales [layers][context] on one channel ("kv.ks.H", "kv.vs.H");
 * shared by all cores, on channel 0, the input rows (FP32 embeddings, rows of the padded width) and the logits (FP32
 * [rows][vocab]); in DDR the parameter block {pos, ctx_len, n_valid_rows} and the RoPE table (FP32
 * [context][head_dim]: the cos of each real pair, then 1.0 for padded pairs, then the sins, then 0.0). Last, per core
 * on its last channel, the exchange scratch of prefill launches: the INT8 activations of the core's rows of a chunk
 * ({@link #XCHG_ACT}, [rows][exchange width], packed at the exchanged input's width) and their FP32 scales
 * ({@link #XCHG_SCALE}), which the core stores and every core loads (docs/compiler.md "Prefill row split").
 */
public record MemoryPlan(List<Region> regions, int inputRows, int logitRows, int kvPositions, long[] imageEnd,
                         KvStripes kv) {
    public static final long PARAMS_ADDRESS = 0;
    public static final long ROPE_ADDRESS = 64;
    /** Region names of a core's exchange scratch: its rows' INT8 activations and their FP32 scales. */
    public static final String XCHG_ACT = "xchg.act";
    public static final String XCHG_SCALE = "xchg.scale";

    /**
     * @param kvSubTile positions per KV sub-tile (a multiple of both bucket sizes), or {@code kvPositions} to keep
     *                  each head's cache on one channel
     * @param kvParts   most channels one head's K or V cache spreads over
     * @param exchangeWidth bytes of one row of exchanged activations (the widest linear input)
     */
    public static MemoryPlan plan(ModelShape m, HardwareConfig hw, List<CorePlan> plans, int maxContext,
                                  int kvPositions, int inputRows, int logitRows, ChannelAllocator alloc, int kvSubTile,
                                  int kvParts, int exchangeWidth) {
        List<Region> regions = new ArrayList<>();
        // norm weights first: with the weight tiles they form the weight image of each channel
        for (CorePlan p : plans) {
            int[] ch = hw.channelsOf(p.core());
            int d16 = io.flightllm.compress.CompressedLinear.ceil16(m.config().dim());
            long normRows = (m.normBias() ? 2L : 1L) * (2L * m.layerCount() + 1);
            long normBytes = 4L * normRows * d16;
            regions.add(new Region("norms", p.core(), "HBM", ch[0], alloc.allocate(ch[0], normBytes, "norm weights"),
                    normBytes, "f32", new long[]{normRows, d16}));
        }
        long[] imageEnd = new long[hw.hbm().channels()];
        for (int c = 0; c < imageEnd.length; c++) {
            imageEnd[c] = alloc.used(c);
        }
        int dim = io.flightllm.compress.CompressedLinear.ceil16(m.config().dim());
        int hsp = m.paddedHeadSize();
        int layers = m.layerCount();
        regions.add(new Region("params", -1, "DDR", 0, PARAMS_ADDRESS, 12, "i32", new long[]{3}));
        // as many rows as KV positions: a prefill chunk at the last position reads the rows after it
        regions.add(new Region("rope", -1, "DDR", 0, ROPE_ADDRESS, 4L * kvPositions * hsp, "f32",
                new long[]{kvPositions, hsp}));
        long inputBytes = 4L * inputRows * dim;
        regions.add(new Region("input", -1, "HBM", 0, alloc.allocate(0, inputBytes, "input rows"), inputBytes, "f32",
                new long[]{inputRows, dim}));
        long logitBytes = 4L * logitRows * m.config().vocabSize();
        regions.add(new Region("logits", -1, "HBM", 0, alloc.allocate(0, logitBytes, "logits"), logitBytes, "f32",
                new long[]{logitRows, m.config().vocabSize()}));
        KvStripes kvs = KvStripes.of(kvPositions, kvSubTile, kvParts, hsp);
        long reserve = kvs.reserveBytes(kvPositions);
        for (CorePlan p : plans) {
            int[] ch = hw.channelsOf(p.core());
            KvStripes mine = KvStripes.of(kvPositions, kvSubTile, Math.min(kvParts, ch.length), hsp);
            if (mine.parts() != kvs.parts()) {
                kvs = mine; // a core with fewer channels than parts: every core uses the smaller count
                reserve = kvs.reserveBytes(kvPositions);
            }
        }
        for (CorePlan p : plans) {
            int[] ch = hw.channelsOf(p.core());
            for (int h = p.kvHeads().start(); h < p.kvHeads().end(); h++) {
                int first = (h - p.kvHeads().start()) * kvs.parts();
                int c = ch[first % ch.length];
                long sc = 2L * layers * kvPositions;
                String what = "KV cache of head " + h;
                long[] sshape = {layers, kvPositions};
                for (String kind : new String[]{"k", "v"}) {
                    for (int j = 0; j < kvs.parts(); j++) {
                        int cj = ch[(first + j) % ch.length];
                        long data = kvs.partBytes(layers);
                        long at = alloc.allocate(cj, reserve + data, what + " (" + kind + " part " + j + ")") + reserve;
                        regions.add(new Region("kv." + kind + "." + h + "." + j, p.core(), "HBM", cj, at, data, "i8",
                                new long[]{layers, kvs.partPositions(), hsp}));
                    }
                }
                regions.add(new Region("kv.ks." + h, p.core(), "HBM", c, alloc.allocate(c, sc, what), sc, "f16",
                        sshape));
                regions.add(new Region("kv.vs." + h, p.core(), "HBM", c, alloc.allocate(c, sc, what), sc, "f16",
                        sshape));
            }
        }
        // a core owns at most ceil(rows / cores) rows of a chunk (Range.split)
        int ownRows = Math.ceilDiv(inputRows, plans.size());
        for (CorePlan p : plans) {
            int[] ch = hw.channelsOf(p.core());
            int c = ch[ch.length - 1];
            long act = (long) ownRows * exchangeWidth;
            regions.add(new Region(XCHG_ACT, p.core(), "HBM", c, alloc.allocate(c, act, "prefill exchange"), act,
                    "i8", new long[]{ownRows, exchangeWidth}));
            regions.add(new Region(XCHG_SCALE, p.core(), "HBM", c,
                    alloc.allocate(c, 4L * ownRows, "prefill exchange"), 4L * ownRows, "f32", new long[]{ownRows}));
        }
        return new MemoryPlan(regions, inputRows, logitRows, kvPositions, imageEnd, kvs);
    }

    public Region region(String name, int core) {
        return regions.stream().filter(r -> r.name().equals(name) && r.core() == core).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no region " + name + " of core " + core));
    }
}
