package io.flightllm.compiler;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.numerics.RopeTable;
import io.flightllm.arch.program.Bucket;
import io.flightllm.arch.program.FlpWriter;
import io.flightllm.arch.program.ModelAbi;
import io.flightllm.arch.program.Program;
import io.flightllm.arch.program.ProgramOptions;
import io.flightllm.arch.program.Region;
import io.flightllm.compiler.emit.LinearCache;
import io.flightllm.compiler.emit.StepEmitter;
import io.flightllm.compiler.emit.StreamBuilder;
import io.flightllm.compiler.pack.WeightFeed;
import io.flightllm.compiler.pack.WeightPacker;
import io.flightllm.compiler.plan.ChannelAllocator;
import io.flightllm.compiler.plan.CorePlan;
import io.flightllm.compiler.plan.MemoryPlan;
import io.flightllm.compiler.plan.RowTile;
import io.flightllm.compiler.plan.Tiling;
import io.flightllm.compiler.plan.WeightLayout;
import io.flightllm.compiler.shape.LinearShape;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.LinearKind;
import io.flightllm.model.ModelConfig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The compile flow: plan (core split, tiling, HBM layout, ABI regions), pack the weight image, emit one instruction
 * stream per core per length bucket, count the artifact-style baseline, and write the {@code .flp}.
 */
public final class Compiler {
    /** Token rows of one artifact-style prefill tile in the unrolled baseline (docs/compiler.md). */
    public static final int BASELINE_TOKEN_TILE = 16;

    /** Progress callback: {@code done} of {@code total} units of the named phase. */
    @FunctionalInterface
    public interface Progress {
        void update(String phase, long done, long total);

        Progress NONE = (p, d, t) -> { };
    }

    private final ModelShape shape;
    private final CompileOptions o;
    private final HardwareConfig hw;
    private final List<CorePlan> plans;
    private final Tiling tiling;
    private final int maxContext;
    private final int prefillRows;
    private final Buckets buckets;
    private final WeightLayout layout;
    private final MemoryPlan memory;

    /** Plans the compilation; fails with a {@link CompileException} naming the limit when the model does not fit. */
    public Compiler(ModelShape shape, CompileOptions options) {
        this.shape = shape;
        this.o = options;
        this.hw = options.hw();
        checkSupported();
        this.maxContext = Math.min(options.maxContext(), shape.config().seqLen());
        this.buckets = new Buckets(options.prefillBucket(), options.decodeBucket(), maxContext);
        this.plans = CorePlan.of(shape, hw);
        this.tiling = Tiling.of(hw);
        for (CorePlan p : plans) {
            StepEmitter.checkFits(shape, hw, p, tiling, 1, maxContext, false);
        }
        this.prefillRows = chooseChunkRows();
        ChannelAllocator alloc = new ChannelAllocator(hw);
        this.layout = WeightLayout.plan(shape, hw, plans, tiling, alloc);
        int kvPositions = CompressedLinear.ceil16(maxContext + prefillRows);
        // KV sub-tiles hold whole buckets, so a program's stores stay on one channel; their loads spread over
        // as many channels as one K/V tile has sub-tiles
        int tileRows = StepEmitter.kvTileRows(tiling, shape.paddedHeadSize());
        int sub = lcm(options.prefillBucket(), options.decodeBucket());
        boolean striped = sub <= tileRows && tileRows % sub == 0;
        this.memory = MemoryPlan.plan(shape, hw, plans, maxContext, kvPositions, prefillRows, prefillRows, alloc,
                striped ? sub : kvPositions, striped ? tileRows / sub : 1, StepEmitter.exchangeWidth(shape));
    }

    private static int lcm(int a, int b) {
        int x = a;
        int y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }

