package io.flightllm.arch.isa.check;

import io.flightllm.arch.isa.Asm;
import io.flightllm.arch.isa.CoreStreams;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.isa.QueueSplit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether the token protocol can deadlock, by one greedy abstract execution (the argument is in
 * docs/isa.md, "Why one execution decides"). The model: per core a dispatcher hands the stream, in order, to six
 * queues (each holding at most {@code dispatchDepth} waiting instructions, 0 = unbounded); a queue runs one
 * instruction at a time, which <em>starts</em> when it holds a token from every queue in its wait set (taking them)
 * and <em>completes</em> when every counter of its release set is below the depth (adding one to each). A SYS
 * instruction completes only when every core has started its SYS of the same index. Every action is enabled by
 * counters only its own queue decreases (or, for the dispatcher, by queue space only the queue frees), so no action
 * ever disables another: the system is persistent, every maximal execution fires the same actions, and if the
 * greedy one gets stuck, every execution does. The counters and the barrier rule are {@link TokenCounters}, which the
 * timing model uses too.
 */
public final class TokenChecker {
    private static final int Q = Queue.values().length;
    private static final int DISPATCHER = Q;

    private final CoreStreams p;
    private final int depth;
    private final int dispatchDepth;
    private final int cores;
    private final int[][][] idx;
    private final int[] dp;
    private final int[][] dispatched;
    private final int[][] done;
    private final boolean[][] busy;
    private final TokenCounters tokens;
    private final int[][][] released;
    private final int[][][] taken;
    private final int[] barrierOf;

    private TokenChecker(CoreStreams p, int depth, int dispatchDepth) {
        this.p = p;
        this.depth = depth;
        this.dispatchDepth = dispatchDepth;
        this.cores = p.coreCount();
        idx = new int[cores][][];
        dp = new int[cores];
        dispatched = new int[cores][Q];
        done = new int[cores][Q];
        busy = new boolean[cores][Q];
        tokens = new TokenCounters(cores, depth);
        released = new int[cores][Q][Q];
        taken = new int[cores][Q][Q];
        barrierOf = new int[cores];
        for (int c = 0; c < cores; c++) {
            idx[c] = QueueSplit.of(p.core(c));
        }
    }

    /** The token violations of a program: deadlocks, underflows, overflows, barrier mismatches, leftovers. */
    public static List<Violation> check(CoreStreams p, int depth, int dispatchDepth) {
        if (depth < 1 || dispatchDepth < 0) {
            throw new IllegalArgumentException("token depth " + depth + ", dispatch depth " + dispatchDepth);
        }
        TokenChecker t = new TokenChecker(p, depth, dispatchDepth);
        t.run();
        return t.finished() ? t.leftovers() : t.diagnose();
    }

    private Instruction inst(int c, int q) {
        return p.core(c).get(idx[c][q][done[c][q]]);
    }

    private int started(int c, int q) {
        return done[c][q] + (busy[c][q] ? 1 : 0);
    }

    private boolean queueFinished(int c, int q) {
        return done[c][q] == idx[c][q].length;
    }

    private void run() {
        for (int c = 0; c < cores && dispatchDepth == 0; c++) {
            dp[c] = p.core(c).size();
            for (int q = 0; q < Q; q++) {
                dispatched[c][q] = idx[c][q].length;
            }
        }
        boolean progress = true;
        while (progress) {
            progress = false;
            for (int c = 0; c < cores; c++) {
                progress |= dispatch(c);
                for (int q = 0; q < Q; q++) {
                    progress |= advance(c, q);
                }
            }
        }
    }

    private boolean dispatch(int c) {
        boolean any = false;
        List<Instruction> s = p.core(c);
        while (dp[c] < s.size()) {
            int q = s.get(dp[c]).queue().ordinal();
            if (dispatched[c][q] - started(c, q) >= dispatchDepth) {
                break;
            }
            dispatched[c][q]++;
            dp[c]++;
            any = true;
        }
        return any;
    }

