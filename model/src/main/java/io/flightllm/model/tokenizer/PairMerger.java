package io.flightllm.model.tokenizer;

import java.util.PriorityQueue;

/**
 * Greedy pair merging shared by both BPE flavours: repeatedly merge the adjacent pair with the best (lowest)
 * priority, the leftmost among equals, until no pair merges. This is the order of the naive "scan all pairs, merge the
 * best, repeat" loop (run.c's, and HF's rank BPE), computed in O(n log n) with a linked list and a heap of candidate
 * pairs; candidates made stale by an earlier merge are skipped when popped. Tokens never change relative order, so a
 * node's original index orders pairs exactly as the current index would.
 */
final class PairMerger {
    /** The merge rule: for an adjacent pair, its priority (lower merges first) and the merged id. */
    interface Rule {
        /** The merged id of (left, right), or -1 when the pair does not merge; its priority goes to {@code out[0]}. */
        int merge(int left, int right, double[] out);
    }

    private PairMerger() {
    }

    /** Merges {@code ids[0..n)} in place and returns the new length. */
    static int merge(int[] ids, int n, Rule rule) {
        if (n < 2) {
            return n;
        }
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        PriorityQueue<Candidate> heap = new PriorityQueue<>();
        double[] priority = new double[1];
        for (int i = 0; i + 1 < n; i++) {
            offer(heap, rule, priority, ids, i, i + 1);
        }
        while (!heap.isEmpty()) {
            Candidate c = heap.poll();
            if (dead[c.left] || dead[c.right] || next[c.left] != c.right || ids[c.left] != c.leftId
                    || ids[c.right] != c.rightId) {
                continue;
            }
            ids[c.left] = c.mergedId;
            dead[c.right] = true;
            next[c.left] = next[c.right];
            if (next[c.right] >= 0) {
                prev[next[c.right]] = c.left;
            }
            if (prev[c.left] >= 0) {
                offer(heap, rule, priority, ids, prev[c.left], c.left);
            }
            if (next[c.left] >= 0) {
                offer(heap, rule, priority, ids, c.left, next[c.left]);
            }
        }
        int m = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            ids[m++] = ids[i];
        }
        return m;
    }

    private static void offer(PriorityQueue<Candidate> heap, Rule rule, double[] priority, int[] ids, int left,
                              int right) {
        int merged = rule.merge(ids[left], ids[right], priority);
        if (merged >= 0) {
            heap.add(new Candidate(priority[0], left, right, ids[left], ids[right], merged));
        }
    }

    private record Candidate(double priority, int left, int right, int leftId, int rightId, int mergedId)
            implements Comparable<Candidate> {
        @Override
        public int compareTo(Candidate o) {
            if (priority != o.priority) { // '==' semantics: -0.0 and 0.0 tie, as the naive loop's '>' treats them
                return priority < o.priority ? -1 : 1;
            }
            return Integer.compare(left, o.left);
        }
    }
}
