package io.flightllm.compiler.emit;

import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.InstructionBuilder;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.isa.QueueSet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One core's instruction stream in program order, with dependency tokens inserted from declared resource use. Every
 * instruction names the on-chip or off-chip resources it reads and writes; a read depends on the last writer, a write
 * on the last writer and every reader since. A dependency on an instruction of another queue becomes a release on
 * the producer and a wait on the consumer, unless an earlier instruction of the consumer's queue already synchronised
 * with that producer or a later one (queues run in order, and the k-th wait on a queue pair takes the k-th release,
 * so tokens pair up one to one). Dependencies inside one queue need no token.
 */
public final class StreamBuilder {
    private static final int QUEUES = Queue.values().length;

    private final List<InstructionBuilder<?, ?>> builders = new ArrayList<>();
    private final List<Queue> queues = new ArrayList<>();
    private final List<Integer> waits = new ArrayList<>();
    private final List<Integer> releases = new ArrayList<>();
    private final Map<String, Integer> lastWriter = new HashMap<>();
    private final Map<String, List<Integer>> readersSinceWrite = new HashMap<>();
    /** [producer queue][consumer queue]: the latest producer index the consumer queue has synchronised with. */
    private final int[][] synced = new int[QUEUES][QUEUES];
    private final int[] lastOfQueue = new int[QUEUES];

    public StreamBuilder() {
        for (int[] row : synced) {
            java.util.Arrays.fill(row, -1);
        }
        java.util.Arrays.fill(lastOfQueue, -1);
    }

    /** Appends an instruction (its token fields are set here) that reads and writes the named resources. */
    public int add(InstructionBuilder<?, ?> b, Queue q, Collection<String> reads, Collection<String> writes) {
        int self = builders.size();
        builders.add(b);
        queues.add(q);
        waits.add(0);
        releases.add(0);
        for (String r : reads) {
            Integer w = lastWriter.get(r);
            if (w != null) {
                depend(self, w);
            }
        }
        for (String r : writes) {
            Integer w = lastWriter.get(r);
            if (w != null) {
                depend(self, w);
            }
            List<Integer> rs = readersSinceWrite.get(r);
            if (rs != null) {
                for (int reader : rs) {
                    depend(self, reader);
                }
            }
        }
        for (String r : reads) {
            readersSinceWrite.computeIfAbsent(r, k -> new ArrayList<>()).add(self);
        }
        for (String r : writes) {
            lastWriter.put(r, self);
            readersSinceWrite.remove(r);
        }
        lastOfQueue[q.ordinal()] = self;
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
        Queue cq = queues.get(consumer);
        Queue pq = queues.get(producer);
        if (cq == pq || producer == consumer) {
            return; // in-order queue
        }
        int p = pq.ordinal();
        int c = cq.ordinal();
        if (synced[p][c] >= producer) {
            return;
        }
        // the consumer can wait only once per producer queue: keep the latest producer it needs
        if ((waits.get(consumer) & (1 << p)) != 0) {
            int previous = synced[p][c];
            releases.set(previous, releases.get(previous) & ~(1 << c));
        }
        synced[p][c] = producer;
        releases.set(producer, releases.get(producer) | 1 << c);
        waits.set(consumer, waits.get(consumer) | 1 << p);
    }

    /** The finished instructions. */
    public List<Instruction> build() {
        List<Instruction> out = new ArrayList<>(builders.size());
        for (int i = 0; i < builders.size(); i++) {
            InstructionBuilder<?, ?> b = builders.get(i);
            b.waits(set(waits.get(i))).releases(set(releases.get(i)));
            out.add(b.build());
        }
        return out;
    }

    public int size() {
        return builders.size();
    }

    private static QueueSet set(int bits) {
        QueueSet s = QueueSet.NONE;
        for (Queue q : Queue.values()) {
            if ((bits & 1 << q.ordinal()) != 0) {
                s = s.with(q);
            }
        }
        return s;
    }
}