    /** Completes and starts instructions of one queue while it can; true if anything happened. */
    private boolean advance(int c, int q) {
        boolean any = false;
        while (true) {
            if (busy[c][q]) {
                if (!canComplete(c, q)) {
                    return any;
                }
                int rel = inst(c, q).releases().bits();
                tokens.release(c, q, rel);
                for (Queue r : inst(c, q).releases().toSet()) {
                    released[c][q][r.ordinal()]++;
                }
                busy[c][q] = false;
                done[c][q]++;
            } else {
                if (started(c, q) >= dispatched[c][q] || !canStart(c, q)) {
                    return any;
                }
                tokens.take(c, q, inst(c, q).waits().bits());
                for (Queue w : inst(c, q).waits().toSet()) {
                    taken[c][w.ordinal()][q]++;
                }
                if (q == Queue.SYS.ordinal()) {
                    barrierOf[c] = tokens.arrive(c);
                }
                busy[c][q] = true;
            }
            any = true;
        }
    }

    private boolean canStart(int c, int q) {
        return tokens.canTake(c, q, inst(c, q).waits().bits());
    }

    private boolean canComplete(int c, int q) {
        if (q == Queue.SYS.ordinal() && !tokens.barrierReached(barrierOf[c])) {
            return false;
        }
        return tokens.canRelease(c, q, inst(c, q).releases().bits());
    }

    private boolean finished() {
        for (int c = 0; c < cores; c++) {
            for (int q = 0; q < Q; q++) {
                if (!queueFinished(c, q)) {
                    return false;
                }
            }
        }
        return true;
    }

    private List<Violation> leftovers() {
        List<Violation> v = new ArrayList<>();
        for (int c = 0; c < cores; c++) {
            for (int a = 0; a < Q; a++) {
                for (int b = 0; b < Q; b++) {
                    if (tokens.count(c, a, b) > 0) {
                        v.add(new Violation(Violation.Kind.UNBALANCED, c, -1, "core " + c + ": " + tokens.count(c, a, b)
                                + " token(s) from " + Queue.values()[a] + " to " + Queue.values()[b]
                                + " are never taken (" + Queue.values()[a] + " released " + released[c][a][b] + ", "
                                + Queue.values()[b] + " took " + taken[c][a][b] + ")"));
                    }
                }
            }
        }
        return v;
    }

    private String describe(int c, int q) {
        int k = idx[c][q][done[c][q]];
        return "core " + c + " #" + k + " " + Asm.format(p.core(c).get(k));
    }

    private String shortNode(int c, int n) {
        return n == DISPATCHER ? "core " + c + " dispatcher" : "core " + c + " #" + idx[c][n][done[c][n]];
    }

    private String node(int c, int n) {
        return n == DISPATCHER ? "core " + c + " dispatcher" : describe(c, n);
    }

