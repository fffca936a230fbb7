package io.flightllm.arch.isa.check;

import io.flightllm.arch.isa.Queue;

import java.util.Arrays;

/**
 * The token state of DESIGN.md, shared by the static checker ({@link TokenChecker}) and the timing model, so the two
 * cannot disagree on when an instruction may start or complete: per core one counter per ordered pair of queues,
 * starting at 0 and holding at most {@code depth} tokens; an instruction starts when every counter of its wait set is
 * non-zero (taking one token from each) and completes when every counter of its release set is below the depth (adding
 * one to each); the k-th SYS of a core completes only when every core has started its k-th SYS.
 *
 * <p>Queue sets are bit sets over {@link Queue#ordinal()} (as {@link io.flightllm.arch.isa.QueueSet#bits()} holds
 * them).
 */
public final class TokenCounters {
    private static final int Q = Queue.values().length;

    private final int depth;
    private final int cores;
    private final int[] count;
    private final int[] sysStarted;
    private int[] arrivals = new int[16];

    public TokenCounters(int cores, int depth) {
        if (cores < 1 || depth < 1) {
            throw new IllegalArgumentException("token counters for " + cores + " cores of depth " + depth);
        }
        this.cores = cores;
        this.depth = depth;
        this.count = new int[cores * Q * Q];
        this.sysStarted = new int[cores];
    }

    public int depth() {
        return depth;
    }

    /** Tokens queue {@code from} has released to queue {@code to} on {@code core} and {@code to} has not taken. */
    public int count(int core, int from, int to) {
        return count[(core * Q + from) * Q + to];
    }

    /** Whether queue {@code queue} of {@code core} holds a token from every queue of {@code waits}. */
    public boolean canTake(int core, int queue, int waits) {
        for (int w = waits; w != 0; w &= w - 1) {
            if (count[(core * Q + Integer.numberOfTrailingZeros(w)) * Q + queue] == 0) {
                return false;
            }
        }
        return true;
    }

    /** Takes one token from every queue of {@code waits} (the caller checked {@link #canTake}). */
    public void take(int core, int queue, int waits) {
        for (int w = waits; w != 0; w &= w - 1) {
            count[(core * Q + Integer.numberOfTrailingZeros(w)) * Q + queue]--;
        }
    }

    /** Whether every counter from {@code queue} to the queues of {@code releases} has room for one more token. */
    public boolean canRelease(int core, int queue, int releases) {
        for (int r = releases; r != 0; r &= r - 1) {
            if (count[(core * Q + queue) * Q + Integer.numberOfTrailingZeros(r)] >= depth) {
                return false;
            }
        }
        return true;
    }

    /** Adds one token to every counter from {@code queue} to the queues of {@code releases}. */
    public void release(int core, int queue, int releases) {
        for (int r = releases; r != 0; r &= r - 1) {
            count[(core * Q + queue) * Q + Integer.numberOfTrailingZeros(r)]++;
        }
    }

    /** Records that {@code core} started its next SYS; returns that barrier's index. */
    public int arrive(int core) {
        int b = sysStarted[core]++;
        if (b >= arrivals.length) {
            arrivals = Arrays.copyOf(arrivals, 2 * b + 2);
        }
        arrivals[b]++;
        return b;
    }

    /** SYS instructions {@code core} has started. */
    public int sysStarted(int core) {
        return sysStarted[core];
    }

    /** Whether every core has started its SYS of index {@code barrier}, so the barrier's SYS may complete. */
    public boolean barrierReached(int barrier) {
        return barrier < arrivals.length && arrivals[barrier] == cores;
    }

    /** Whether any counter of any core holds a token. */
    public boolean anyLeft() {
        for (int c : count) {
            if (c != 0) {
                return true;
            }
        }
        return false;
    }
}
