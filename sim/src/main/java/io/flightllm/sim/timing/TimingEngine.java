package io.flightllm.sim.timing;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.TimingSpec;
import io.flightllm.arch.isa.CoreStreams;
import io.flightllm.arch.isa.InstructionException;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.isa.QueueSet;
import io.flightllm.arch.isa.check.TokenChecker;
import io.flightllm.arch.isa.check.TokenCounters;
import io.flightllm.arch.isa.check.Violation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The event-driven timing model of DESIGN.md: per core six in-order queues under the token protocol of
 * {@link TokenCounters} (the static checker's model), HBM channels with a peak rate and own/cross-channel efficiencies,
 * the MPE and SFU cycle rules of {@link CostModel}, and barriers across cores. Time advances from event to event (an
 * instruction's start or the end of its work), never cycle by cycle.
 *
 * <p>An instruction starts when its queue is free and it holds a token from every queue it waits on; it completes
 * when its work has ended and every counter it releases to has room, in program order within its queue. The load
 * unit keeps up to {@code timing.loadsInFlight} loads in flight (issuing one every {@code timing.loadIssueCycles}); a
 * transfer occupies its HBM channel, so loads on one channel queue behind each other (first come, first served) while
 * loads on different channels overlap, and the data arrives {@code timing.hbmLatencyNs} after the transfer. Every
 * other queue runs one instruction at a time. A SYS ends {@code timing.barrierCycles} after the last core reached the
 * barrier.
 */
public final class TimingEngine {
    private static final int Q = Queue.values().length;
    private static final int LD = Queue.LD.ordinal();
    private static final int ST = Queue.ST.ordinal();
    private static final int SYS = Queue.SYS.ordinal();
    private static final double NEVER = Double.POSITIVE_INFINITY;
    private static final Kind[] KINDS = Kind.values();
    private static final int HBM_LOAD = Kind.HBM_LOAD.ordinal();
    private static final int DDR_LOAD = Kind.DDR_LOAD.ordinal();
    /** [queue][5-bit mask] -> the queue set as ordinal bits. */
    private static final byte[][] MASK_BITS = new byte[Q][32];

    static {
        for (Queue q : Queue.values()) {
            for (int m = 0; m < 32; m++) {
                MASK_BITS[q.ordinal()][m] = (byte) QueueSet.fromMask(q, m).bits();
            }
        }
    }

    private final CostModel costs;
    private final HardwareConfig hw;
    private final TimingSpec spec;
    private final int tokenDepth;
    private final double[] rate = new double[2];
    private final double ddrRate;
    private final double latency;
    private final int[] channelOwner;

    public TimingEngine(CostModel costs, int tokenDepth) {
        this.costs = costs;
        this.hw = costs.hw();
        if (hw.timing() == null) {
            throw new TimingException("hardware config '" + hw.name() + "' has no 'timing' section; give one or start"
                    + " from a preset (\"base\": \"u280\"), see docs/hardware.md");
        }
        this.spec = hw.timing();
        this.tokenDepth = tokenDepth;
        double perChannel = hw.hbm().channelPeakBytesPerSecond() / hw.clockHz();
        rate[0] = perChannel * hw.hbm().ownChannelEfficiency();
        rate[1] = perChannel * hw.hbm().crossChannelEfficiency();
        ddrRate = spec.ddrGBps() * 1e9 / hw.clockHz();
        latency = spec.hbmLatencyNs() * 1e-9 * hw.clockHz();
        channelOwner = new int[hw.hbm().channels()];
        for (int ch = 0; ch < channelOwner.length; ch++) {
            channelOwner[ch] = hw.coreOfChannel(ch);
        }
    }

    public HardwareConfig hw() {
        return hw;
    }

    /** One core's stream, flattened for the event loop. */
    private static final class Stream {
        int n;
        byte[] queue;
        byte[] waits;
        byte[] releases;
        byte[] kind;
        int[] channel;
        long[] bytes;
        double[] cycles;
        int[][] order = new int[Q][];
    }

    /** Times one launch; {@code trace} may be null. */
    public LaunchTiming run(Launch launch, TraceSink trace) {
        int cores = launch.cores();
        if (cores < 1 || cores > hw.cores()) {
            throw new TimingException("the launch has " + cores + " streams; " + hw.name() + " has " + hw.cores()
                    + " cores");
        }
        Stream[] streams = new Stream[cores];
        long[] totals = new long[6];
        for (int c = 0; c < cores; c++) {
            streams[c] = flatten(c, launch.words().get(c), launch.densities(c), totals);
        }
        return new Run(streams, trace).execute(launch, totals);
    }

    private Stream flatten(int core, int[] words, byte[][] densities, long[] totals) {
        int cap = Math.max(16, words.length / 6);
        Stream s = new Stream();
        s.queue = new byte[cap];
        s.waits = new byte[cap];
        s.releases = new byte[cap];
        s.kind = new byte[cap];
        s.channel = new int[cap];
        s.bytes = new long[cap];
        s.cycles = new double[cap];
        int[] perQueue = new int[Q];
        int matrix = 0;
        int i = 0;
        for (int at = 0; at < words.length; i++) {
            Cost c;
            try {
                c = costs.cost(words, at, i);
            } catch (InstructionException e) {
                throw new TimingException("core " + core + ": " + e.getMessage(), e);
            }
            if (i == s.queue.length) {
                int n = 2 * i;
                s.queue = Arrays.copyOf(s.queue, n);
                s.waits = Arrays.copyOf(s.waits, n);
                s.releases = Arrays.copyOf(s.releases, n);
                s.kind = Arrays.copyOf(s.kind, n);
                s.channel = Arrays.copyOf(s.channel, n);
                s.bytes = Arrays.copyOf(s.bytes, n);
                s.cycles = Arrays.copyOf(s.cycles, n);
            }
            int q = c.queue();
            s.queue[i] = (byte) q;
            s.waits[i] = MASK_BITS[q][words[at] >>> 23 & 0x1f];
            s.releases[i] = MASK_BITS[q][words[at] >>> 18 & 0x1f];
            s.kind[i] = (byte) c.kind().ordinal();
            s.channel[i] = c.channel();
            s.bytes[i] = c.offChipBytes();
            s.cycles[i] = c.cycles();
            perQueue[q]++;
            if (c.channel() >= hw.hbm().channels()) {
                throw new TimingException("core " + core + " instruction " + i + ": " + Queue.values()[q]
                        + " addresses HBM channel " + c.channel() + "; " + hw.name() + " has "
                        + hw.hbm().channels());
            }
            if (c.kind() == Kind.MATRIX) {
                if (densities != null) {
                    if (matrix >= densities.length) {
                        throw new TimingException("core " + core + ": density entries for " + densities.length
                                + " matrix instructions, the stream has more");
                    }
                    if (densities[matrix] != null) {
                        try {
                            s.cycles[i] = costs.matrixCycles(c, costs.densityWork(c, densities[matrix], core, i));
                        } catch (IllegalArgumentException e) {
                            throw new TimingException(e.getMessage(), e);
                        }
                    }
                }
                matrix++;
            }
            totals[0] += c.macs();
            totals[1] += c.onChipBytes();
            switch (c.kind()) {
                case HBM_LOAD, HBM_STORE -> {
                    totals[c.kind() == Kind.HBM_LOAD ? 2 : 3] += c.offChipBytes();
                    if (channelOwner[c.channel()] != core) {
                        totals[4] += c.offChipBytes();
                    }
                }
                case DDR_LOAD, DDR_STORE -> totals[5] += c.offChipBytes();
                default -> { }
            }
            at += Isa.formatOfOpcode(words[at] >>> 28).words();
        }
        if (densities != null && matrix != densities.length) {
            throw new TimingException("core " + core + ": density entries for " + densities.length
                    + " matrix instructions, the stream has " + matrix);
        }
        s.n = i;
        for (int q = 0; q < Q; q++) {
            s.order[q] = new int[perQueue[q]];
            perQueue[q] = 0;
        }
        for (int k = 0; k < s.n; k++) {
            int q = s.queue[k];
            s.order[q][perQueue[q]++] = k;
        }
        return s;
    }

    /** The state of one execution. */
    private final class Run {
        private final Stream[] streams;
        private final TraceSink trace;
        private final int cores;
        private final TokenCounters tokens;
        private final EventHeap heap = new EventHeap();
        private final int[] next;
        private final int[] limit;
        private final double[] issueFree;
        private final int[][] fifoIdx;
        private final double[][] fifoStart;
        private final double[][] fifoEnd;
        private final int[] fifoHead;
        private final int[] fifoSize;
        private final boolean[] waitingTokens;
        private final boolean[] blockedRelease;
        private final double[] startPending;
        private final double[] finishPending;
        private final double[] busyUntil;
        private final double[][] busy;
        private final double[] channelFree;
        private final double[] channelBusy;
        private final long[] channelBytes;
        private double ddrFree;
        private double[] barrierArrival = new double[64];
        private long completed;
        private long total;
        private double makespan;

        Run(Stream[] streams, TraceSink trace) {
            this.streams = streams;
            this.trace = trace;
            this.cores = streams.length;
            this.tokens = new TokenCounters(cores, tokenDepth);
            int n = cores * Q;
            next = new int[n];
            limit = new int[n];
            issueFree = new double[n];
            fifoIdx = new int[n][];
            fifoStart = new double[n][];
            fifoEnd = new double[n][];
            fifoHead = new int[n];
            fifoSize = new int[n];
            waitingTokens = new boolean[n];
            blockedRelease = new boolean[n];
            startPending = new double[n];
            finishPending = new double[n];
            busyUntil = new double[n];
            busy = new double[cores][Q];
            Arrays.fill(startPending, NEVER);
            Arrays.fill(finishPending, NEVER);
            for (int s = 0; s < n; s++) {
                limit[s] = s % Q == LD ? spec.loadsInFlight() : 1;
                fifoIdx[s] = new int[limit[s]];
                fifoStart[s] = new double[limit[s]];
                fifoEnd[s] = new double[limit[s]];
            }
            channelFree = new double[hw.hbm().channels()];
            channelBusy = new double[channelFree.length];
            channelBytes = new long[channelFree.length];
            for (Stream st : streams) {
                total += st.n;
            }
        }

        LaunchTiming execute(Launch launch, long[] totals) {
            for (int s = 0; s < cores * Q; s++) {
                scheduleStart(s, 0);
            }
            while (!heap.isEmpty()) {
                double t = heap.peekTime();
                int p = heap.peekPayload();
                heap.pop();
                if ((p & 1) == 0) {
                    tryStart(p >>> 1, t);
                } else {
                    tryFinish(p >>> 1, t);
                }
            }
            if (completed < total) {
                throw new TimingException(stuck(launch));
            }
            long[][] counts = new long[cores][Q];
            for (int c = 0; c < cores; c++) {
                for (int q = 0; q < Q; q++) {
                    counts[c][q] = streams[c].order[q].length;
                }
            }
            return new LaunchTiming(makespan, hw.clockHz(), counts, busy, channelBusy, channelBytes, totals[2],
                    totals[3], totals[4], totals[5], totals[1], totals[0]);
        }

        private void scheduleStart(int s, double t) {
            if (startPending[s] <= t) {
                return;
            }
            startPending[s] = t;
            heap.push(t, s << 1);
        }

        private void scheduleFinish(int s, double t) {
            if (finishPending[s] <= t) {
                return;
            }
            finishPending[s] = t;
            heap.push(t, s << 1 | 1);
        }

        private void tryStart(int s, double t) {
            if (startPending[s] == t) {
                startPending[s] = NEVER;
            }
            int c = s / Q;
            int q = s % Q;
            Stream st = streams[c];
            if (next[s] == st.order[q].length || fifoSize[s] == limit[s]) {
                return;
            }
            if (t < issueFree[s]) {
                scheduleStart(s, issueFree[s]);
                return;
            }
            int i = st.order[q][next[s]];
            int w = st.waits[i];
            if (!tokens.canTake(c, q, w)) {
                waitingTokens[s] = true;
                return;
            }
            waitingTokens[s] = false;
            tokens.take(c, q, w);
            for (int b = w; b != 0; b &= b - 1) {
                int sp = c * Q + Integer.numberOfTrailingZeros(b);
                if (blockedRelease[sp]) {
                    scheduleFinish(sp, t);
                }
            }
            next[s]++;
            double end = work(c, q, st, i, t);
            issueFree[s] = t + (q == LD ? spec.loadIssueCycles() : q == ST ? spec.storeIssueCycles() : 0);
            int slot = (fifoHead[s] + fifoSize[s]) % limit[s];
            fifoIdx[s][slot] = i;
            fifoStart[s][slot] = t;
            fifoEnd[s][slot] = end;
            fifoSize[s]++;
            if (q == SYS) {
                arrive(c, t);
            } else {
                account(s, t, end);
                if (fifoSize[s] == 1) {
                    scheduleFinish(s, end);
                }
            }
            if (fifoSize[s] < limit[s]) {
                scheduleStart(s, Math.max(t, issueFree[s]));
            }
        }

        /** When the work of instruction {@code i} (queue q of core c) that starts at {@code t} ends. */
        private double work(int c, int q, Stream st, int i, double t) {
            return switch (KINDS[st.kind[i]]) {
                case HBM_LOAD, HBM_STORE -> {
                    int ch = st.channel[i];
                    boolean load = st.kind[i] == HBM_LOAD;
                    double ready = t + (load ? spec.loadIssueCycles() : spec.storeIssueCycles());
                    double begin = Math.max(ready, channelFree[ch]);
                    double d = st.bytes[i] / rate[channelOwner[ch] == c ? 0 : 1];
                    channelFree[ch] = begin + d;
                    channelBusy[ch] += d;
                    channelBytes[ch] += st.bytes[i];
                    yield begin + d + (load ? latency : 0);
                }
                case DDR_LOAD, DDR_STORE -> {
                    boolean load = st.kind[i] == DDR_LOAD;
                    double ready = t + (load ? spec.loadIssueCycles() : spec.storeIssueCycles());
                    double begin = Math.max(ready, ddrFree);
                    ddrFree = begin + st.bytes[i] / ddrRate;
                    yield ddrFree + (load ? latency : 0);
                }
                case ZERO_LOAD -> t + spec.loadIssueCycles() + st.cycles[i];
                case MATRIX, SFU -> t + st.cycles[i];
                case BARRIER -> NEVER;
            };
        }

        private void account(int s, double start, double end) {
            busy[s / Q][s % Q] += Math.max(0, end - Math.max(start, busyUntil[s]));
            busyUntil[s] = Math.max(busyUntil[s], end);
        }

        /** Core c reached its next barrier at t; when it is the last, every core's SYS ends after the handshake. */
        private void arrive(int c, double t) {
            int b = tokens.arrive(c);
            if (b >= barrierArrival.length) {
                barrierArrival = Arrays.copyOf(barrierArrival, 2 * b + 2);
            }
            barrierArrival[b] = Math.max(barrierArrival[b], t);
            if (!tokens.barrierReached(b)) {
                return;
            }
            double release = barrierArrival[b] + spec.barrierCycles();
            for (int d = 0; d < cores; d++) {
                int sd = d * Q + SYS;
                int h = fifoHead[sd];
                fifoEnd[sd][h] = release;
                account(sd, fifoStart[sd][h], release);
                scheduleFinish(sd, release);
            }
        }

        private void tryFinish(int s, double t) {
            if (finishPending[s] == t) {
                finishPending[s] = NEVER;
            }
            if (fifoSize[s] == 0) {
                return;
            }
            int h = fifoHead[s];
            double end = fifoEnd[s][h];
            if (end > t) {
                if (end != NEVER) {
                    scheduleFinish(s, end);
                }
                return;
            }
            int c = s / Q;
            int q = s % Q;
            Stream st = streams[c];
            int i = fifoIdx[s][h];
            int r = st.releases[i];
            if (!tokens.canRelease(c, q, r)) {
                blockedRelease[s] = true;
                return;
            }
            blockedRelease[s] = false;
            tokens.release(c, q, r);
            fifoHead[s] = (h + 1) % limit[s];
            fifoSize[s]--;
            completed++;
            makespan = Math.max(makespan, t);
            if (trace != null) {
                trace.instruction(c, q, i, fifoStart[s][h], end, t);
            }
            for (int b = r; b != 0; b &= b - 1) {
                int sr = c * Q + Integer.numberOfTrailingZeros(b);
                if (waitingTokens[sr]) {
                    scheduleStart(sr, t);
                }
            }
            if (fifoSize[s] > 0) {
                double e = fifoEnd[s][fifoHead[s]];
                if (e != NEVER) {
                    scheduleFinish(s, Math.max(t, e));
                }
            }
            scheduleStart(s, Math.max(t, issueFree[s]));
        }

        /** Why the launch cannot complete: the static checker's diagnosis of the same token model. */
        private String stuck(Launch launch) {
            List<String> heads = new ArrayList<>();
            for (int c = 0; c < cores; c++) {
                for (int q = 0; q < Q; q++) {
                    int s = c * Q + q;
                    if (next[s] < streams[c].order[q].length || fifoSize[s] > 0) {
                        heads.add("core " + c + " " + Queue.values()[q]);
                    }
                }
            }
            String why;
            try {
                List<List<io.flightllm.arch.isa.Instruction>> decoded = new ArrayList<>();
                for (int[] w : launch.words()) {
                    decoded.add(Isa.decode(w));
                }
                List<Violation> v = TokenChecker.check(new CoreStreams(decoded), tokenDepth, 0);
                why = v.isEmpty() ? "" : ": " + v.getFirst().message()
                        + (v.size() > 1 ? " (and " + (v.size() - 1) + " more)" : "");
            } catch (RuntimeException e) {
                why = "";
            }
            return "the launch cannot complete under the token protocol (" + completed + " of " + total
                    + " instructions done; blocked: " + String.join(", ", heads) + ")" + why;
        }
    }
}