    /** A blocked node's reasons: edges to the nodes it waits for, or terminal violations. */
    private List<Violation> diagnose() {
        List<Violation> out = new ArrayList<>();
        Map<Integer, List<int[]>> edges = new LinkedHashMap<>();
        Map<Integer, List<String>> why = new LinkedHashMap<>();
        for (int c = 0; c < cores; c++) {
            for (int q = 0; q < Q; q++) {
                if (queueFinished(c, q)) {
                    continue;
                }
                int id = c * (Q + 1) + q;
                List<int[]> e = new ArrayList<>();
                List<String> w = new ArrayList<>();
                edges.put(id, e);
                why.put(id, w);
                Instruction i = inst(c, q);
                int k = idx[c][q][done[c][q]];
                Queue self = Queue.values()[q];
                if (busy[c][q]) {
                    if (q == Queue.SYS.ordinal() && !tokens.barrierReached(barrierOf[c])) {
                        int bar = barrierOf[c];
                        for (int d = 0; d < cores; d++) {
                            if (tokens.sysStarted(d) > bar) {
                                continue;
                            }
                            if (idx[d][q].length <= bar) {
                                out.add(new Violation(Violation.Kind.BARRIER, c, k, describe(c, q)
                                        + " is barrier " + bar + " of core " + c + ", but core " + d + " has only "
                                        + idx[d][q].length + " SYS instruction(s): the barrier never completes"));
                            } else {
                                e.add(new int[] {d, q});
                                w.add("waits at barrier " + bar + " for core " + d);
                            }
                        }
                        continue;
                    }
                    for (Queue r : i.releases().toSet()) {
                        int ro = r.ordinal();
                        if (tokens.count(c, q, ro) < depth) {
                            continue;
                        }
                        if (queueFinished(c, ro)) {
                            out.add(new Violation(Violation.Kind.OVERFLOW, c, k, describe(c, q) + " cannot release"
                                    + " to " + r + ": the " + self + "->" + r + " counter is full (" + depth
                                    + " tokens) and " + r + " has completed all its instructions"));
                        } else {
                            e.add(new int[] {c, ro});
                            w.add("cannot release to " + r + " (counter full)");
                        }
                    }
                } else if (started(c, q) >= dispatched[c][q]) {
                    e.add(new int[] {c, DISPATCHER});
                    w.add("is not dispatched yet");
                } else {
                    for (Queue s : i.waits().toSet()) {
                        int so = s.ordinal();
                        if (tokens.count(c, so, q) > 0) {
                            continue;
                        }
                        if (queueFinished(c, so)) {
                            out.add(new Violation(Violation.Kind.UNDERFLOW, c, k, describe(c, q) + " waits for a "
                                    + "token from " + s + ", but " + s + " has completed all its instructions ("
                                    + s + " released " + released[c][so][q] + " token(s) to " + self + ", all taken)"));
                        } else {
                            e.add(new int[] {c, so});
                            w.add("waits for a token from " + s);
                        }
                    }
                }
            }
            if (dp[c] < p.core(c).size()) {
                int q = p.core(c).get(dp[c]).queue().ordinal();
                int id = c * (Q + 1) + DISPATCHER;
                edges.put(id, List.<int[]>of(new int[] {c, q}));
                why.put(id, List.of("cannot hand #" + dp[c] + " to " + Queue.values()[q] + " (queue full)"));
            }
        }
        out.addAll(cycles(edges, why));
        if (out.isEmpty()) {
            out.add(new Violation(Violation.Kind.DEADLOCK, -1, -1, "the program cannot complete (no cycle found; "
                    + "blocked: " + edges.keySet() + ")"));
        }
        return out;
    }

    /** Follows each blocked node's first edge until a node repeats: each such loop is a deadlock cycle. */
    private List<Violation> cycles(Map<Integer, List<int[]>> edges, Map<Integer, List<String>> why) {
        List<Violation> out = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        for (int start : edges.keySet()) {
            List<Integer> path = new ArrayList<>();
            int n = start;
            while (!seen.contains(n) && edges.containsKey(n) && !edges.get(n).isEmpty()) {
                seen.add(n);
                path.add(n);
                int[] to = edges.get(n).getFirst();
                n = to[0] * (Q + 1) + to[1];
            }
            int at = path.indexOf(n);
            if (at < 0) {
                continue;
            }
            StringBuilder b = new StringBuilder("deadlock: ");
            for (int j = at; j < path.size(); j++) {
                int id = path.get(j);
                b.append(node(id / (Q + 1), id % (Q + 1))).append(' ').append(why.get(id).getFirst())
                        .append(" -> ");
            }
            b.append("back to ").append(shortNode(n / (Q + 1), n % (Q + 1)));
            int first = path.get(at);
            int fc = first / (Q + 1);
            int fq = first % (Q + 1);
            out.add(new Violation(Violation.Kind.DEADLOCK, fc,
                    fq == DISPATCHER ? dp[fc] : idx[fc][fq][done[fc][fq]], b.toString()));
        }
        return out;
    }

}