    private void checkSupported() {
        for (LinearShape l : shape.linears()) {
            if (!hw.mpe().supportsBits(l.bits())) {
                throw new CompileException(l.name() + " has " + l.bits() + "-bit weights; " + hw.name()
                        + " supports mpe.weightBits " + java.util.Arrays.toString(hw.mpe().weightBits()));
            }
            boolean[] seen = new boolean[256];
            for (byte n : l.blockN()) {
                seen[n & 0xff] = true;
            }
            for (int n = 0; n < seen.length; n++) {
                if (seen[n] && !hw.mpe().supportsN(n)) {
                    throw new CompileException(l.name() + " has blocks at N = " + n + "; " + hw.name()
                            + " supports mpe.sparseModes " + java.util.Arrays.toString(hw.mpe().sparseModes()));
                }
            }
        }
        // the compressed form's rule (compress.ModelSupport): LLaMA, or pre-norm OPT without project_in/out
        io.flightllm.compress.ModelSupport.Refusal refusal = io.flightllm.compress.ModelSupport.check(shape.config());
        if (refusal != null) {
            throw new CompileException("model not compiled: " + refusal.message() + " (the compiler takes "
                    + io.flightllm.compress.ModelSupport.SUPPORTED + ")");
        }
    }

    /** The largest prefill chunk (at most one prefill bucket) whose launch fits every core's buffers. */
    private int chooseChunkRows() {
        int rows = Math.min(o.prefillBucket(), maxContext);
        while (rows > 1) {
            try {
                for (CorePlan p : plans) {
                    StepEmitter.checkFits(shape, hw, p, tiling, rows, maxContext, true);
                }
                return rows;
            } catch (CompileException e) {
                rows = rows / 2;
            }
        }
        return 1;
    }

    /** Bytes of the DDR image (parameter block and RoPE table): the checker's DDR limit. */
    public long ddrBytes() {
        Region rope = memory.region("rope", -1);
        return rope.address() + rope.bytes();
    }

    /** Where every weight tile lives (for the packer's tests and reports). */
    public WeightLayout weightLayout() {
        return layout;
    }

    /** The HBM and DDR regions of the ABI (for tests and reports). */
    public MemoryPlan memoryPlan() {
        return memory;
    }

    public int prefillChunkRows() {
        return prefillRows;
    }

    public int maxContext() {
        return maxContext;
    }

    public Buckets buckets() {
        return buckets;
    }

    /** The streams of one launch: one list of instructions per core. */
    public List<List<Instruction>> emit(boolean prefill, int rows, int ctx) {
        return emitWords(prefill, rows, ctx).stream().map(Isa::decode).toList();
    }

    /** The encoded streams of one launch, one per core. */
    public List<int[]> emitWords(boolean prefill, int rows, int ctx) {
        return emitWords(prefill, rows, ctx, true);
    }

    /**
     * The encoded streams of one launch with, per core, the block densities of each MM/MV's weight tile in stream
     * order ([rows / 16][k] N bytes, null for dense tiles and attention operands): an MM/MV does not carry them, and
     * the timing model's MPE cycles follow them. The arrays are shared: do not change them.
     */
    public LaunchStreams emitLaunch(boolean prefill, int rows, int ctx) {
        List<StreamBuilder> built = plans.parallelStream().map(p -> StepEmitter.emit(shape, hw, p, layout, memory,
                tiling, prefill, rows, ctx, memory.kvPositions(), cache(p.core(), prefill, rows), true)).toList();
        return new LaunchStreams(built.stream().map(StreamBuilder::words).toList(),
                built.stream().map(StreamBuilder::matrixDensities).toList());
    }

    /** One launch's streams and the densities of their matrix instructions ({@link #emitLaunch}). */
    public record LaunchStreams(List<int[]> words, List<byte[][]> densities) {
    }

    /**
     * Bytes of the weight image this compilation plans (the weight tiles with their indices, densities and scales, and
     * the norm weights, on every channel, with alignment), whether or not it packs one.
     */
    public long plannedImageBytes() {
        long n = 0;
        for (long end : memory.imageEnd()) {
            n += end;
        }
        return n;
    }

