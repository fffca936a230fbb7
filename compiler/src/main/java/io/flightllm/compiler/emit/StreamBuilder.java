package io.flightllm.compiler.emit;

import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.InstructionBuilder;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.isa.QueueSet;

import java.util.Arrays;
import java.util.List;

/**
 * One core's instruction stream in program order, with dependency tokens inserted from declared resource use. Every
 * instruction names the resources (small integer ids, see {@link Res}) it reads and writes; a read depends on the last
 * writer, a write on the last writer and every reader since. A dependency on an instruction of another queue becomes a
 * release on the producer and a wait on the consumer, unless the consumer is already ordered after the producer:
 * each instruction carries a vector clock (per queue, the latest instruction of that queue it is known to follow,
 * directly or through other tokens and the in-order queues), so a dependency that an earlier wait already implies
 * costs no token. That matters for liveness, not only for size: a release nobody needs soon (a KV store that the next
 * layer's quantization overwrites after a barrier) would hold a counter slot for a whole layer, and a layer with more
 * of them than the counter depth deadlocks. Queues run in order and the k-th wait on a queue pair takes the k-th
 * release, so tokens pair up one to one. Dependencies inside one queue need no token.
 *
 * <p>Instructions are kept encoded (without tokens) and the token masks are patched into word 0 at the end
 * ([27:23] wait, [22:18] release), so encoded instructions can be reused across programs.
 */
public final class StreamBuilder {
    private static final int QUEUES = Queue.values().length;
    private static final Queue[] Q = Queue.values();

    private int[][] words = new int[1024][];
    private byte[] queues = new byte[1024];
    private byte[] waits = new byte[1024];
    private byte[] releases = new byte[1024];
    private byte[][] densities = new byte[1024][];
    private int size;
    private long totalWords;
    private final int[] lastWriter;
    private final int[][] readers;
    private final int[] readerCount;
    /** Per instruction, [queue]: the latest instruction of that queue it is ordered after (-1: none). */
    private int[] clocks = new int[1024 * QUEUES];
    /** Per queue, the producer the instruction being added waits on (-1: none). */
    private final int[] waitOn = new int[QUEUES];
    private final int[] lastOfQueue = new int[QUEUES];

    public StreamBuilder(int resources) {
        lastWriter = new int[resources];
        Arrays.fill(lastWriter, -1);
        readers = new int[resources][];
        readerCount = new int[resources];
        Arrays.fill(lastOfQueue, -1);
    }

    /** Encodes {@code b} (its token fields must be empty) and appends it. */
    public int add(InstructionBuilder<?, ?> b, Queue q, int[] reads, int[] writes) {
        return add(Isa.encode(b.build()), q.ordinal(), reads, writes);
    }

    /** Appends an encoded instruction without tokens. */
    public int add(int[] encoded, int q, int[] reads, int[] writes) {
        return add(encoded, q, reads, writes, null);
    }

    /**
     * Appends an encoded instruction without tokens; {@code density} is, for an MM/MV, the N of each 16x16 block of
     * its weight tile ([rows / 16][k], null when dense or not a weight tile), which the timing model needs.
     */
    public int add(int[] encoded, int q, int[] reads, int[] writes, byte[] density) {
        int self = size++;
        if (self == queues.length) {
            words = Arrays.copyOf(words, 2 * self);
            queues = Arrays.copyOf(queues, 2 * self);
            waits = Arrays.copyOf(waits, 2 * self);
            releases = Arrays.copyOf(releases, 2 * self);
            densities = Arrays.copyOf(densities, 2 * self);
            clocks = Arrays.copyOf(clocks, 2 * self * QUEUES);
        }
        // an instruction follows everything its queue's previous instruction follows
        if (lastOfQueue[q] >= 0) {
            System.arraycopy(clocks, lastOfQueue[q] * QUEUES, clocks, self * QUEUES, QUEUES);
        } else {
            Arrays.fill(clocks, self * QUEUES, self * QUEUES + QUEUES, -1);
        }
        clocks[self * QUEUES + q] = self;
        Arrays.fill(waitOn, -1);
        words[self] = encoded;
        densities[self] = density;
        totalWords += encoded.length;
        queues[self] = (byte) q;
        for (int r : reads) {
            if (lastWriter[r] >= 0) {
                depend(self, lastWriter[r]);
            }
        }
        for (int r : writes) {
            if (lastWriter[r] >= 0) {
                depend(self, lastWriter[r]);
            }
            for (int i = 0; i < readerCount[r]; i++) {
                depend(self, readers[r][i]);
            }
        }
        for (int r : reads) {
            if (readers[r] == null) {
                readers[r] = new int[8];
            } else if (readerCount[r] == readers[r].length) {
                readers[r] = Arrays.copyOf(readers[r], 2 * readers[r].length);
            }
            readers[r][readerCount[r]++] = self;
        }
        for (int r : writes) {
            lastWriter[r] = self;
            readerCount[r] = 0;
        }
        lastOfQueue[q] = self;
        return self;
    }

