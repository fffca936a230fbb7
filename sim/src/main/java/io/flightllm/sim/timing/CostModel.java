package io.flightllm.sim.timing;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.Mpe;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.MatrixOp;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.Mm;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.isa.St;
import io.flightllm.arch.isa.Sys;
import io.flightllm.arch.isa.check.Access;
import io.flightllm.arch.isa.check.Footprint;
import io.flightllm.arch.isa.check.Limits;
import io.flightllm.arch.numerics.Sparsity;

import java.util.Arrays;

/**
 * The unit cost rules of DESIGN.md "The timing model", per instruction: the MPE's cycles from the configured
 * parallelism and the block densities, the SFU's cycles per element and pass, the bytes every LD and ST moves. The
 * queues, tokens, channels and barriers that turn these costs into time are {@link TimingEngine}'s.
 *
 * <p>Distinct instructions are decoded once ({@link Isa#decodeOne}, which also rejects malformed words): the length
 * buckets of a program replay the same encoded linear layers, so most instructions hit the cache.
 */
public final class CostModel {
    private static final int TOKEN_BITS = 0x3ff << 18;
    /**
     * Per opcode, per word: the bits that can change an instruction's cost. Token masks and addresses (the fields
     * shown in hex) never do, so instructions that differ only there share one cache entry: the table stays small
     * (a few thousand shapes instead of a million addresses) and in cache.
     */
    private static final int[][] KEY_MASK = new int[16][];

    static {
        for (var f : Isa.formats()) {
            int[] m = new int[f.words()];
            java.util.Arrays.fill(m, -1);
            m[0] &= ~TOKEN_BITS;
            for (var field : f.fields()) {
                if (field.domain() instanceof io.flightllm.arch.isa.Domain.UInt u && u.hex()) {
                    for (var slice : field.slices()) {
                        m[slice.word()] &= ~slice.mask();
                    }
                }
            }
            KEY_MASK[f.opcode()] = m;
        }
    }

    private final HardwareConfig hw;
    private final Table cache = new Table();

    public CostModel(HardwareConfig hw) {
        this.hw = hw;
    }

    public HardwareConfig hw() {
        return hw;
    }

    /** The cost of the instruction starting at {@code words[at]} ({@code index} names it in errors). */
    Cost cost(int[] words, int at, int index) {
        int opcode = words[at] >>> 28;
        var format = Isa.formatOfOpcode(opcode);
        if (format == null || at + format.words() > words.length) {
            Isa.decodeOne(words, at, index); // throws the decoder's message naming the field
            throw new IllegalStateException("unreachable");
        }
        int n = format.words();
        int[] mask = KEY_MASK[opcode];
        long h = hash(words, at, mask);
        Cost c = cache.find(h, words, at, mask);
        if (c == null) {
            int[] key = new int[n];
            for (int i = 0; i < n; i++) {
                key[i] = words[at + i] & mask[i];
            }
            c = compute(Isa.decodeOne(words, at, index), key);
            cache.put(h, c);
        }
        return c;
    }

    /**
     * Open addressing on a 64-bit hash of the words; each slot keeps the hash and the words inline (one or two cache
     * lines per probe), entries compare their words, so collisions are harmless.
     */
    private static final class Table {
        private static final int STRIDE = 12;
        private int[] keys = new int[(1 << 12) * STRIDE];
        private Cost[] costs = new Cost[1 << 12];
        private int size;

        Cost find(long h, int[] words, int at, int[] wordMask) {
            int mask = costs.length - 1;
            int h32 = (int) (h ^ h >>> 32);
            int n = wordMask.length;
            for (int i = h32 & mask; costs[i] != null; i = (i + 1) & mask) {
                int k = i * STRIDE;
                if (keys[k] == h32 && keys[k + 1] == n && same(k + 2, words, at, wordMask)) {
                    return costs[i];
                }
            }
            return null;
        }

        private boolean same(int k, int[] words, int at, int[] wordMask) {
            for (int i = 0; i < wordMask.length; i++) {
                if (keys[k + i] != (words[at + i] & wordMask[i])) {
                    return false;
                }
            }
            return true;
        }

