package io.flightllm.compiler.emit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Encoded instructions of each linear layer of one core for one launch shape (mode and row count). The weight
 * streaming of a linear does not depend on the context, so every length bucket replays the same encoded words and
 * only the token masks are recomputed: compiling a hundred buckets costs little more than compiling one.
 */
public final class LinearCache {
    private final Map<Long, Block> blocks = new ConcurrentHashMap<>();

    /** The recorded instructions of one linear. */
    record Block(List<int[]> words, byte[] queues, List<int[]> reads, List<int[]> writes, List<byte[]> densities) {
    }

    /** Whether nothing has been recorded yet. */
    public boolean isEmpty() {
        return blocks.isEmpty();
    }

    Block get(int layer, int kind) {
        return blocks.get(key(layer, kind));
    }

    void put(int layer, int kind, Block b) {
        blocks.put(key(layer, kind), b);
    }

    private static long key(int layer, int kind) {
        return ((long) layer << 8) | kind;
    }

    /** Collects a block while it is emitted. */
    static final class Recorder {
        final List<int[]> words = new ArrayList<>();
        final List<Byte> queues = new ArrayList<>();
        final List<int[]> reads = new ArrayList<>();
        final List<int[]> writes = new ArrayList<>();
        final List<byte[]> densities = new ArrayList<>();

        void add(int[] w, int q, int[] r, int[] wr, byte[] density) {
            words.add(w);
            queues.add((byte) q);
            reads.add(r);
            writes.add(wr);
            densities.add(density);
        }

        Block block() {
            byte[] q = new byte[queues.size()];
            for (int i = 0; i < q.length; i++) {
                q[i] = queues.get(i);
            }
            return new Block(List.copyOf(words), q, List.copyOf(reads), List.copyOf(writes),
                    java.util.Collections.unmodifiableList(new ArrayList<>(densities)));
        }
    }
}