    /** Makes {@code consumer} (just added) wait for the latest instruction of every other queue. */
    public void dependOnAll(int consumer) {
        for (int q = 0; q < QUEUES; q++) {
            if (lastOfQueue[q] >= 0 && lastOfQueue[q] != consumer) {
                depend(consumer, lastOfQueue[q]);
            }
        }
    }

    private void depend(int consumer, int producer) {
        int c = queues[consumer];
        int p = queues[producer];
        if (c == p || clocks[consumer * QUEUES + p] >= producer) {
            return; // in-order queue, or already ordered by an earlier token
        }
        // the consumer can wait only once per producer queue: keep the latest producer it needs
        if (waitOn[p] >= 0) {
            releases[waitOn[p]] &= (byte) ~(1 << c);
        }
        waitOn[p] = producer;
        releases[producer] |= (byte) (1 << c);
        waits[consumer] |= (byte) (1 << p);
        // the consumer now follows everything the producer follows
        for (int r = 0; r < QUEUES; r++) {
            clocks[consumer * QUEUES + r] = Math.max(clocks[consumer * QUEUES + r], clocks[producer * QUEUES + r]);
        }
    }

    /** The stream's words with the token masks in place. */
    public int[] words() {
        int[] out = new int[Math.toIntExact(totalWords)];
        int at = 0;
        for (int i = 0; i < size; i++) {
            int[] w = words[i];
            System.arraycopy(w, 0, out, at, w.length);
            Queue self = Q[queues[i]];
            int wm = MASKS[queues[i]][waits[i] & 0x3f];
            int rm = MASKS[queues[i]][releases[i] & 0x3f];
            out[at] = (out[at] & ~(0x3ff << 18)) | wm << 23 | rm << 18;
            assert self != null;
            at += w.length;
        }
        return out;
    }

    /**
     * One entry per MM/MV in stream order: the block densities of its weight tile, or null (dense, or an operand that
     * is not a weight tile). The arrays are shared with the emitter's caches: read them, do not change them.
     */
    public byte[][] matrixDensities() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            n += isMatrix(queues[i]) ? 1 : 0;
        }
        byte[][] out = new byte[n][];
        int j = 0;
        for (int i = 0; i < size; i++) {
            if (isMatrix(queues[i])) {
                out[j++] = densities[i];
            }
        }
        return out;
    }

    private static boolean isMatrix(int q) {
        return q == Queue.MM.ordinal() || q == Queue.MV.ordinal();
    }

    /** The finished instructions (decoded from {@link #words()}; for checking and tests). */
    public List<Instruction> build() {
        return Isa.decode(words());
    }

    public int size() {
        return size;
    }

    public long totalWords() {
        return totalWords;
    }

    /** [queue][set of queues as ordinal bits] -> the 5-bit wait/release mask of that queue. */
    private static final int[][] MASKS = new int[QUEUES][1 << QUEUES];

    static {
        for (Queue self : Q) {
            for (int bits = 0; bits < 1 << QUEUES; bits++) {
                if ((bits & 1 << self.ordinal()) != 0) {
                    continue;
                }
                MASKS[self.ordinal()][bits] = new QueueSet(bits).mask(self);
            }
        }
    }
}
