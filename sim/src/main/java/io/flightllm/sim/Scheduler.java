package io.flightllm.sim;

import io.flightllm.arch.isa.Asm;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Queue;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs the six queues of every core under the token protocol of docs/isa.md "Tokens" (the model
 * {@link io.flightllm.arch.isa.check.TokenChecker} decides statically): per core one counter per ordered pair of
 * queues, starting at 0 and holding at most {@code depth}; an instruction starts when every counter of its wait set is
 * non-zero (taking one token from each) and completes when every counter of its release set is below the depth
 * (adding one to each); a SYS barrier completes when every core has started its SYS of the same index. The simulator
 * executes an instruction's work when it starts. When no queue can move and some are unfinished, the blocked heads
 * are diagnosed: a wait on a finished producer is an underflow, a release to a finished consumer an overflow, a
 * barrier some core never reaches a barrier error, and anything else a deadlock.
 */
final class Scheduler {
    private static final int Q = Queue.values().length;
    private static final int SYS = Queue.SYS.ordinal();
    private static final Queue[] QUEUES = Queue.values();

    /** Executes one instruction's work. */
    @FunctionalInterface
    interface Work {
        void execute(int core, int index, Instruction inst);
    }

    private final List<List<Instruction>> streams;
    private final int depth;
    private final Schedule schedule;
    private final Work work;
    private final int cores;
    private final int[][][] idx;
    /** Per core and queue, per position in the queue: the wait and release sets as bits by queue ordinal. */
    private final int[][][] waits;
    private final int[][][] releases;
    private final int[][] done;
    private final boolean[][] busy;
    private final int[][][] cnt;
    private final int[] sysStarted;
    private final int[] barrierOf;
    private final int[] arrivals;

    Scheduler(List<List<Instruction>> streams, int depth, Schedule schedule, Work work) {
        this.streams = streams;
        this.depth = depth;
        this.schedule = schedule;
        this.work = work;
        this.cores = streams.size();
        idx = new int[cores][Q][];
        waits = new int[cores][Q][];
        releases = new int[cores][Q][];
        done = new int[cores][Q];
        busy = new boolean[cores][Q];
        cnt = new int[cores][Q][Q];
        sysStarted = new int[cores];
        barrierOf = new int[cores];
        int maxSys = 0;
        for (int c = 0; c < cores; c++) {
            List<Instruction> s = streams.get(c);
            int[] n = new int[Q];
            for (Instruction i : s) {
                n[i.queue().ordinal()]++;
            }
            for (int q = 0; q < Q; q++) {
                idx[c][q] = new int[n[q]];
                waits[c][q] = new int[n[q]];
                releases[c][q] = new int[n[q]];
                n[q] = 0;
            }
            for (int k = 0; k < s.size(); k++) {
                Instruction i = s.get(k);
                int q = i.queue().ordinal();
                waits[c][q][n[q]] = i.waits().bits();
                releases[c][q][n[q]] = i.releases().bits();
                idx[c][q][n[q]++] = k;
            }
            maxSys = Math.max(maxSys, idx[c][SYS].length);
        }
        arrivals = new int[maxSys + 1];
    }

    void run() {
        boolean progress = true;
        while (progress) {
            progress = false;
            if (schedule == Schedule.GREEDY) {
                for (int c = 0; c < cores; c++) {
                    for (int q = 0; q < Q; q++) {
                        progress |= advance(c, q, Integer.MAX_VALUE);
                    }
                }
            } else {
                for (int c = cores - 1; c >= 0; c--) {
                    for (int q = Q - 1; q >= 0; q--) {
                        progress |= advance(c, q, 1);
                    }
                }
            }
        }
        if (!finished()) {
            throw diagnose();
        }
        leftovers();
    }

    private Instruction head(int c, int q) {
        return streams.get(c).get(idx[c][q][done[c][q]]);
    }

    private boolean queueFinished(int c, int q) {
        return done[c][q] == idx[c][q].length;
    }

    /** Starts and completes instructions of one queue, at most {@code steps} of them; true if any happened. */
    private boolean advance(int c, int q, int steps) {
        boolean any = false;
        int[][] count = cnt[c];
        for (int s = 0; s < steps; s++) {
            int at = done[c][q];
            if (busy[c][q]) {
                if (!canComplete(c, q)) {
                    return any;
                }
                for (int bits = releases[c][q][at]; bits != 0; bits &= bits - 1) {
                    count[q][Integer.numberOfTrailingZeros(bits)]++;
                }
                busy[c][q] = false;
                done[c][q]++;
            } else {
                if (at == idx[c][q].length) {
                    return any;
                }
                int w = waits[c][q][at];
                for (int bits = w; bits != 0; bits &= bits - 1) {
                    if (count[Integer.numberOfTrailingZeros(bits)][q] == 0) {
                        return any;
                    }
                }
                for (int bits = w; bits != 0; bits &= bits - 1) {
                    count[Integer.numberOfTrailingZeros(bits)][q]--;
                }
                if (q == SYS) {
                    barrierOf[c] = sysStarted[c]++;
                    arrivals[barrierOf[c]]++;
                }
                work.execute(c, idx[c][q][at], head(c, q));
                busy[c][q] = true;
            }
            any = true;
        }
        return any;
    }