        void put(long h, Cost c) {
            if (c.words().length > STRIDE - 2) {
                throw new IllegalStateException("an instruction of " + c.words().length + " words; the cache holds "
                        + (STRIDE - 2));
            }
            if (2 * (size + 1) > costs.length) {
                Cost[] oc = costs;
                costs = new Cost[2 * oc.length];
                keys = new int[costs.length * STRIDE];
                size = 0;
                for (Cost e : oc) {
                    if (e != null) {
                        put(hash(e.words(), 0, null), e);
                    }
                }
            }
            int mask = costs.length - 1;
            int h32 = (int) (h ^ h >>> 32);
            int i = h32 & mask;
            while (costs[i] != null) {
                i = (i + 1) & mask;
            }
            int k = i * STRIDE;
            keys[k] = h32;
            keys[k + 1] = c.words().length;
            System.arraycopy(c.words(), 0, keys, k + 2, c.words().length);
            costs[i] = c;
            size++;
        }
    }

    /** The hash of an instruction's cost-relevant bits ({@code mask} null: the words are already a key). */
    private static long hash(int[] words, int at, int[] mask) {
        int n = mask == null ? words.length - at : mask.length;
        long h = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < n; i++) {
            int w = mask == null ? words[at + i] : words[at + i] & mask[i];
            h = (h ^ (w & 0xffffffffL)) * 0x9E3779B97F4A7C15L;
        }
        // murmur3's finalizer: the low bits index the table, so every input bit must reach them
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ h >>> 33;
    }

    private Cost compute(Instruction inst, int[] key) {
        long onChip = 0;
        for (Access a : Footprint.of(inst, p -> new Limits.Range(0, 0))) {
            if (a.region() instanceof Access.Region.OnChip) {
                onChip += a.bytes();
            }
        }
        int q = inst.queue().ordinal();
        return switch (inst) {
            case Ld ld -> {
                long chunks = (long) ld.n0() * ld.n1() * ld.n2();
                long bytes = ld.zero() ? 0 : chunks * ld.len();
                Kind k = ld.zero() ? Kind.ZERO_LOAD : ld.mem() == Mem.DDR ? Kind.DDR_LOAD : Kind.HBM_LOAD;
                double zeroCycles = ld.zero() ? (double) chunks * ld.len() / zeroFillBytesPerCycle() : 0;
                yield new Cost(q, k, k == Kind.HBM_LOAD ? ld.channel() : -1, bytes, onChip, zeroCycles, 0, 0, 0, 0,
                        false, 0, key);
            }
            case St st -> {
                Kind k = st.mem() == Mem.DDR ? Kind.DDR_STORE : Kind.HBM_STORE;
                yield new Cost(q, k, k == Kind.HBM_STORE ? st.channel() : -1, (long) st.n() * st.len(), onChip, 0, 0,
                        0, 0, 0, false, 0, key);
            }
            case Mm mm -> matrix(MatrixOp.of(mm), onChip, key);
            case Mv mv -> matrix(MatrixOp.of(mv), onChip, key);
            case Misc misc -> new Cost(q, Kind.SFU, -1, 0, onChip, sfuCycles(misc), 0, 0, 0, 0, false, 0, key);
            case Sys sys -> new Cost(q, Kind.BARRIER, -1, 0, 0, 0, 0, 0, 0, 0, false, 0, key);
        };
    }

    /** Zero-fill writes one line per bank per cycle. */
    private double zeroFillBytesPerCycle() {
        return (double) hw.buffers().banks() * io.flightllm.arch.isa.Buffer.A.unitBytes();
    }

    private Cost matrix(MatrixOp x, long onChip, int[] key) {
        // kept weights: every block of a sparse tile keeps 16 x N values, which fill exactly b_lines 16-byte lines
        long blocks = (long) rowBlocks(x.rows()) * x.k();
        long kept = x.sparse() ? 16L * x.bLines() : (long) x.rows() * x.k() * Sparsity.BLOCK;
        double meanN = x.sparse() ? (double) x.bLines() / blocks : Sparsity.BLOCK;
        Cost c = new Cost(x.queue().ordinal(), Kind.MATRIX, -1, 0, onChip, 0, kept * x.m(), x.rows(), x.k(), x.m(),
                x.sparse(), meanN, key);
        double work = x.sparse() ? uniformWork(c, meanN) : denseWork(c);
        return new Cost(c.queue(), c.kind(), -1, 0, onChip, matrixCycles(c, work), c.macs(), c.rows(), c.k(), c.m(),
                c.sparse(), meanN, key);
    }

    private static int rowBlocks(int rows) {
        return (rows + Sparsity.BLOCK - 1) / Sparsity.BLOCK;
    }

    private boolean mv(Cost c) {
        return c.queue() == Queue.MV.ordinal();
    }

    private int passRows(Cost c) {
        Mpe mpe = hw.mpe();
        return mv(c) ? mpe.mvRows() : mpe.mmRows();
    }

    /** Block-cycles of a dense tile: one per 16-column block per row pass. */
    private double denseWork(Cost c) {
        return (double) ceilDiv(c.rows(), passRows(c)) * c.k();
    }

    /** Block-cycles of a sparse tile whose blocks all have N = {@code n} (the fallback without density maps). */
    private double uniformWork(Cost c, double n) {
        return denseWork(c) * n / Sparsity.BLOCK;
    }

    /**
     * Block-cycles of a tile from its block densities ([rows / 16][k]): per 16-column block and per pass of the MPE's
     * parallel rows, the largest N among the row blocks of the pass, over 16 (DESIGN.md: the CSD chains of a pass
     * share one schedule, so the densest block sets the pace).
     */
    double densityWork(Cost c, byte[] blockN, int core, int index) {
        int rb = rowBlocks(c.rows());
        if (blockN.length != (long) rb * c.k()) {
            throw new IllegalArgumentException("core " + core + " matrix instruction " + index + ": densities hold "
                    + blockN.length + " blocks, the tile has " + rb + " row blocks x " + c.k() + " column blocks");
        }
        int pass = passRows(c);
        double work = 0;
        for (int r0 = 0; r0 < c.rows(); r0 += pass) {
            int b0 = r0 / Sparsity.BLOCK;
            int b1 = Math.min(rb, ceilDiv(r0 + pass, Sparsity.BLOCK));
            for (int kb = 0; kb < c.k(); kb++) {
                int max = 0;
                for (int b = b0; b < b1; b++) {
                    int n = blockN[b * c.k() + kb];
                    if (n < 0 || n > Sparsity.BLOCK) {
                        throw new IllegalArgumentException("core " + core + " matrix instruction " + index
                                + ": block density " + n + " outside 0..16");
                    }
                    max = Math.max(max, n);
                }
                work += (double) max / Sparsity.BLOCK;
            }
        }
        return work;
    }

    /** Cycles of a tile from its block-cycles: token passes x blocks per cycle, plus the pipeline fill. */
    double matrixCycles(Cost c, double work) {
        Mpe mpe = hw.mpe();
        int tokenPasses = mv(c) ? 1 : ceilDiv(c.m(), mpe.mmTokens());
        double blocksPerCycle = (mv(c) ? mpe.mvK() : mpe.mmK()) / (double) Sparsity.BLOCK;
        return tokenPasses * work / blocksPerCycle + hw.timing().matrixFillCycles();
    }

    /**
     * SFU cycles: each pass streams every row through {@code sfu.lanes} elements per cycle and pays the pipeline fill
     * once. The SFU config owns the pass counts: {@code sfu.softmaxPasses} for softmax, {@code sfu.normPasses} for the
     * norms and for the row quantization (both a statistics pass, then a scaling pass), one for element-wise work.
     */
    private double sfuCycles(Misc x) {
        int passes = switch (x.op()) {
            case SOFTMAX -> hw.sfu().softmaxPasses();
            case RMSNORM, LAYERNORM, QUANT -> hw.sfu().normPasses();
            case ADD, MUL, SILU, ROPE, SCALE, MASK -> 1;
        };
        long perPass = (long) x.rows() * ceilDiv(x.n(), hw.sfu().lanes());
        return passes * ((double) perPass + hw.timing().sfuFillCycles());
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Distinct instructions decoded so far. */
    public int cached() {
        return cache.size;
    }
}
