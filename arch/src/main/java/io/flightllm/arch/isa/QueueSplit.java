package io.flightllm.arch.isa;

import java.util.List;

/** How a core's dispatcher splits its stream: for each queue, the stream indices of its instructions, in order. */
public final class QueueSplit {
    private QueueSplit() {
    }

    /** {@code result[q.ordinal()]} lists the indices in {@code stream} of the instructions of queue q. */
    public static int[][] of(List<Instruction> stream) {
        int queues = Queue.values().length;
        int[] n = new int[queues];
        for (Instruction i : stream) {
            n[i.queue().ordinal()]++;
        }
        int[][] idx = new int[queues][];
        for (int q = 0; q < queues; q++) {
            idx[q] = new int[n[q]];
            n[q] = 0;
        }
        for (int k = 0; k < stream.size(); k++) {
            int q = stream.get(k).queue().ordinal();
            idx[q][n[q]++] = k;
        }
        return idx;
    }
}
