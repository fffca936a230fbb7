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
 * release on the producer and a wait on the consumer, unless an earlier instruction of the consumer's queue already
 * synchronised with that producer or a later one (queues run in order, and the k-th wait on a queue pair takes the
 * k-th release, so tokens pair up one to one). Dependencies inside one queue need no token.
 *
 * <p>Dependencies already implied by earlier tokens are dropped: every instruction carries what it knows has
 * completed (per queue, the highest index), learned from the producers it waits for and from its own queue's
 * predecessor, so a barrier that waited for everything orders all later consumers without further tokens. Fewer
 * tokens keep each queue pair's counter far below its depth of 8, where surplus releases would block.
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
    /** [producer queue][consumer queue]: the latest producer index the consumer queue has synchronised with. */
    private final int[][] synced = new int[QUEUES][QUEUES];
    private final int[] lastOfQueue = new int[QUEUES];
    /** [instruction * QUEUES + queue]: the highest index of that queue known complete when the instruction starts. */
    private int[] known = new int[1024 * QUEUES];

    public StreamBuilder(int resources) {
        lastWriter = new int[resources];
        Arrays.fill(lastWriter, -1);
        readers = new int[resources][];
        readerCount = new int[resources];
        for (int[] row : synced) {
            Arrays.fill(row, -1);
        }
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
            known = Arrays.copyOf(known, 2 * self * QUEUES);
        }
        // an in-order queue knows what its predecessor knew, and that the predecessor completed
        int prev = lastOfQueue[q];
        for (int k = 0; k < QUEUES; k++) {
            known[self * QUEUES + k] = prev >= 0 ? known[prev * QUEUES + k] : -1;
        }
        if (prev >= 0) {
            known[self * QUEUES + q] = Math.max(known[self * QUEUES + q], prev);
        }
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
        if (c == p || synced[p][c] >= producer || known[consumer * QUEUES + p] >= producer) {
            return; // in-order queue, or already ordered by an earlier wait (direct or transitive)
        }
        // the consumer can wait only once per producer queue: keep the latest producer it needs
        if ((waits[consumer] & (1 << p)) != 0) {
            int previous = synced[p][c];
            releases[previous] &= (byte) ~(1 << c);
        }
        synced[p][c] = producer;
        releases[producer] |= (byte) (1 << c);
        waits[consumer] |= (byte) (1 << p);
        for (int k = 0; k < QUEUES; k++) {
            int at = consumer * QUEUES + k;
            known[at] = Math.max(known[at], known[producer * QUEUES + k]);
        }
        known[consumer * QUEUES + p] = Math.max(known[consumer * QUEUES + p], producer);
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