    /**
     * {@code strict} false only counts: buffers may overflow, and the linear layers replay the encoded words of the
     * compiled row count (their number does not depend on the rows; only field values do).
     */
    private List<int[]> emitWords(boolean prefill, int rows, int ctx, boolean strict) {
        int cacheRows = strict ? rows : prefill ? prefillRows : 1;
        if (!strict && cache(0, prefill, cacheRows).isEmpty()) {
            // the count replays the compiled launch's linears: record them from a real launch first, or the count's
            // own row count would be cached for the real launches to replay
            int first = (prefill ? buckets.prefillLengths() : buckets.decodeLengths()).getFirst();
            emitWords(prefill, cacheRows, first, true);
        }
        return plans.parallelStream().map(p -> StepEmitter.emit(shape, hw, p, layout, memory, tiling, prefill, rows,
                ctx, memory.kvPositions(), cache(p.core(), prefill, cacheRows), strict).words()).toList();
    }

    private final Map<Long, LinearCache> caches = new java.util.concurrent.ConcurrentHashMap<>();

    private LinearCache cache(int core, boolean prefill, int rows) {
        return caches.computeIfAbsent(((long) core << 32) | ((long) (prefill ? 1 : 0) << 24) | rows,
                k -> new LinearCache());
    }

    /** Compiles and writes {@code target}; {@code feed} may be null only for shapes-only compilation. */
    public StorageReport write(WeightFeed feed, Path target, Progress progress) {
        return write(feed, "", target, progress);
    }