    private boolean canComplete(int c, int q) {
        if (q == SYS && arrivals[barrierOf[c]] < cores) {
            return false;
        }
        for (int bits = releases[c][q][done[c][q]]; bits != 0; bits &= bits - 1) {
            if (cnt[c][q][Integer.numberOfTrailingZeros(bits)] >= depth) {
                return false;
            }
        }
        return true;
    }

    private boolean finished() {
        for (int c = 0; c < cores; c++) {
            for (int q = 0; q < Q; q++) {
                if (!queueFinished(c, q) || busy[c][q]) {
                    return false;
                }
            }
        }
        return true;
    }

    private String where(int c, int q) {
        int k = idx[c][q][done[c][q]];
        return "core " + c + " " + QUEUES[q] + " #" + k + " " + Asm.format(streams.get(c).get(k));
    }

    /** Why the blocked queues cannot move; the exception names the first blocked instruction of the worst kind. */
    private SimException diagnose() {
        List<String> lines = new ArrayList<>();
        SimException.Kind kind = SimException.Kind.DEADLOCK;
        int firstCore = -1;
        int firstIndex = -1;
        for (int c = 0; c < cores; c++) {
            for (int q = 0; q < Q; q++) {
                if (queueFinished(c, q)) {
                    continue;
                }
                Instruction i = head(c, q);
                SimException.Kind k = SimException.Kind.DEADLOCK;
                String why;
                if (busy[c][q] && q == SYS && arrivals[barrierOf[c]] < cores) {
                    List<Integer> missing = new ArrayList<>();
                    boolean never = false;
                    for (int d = 0; d < cores; d++) {
                        if (sysStarted[d] <= barrierOf[c]) {
                            missing.add(d);
                            never |= idx[d][SYS].length <= barrierOf[c];
                        }
                    }
                    why = "waits at barrier " + barrierOf[c] + " for core(s) " + missing
                            + (never ? ", and some of them have fewer SYS instructions" : "");
                    k = never ? SimException.Kind.BARRIER : k;
                } else if (busy[c][q]) {
                    List<String> full = new ArrayList<>();
                    for (int r = 0; r < Q; r++) {
                        if (i.releases().contains(QUEUES[r]) && cnt[c][q][r] >= depth) {
                            boolean gone = queueFinished(c, r) && !busy[c][r];
                            full.add(QUEUES[r] + (gone ? " (which has completed all its instructions)" : ""));
                            k = gone ? SimException.Kind.OVERFLOW : k;
                        }
                    }
                    why = "cannot release: counter(s) full (" + depth + " tokens) towards " + full;
                } else {
                    List<String> empty = new ArrayList<>();
                    for (int w = 0; w < Q; w++) {
                        if (i.waits().contains(QUEUES[w]) && cnt[c][w][q] == 0) {
                            boolean gone = queueFinished(c, w) && !busy[c][w];
                            empty.add(QUEUES[w] + (gone ? " (which has completed all its instructions)" : ""));
                            k = gone ? SimException.Kind.UNDERFLOW : k;
                        }
                    }
                    why = "waits for a token from " + empty;
                }
                lines.add(where(c, q) + " " + why);
                if (firstCore < 0 || (kind == SimException.Kind.DEADLOCK && k != SimException.Kind.DEADLOCK)) {
                    kind = k;
                    firstCore = c;
                    firstIndex = idx[c][q][done[c][q]];
                }
            }
        }
        return new SimException(kind, firstCore, firstIndex, "the launch cannot complete; blocked: "
                + String.join("; ", lines));
    }

    private void leftovers() {
        List<String> left = new ArrayList<>();
        int core = -1;
        for (int c = 0; c < cores; c++) {
            for (int a = 0; a < Q; a++) {
                for (int b = 0; b < Q; b++) {
                    if (cnt[c][a][b] > 0) {
                        left.add("core " + c + ": " + cnt[c][a][b] + " token(s) from " + QUEUES[a] + " to "
                                + QUEUES[b]);
                        core = core < 0 ? c : core;
                    }
                }
            }
        }
        if (!left.isEmpty()) {
            throw new SimException(SimException.Kind.UNBALANCED, core, -1, "every queue completed with tokens left"
                    + " that nothing takes: " + String.join("; ", left));
        }
    }
}