    /**
     * As {@link #write(WeightFeed, Path, Progress)}, recording {@code weightsId} (a digest of the .flm, or how random
     * weights were made) in the ABI, so a runtime can refuse a program compiled from other weights.
     */
    public StorageReport write(WeightFeed feed, String weightsId, Path target, Progress progress) {
        long start = System.nanoTime();
        if (!o.shapesOnly() && feed == null) {
            throw new IllegalArgumentException("weights are required unless compiling shapes only");
        }
        List<String> names = new ArrayList<>();
        Map<String, Long> perBucket = new LinkedHashMap<>();
        List<Bucket> done = new ArrayList<>();
        long totalWords = 0;
        long totalInstructions = 0;
        long imageBytes = 0;
        try (FlpWriter w = FlpWriter.create(target); Arena arena = Arena.ofShared()) {
            Map<Integer, String> image = new HashMap<>();
            if (!o.shapesOnly()) {
                MemorySegment[] channels = packImage(feed, arena, progress);
                for (int c = 0; c < channels.length; c++) {
                    if (channels[c].byteSize() > 0) {
                        image.put(c, w.channel(c, channels[c].asByteBuffer()));
                        imageBytes += channels[c].byteSize();
                    }
                }
            }
            List<int[]> jobs = new ArrayList<>();
            for (int c : buckets.prefillLengths()) {
                jobs.add(new int[]{1, c});
            }
            for (int c : buckets.decodeLengths()) {
                jobs.add(new int[]{0, c});
            }
            int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                // Buckets are emitted in parallel but written in order, and only a window of them is in flight: a
                // bucket's streams are dropped once written, so memory holds a few buckets, not the whole program
                // (LLaMA2-7B at context 4096: gigabytes of words)
                int window = 2 * threads;
                List<Future<List<int[]>>> futures = new ArrayList<>();
                for (int i = 0; i < jobs.size(); i++) {
                    futures.add(i < window ? emitJob(pool, jobs.get(i)) : null);
                }
                for (int i = 0; i < jobs.size(); i++) {
                    int[] j = jobs.get(i);
                    Bucket.Kind kind = j[0] == 1 ? Bucket.Kind.PREFILL : Bucket.Kind.DECODE;
                    List<int[]> streams = futures.get(i).get();
                    futures.set(i, null);
                    if (i + window < jobs.size()) {
                        futures.set(i + window, emitJob(pool, jobs.get(i + window)));
                    }
                    List<Bucket.Stream> entries = new ArrayList<>();
                    long words = 0;
                    for (int c = 0; c < streams.size(); c++) {
                        int[] s = streams.get(c);
                        long n = countInstructions(s);
                        entries.add(w.stream(kind, j[1], c, s, n));
                        words += s.length;
                        totalInstructions += n;
                    }
                    String name = kind.name().toLowerCase(java.util.Locale.ROOT) + "." + j[1];
                    names.add(name);
                    perBucket.put(name, 4 * words);
                    totalWords += words;
                    done.add(new Bucket(kind, j[1], entries));
                    progress.update("emit", i + 1, jobs.size());
                }
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } finally {
                pool.shutdownNow();
            }
            String ddr = w.ddr(ddrImage());
            Map<String, String> dens = new LinkedHashMap<>();
            for (LinearShape l : shape.linears()) {
                dens.put(l.name(), w.densities(l.name(), l.blockN()));
            }
            w.finish(new Program(hw, abi(weightsId), new ProgramOptions(o.prefillBucket(), o.decodeBucket(), "all",
                    o.shapesOnly()), memory.regions(), done, image, ddr, dens));
        }
        long baseline = baselineBytes(progress);
        double seconds = (System.nanoTime() - start) / 1e9;
        return new StorageReport(4 * totalWords, totalInstructions, perBucket, baseline,
                baseline / (double) Math.max(1, 4 * totalWords), seconds, names, imageBytes, prefillRows);
    }

    /** Emits the streams of one bucket job {prefill ? 1 : 0, context} on {@code pool}. */
    private Future<List<int[]>> emitJob(ExecutorService pool, int[] j) {
        return pool.submit(() -> emitWords(j[0] == 1, j[0] == 1 ? prefillRows : 1, j[1]));
    }

    private static long countInstructions(int[] words) {
        long n = 0;
        for (int i = 0; i < words.length; n++) {
            i += Isa.formatOfOpcode(words[i] >>> 28).words();
        }
        return n;
    }

    /**
     * Bytes of the artifact-style baseline: one program per decode context 1..max at that exact context, and one
     * program per prefill length 1..max that runs its tokens in tiles of {@link #BASELINE_TOKEN_TILE} rows, tile t
     * attending to exactly the positions up to its last row. Counted from the emitter, memoized on (rows, KV tiles),
     * because a program's size depends on nothing else.
     */
    public long baselineBytes(Progress progress) {
        Map<Long, Long> memo = new HashMap<>();
        long total = 0;
        for (int ctx = 1; ctx <= maxContext; ctx++) {
            total += launchBytes(memo, false, 1, ctx);
        }
        for (int len = 1; len <= maxContext; len++) {
            for (int t0 = 0; t0 < len; t0 += BASELINE_TOKEN_TILE) {
                int rows = Math.min(BASELINE_TOKEN_TILE, len - t0);
                total += launchBytes(memo, true, rows, t0 + rows);
            }
            progress.update("baseline", len, maxContext);
        }
        return total;
    }

    private long launchBytes(Map<Long, Long> memo, boolean prefill, int rows, int ctx) {
        // a launch's words are linear in its rows (only the per-row logits stores of a partial classifier tile
        // repeat per row), so two counts per (mode, KV tiles) give every row count
        int tiles = StepEmitter.kvTiles(shape, hw, tiling, rows, ctx);
        long one = countWords(memo, prefill, 1, tiles);
        long two = countWords(memo, prefill, 2, tiles);
        return one + (long) (rows - 1) * (two - one);
    }

    private long countWords(Map<Long, Long> memo, boolean prefill, int rows, int tiles) {
        long key = ((long) (prefill ? 1 : 0) << 40) | ((long) rows << 20) | tiles;
        Long v = memo.get(key);
        if (v == null) {
            long words = 0;
            for (int[] s : emitWords(prefill, rows, StepEmitter.ctxOfTiles(shape, hw, tiling, rows, tiles), false)) {
                words += s.length;
            }
            v = 4 * words;
            memo.put(key, v);
        }
        return v;
    }

    private MemorySegment[] packImage(WeightFeed feed, Arena arena, Progress progress) {
        MemorySegment[] channels = new MemorySegment[hw.hbm().channels()];
        for (int c = 0; c < channels.length; c++) {
            channels[c] = arena.allocate(Math.max(memory.imageEnd()[c], 0), 64);
        }
        int total = shape.layerCount() * shape.layerKinds().size() + 1;
        List<int[]> jobs = new ArrayList<>();
        for (int l = 0; l < shape.layerCount(); l++) {
            for (LinearKind k : shape.layerKinds()) {
                jobs.add(new int[]{l, k.ordinal()});
            }
        }
        jobs.add(new int[]{-1, LinearKind.CLASSIFIER.ordinal()});
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        // every tile has its own bytes in the image, so linears pack in parallel
        jobs.parallelStream().forEach(j -> {
            LinearKind k = LinearKind.values()[j[1]];
            packLinear(feed.linear(j[0], k), j[0], k, channels);
            progress.update("pack", done.incrementAndGet(), total);
        });
        int d16 = CompressedLinear.ceil16(shape.config().dim());
        for (CorePlan p : plans) {
            Region norms = memory.region("norms", p.core());
            int rows = 2 * shape.layerCount() + 1;
            for (int i = 0; i < rows; i++) {
                if (i == rows - 1 && !shape.config().finalNorm()) {
                    continue; // no final norm (post-norm OPT): its rows stay zero and no program reads them
                }
                putRow(channels[norms.channel()], norms.address() + 4L * i * d16, feed.norm(i), "norm row " + i);
                if (shape.normBias()) {
                    putRow(channels[norms.channel()], norms.address() + 4L * (rows + i) * d16, feed.normBias(i),
                            "norm bias row " + i);
                }
            }
        }
        return channels;
    }

    private void putRow(MemorySegment channel, long address, float[] row, String what) {
        if (row == null || row.length != shape.config().dim()) {
            throw new CompileException(what + ": " + (row == null ? "missing" : row.length + " values")
                    + "; expected dim = " + shape.config().dim());
        }
        MemorySegment.copy(row, 0, channel, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                address, row.length);
    }

    private void packLinear(CompressedLinear w, int layer, LinearKind kind, MemorySegment[] channels) {
        LinearShape s = kind == LinearKind.CLASSIFIER ? shape.classifier() : shape.linear(layer, kind);
        if (w.rows() != s.rows() || w.cols() != s.cols() || w.bits() != s.bits()
                || !java.util.Arrays.equals(w.blockDensities(), s.blockN())) {
            throw new CompileException(s.name() + ": the weights do not match the planned shape (rows, cols, bits, "
                    + "densities)");
        }
        for (CorePlan p : plans) {
            for (RowTile rt : layout.rowTiles(layer, kind, p.core())) {
                WeightPacker.pack(rt, w, channels);
            }
        }
    }

    private ByteBuffer ddrImage() {
        int hsp = shape.paddedHeadSize();
        int hs = shape.config().headSize();
        Region rope = memory.region("rope", -1);
        ByteBuffer b = ByteBuffer.allocate((int) (rope.address() + rope.bytes())).order(ByteOrder.LITTLE_ENDIAN);
        int positions = (int) rope.shape()[0];
        if (shape.config().positions() != ModelConfig.PositionKind.ROPE) {
            return b; // learned positions are added to the input rows by the host: the table stays zero
        }
        RopeTable t = RopeTable.create(positions, hs, shape.config().ropeTheta());
        for (int pos = 0; pos < positions; pos++) {
            int at = (int) rope.address() + 4 * pos * hsp;
            for (int i = 0; i < hsp / 2; i++) {
                boolean real = i < hs / 2;
                b.putFloat(at + 4 * i, real ? t.cos()[pos][i] : 1.0f);
                b.putFloat(at + 4 * (hsp / 2 + i), real ? t.sin()[pos][i] : 0.0f);
            }
        }
        return b;
    }

    private ModelAbi abi(String weightsId) {
        ModelConfig c = shape.config();
        return new ModelAbi(c.family().name(), c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(),
                c.headSize(), shape.paddedHeadSize(), c.vocabSize(), maxContext, Float.floatToRawIntBits(c.normEps()),
                Float.floatToRawIntBits(c.ropeTheta()), shape.recipe(), weightsId);
    }
}
