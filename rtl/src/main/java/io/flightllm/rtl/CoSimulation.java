package io.flightllm.rtl;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.mpe.ChainPlan;
import io.flightllm.arch.mpe.Dequantizer;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Co-simulation: the Java model computes the expected outputs of every input, Verilator runs the generated RTL on the
 * same inputs (one per clock cycle), and the outputs are compared bit for bit, together with the throughput (one
 * input accepted per cycle: the run must take inputs + latency - 1 edges).
 */
public final class CoSimulation {
    /** At most this many mismatches are described per mode. */
    static final int SHOWN = 5;

    private final HardwareConfig config;
    private final Verilator verilator;
    private final List<RtlUnit> units;
    private final List<Harness> harnesses = new ArrayList<>();
    private Path sim;
    private Consumer<String> progress = line -> { };

    /** One unit in one mode: MV or MM, N. */
    public record ModeResult(String unit, String mode, int n, int vectors, int rows, int mismatches, long cycles,
                             int macsPerCycle, List<String> firstMismatches) {
    }

    /** The dequantizer at one weight width. */
    public record DequantResult(int bits, int vectors, int mismatches, List<String> firstMismatches) {
    }

    public record Report(String target, List<ModeResult> modes, List<DequantResult> dequant) {
        public boolean passed() {
            return modes.stream().allMatch(m -> m.mismatches() == 0)
                    && dequant.stream().allMatch(d -> d.mismatches() == 0);
        }
    }

    /**
     * Co-simulation of {@code units} of one configuration; they share one Verilator build, made (or reused) under
     * {@code cacheRoot}.
     */
    public CoSimulation(HardwareConfig config, Path cacheRoot, List<RtlUnit> units) {
        if (units.isEmpty()) {
            throw new IllegalArgumentException("no unit to co-simulate");
        }
        this.config = config;
        this.verilator = new Verilator(cacheRoot);
        this.units = List.copyOf(units);
        for (RtlUnit u : units) {
            harnesses.add(u == RtlUnit.DEQUANT ? new DequantHarness(config) : new ChainHarness(config, u));
        }
    }

    /**
     * Every chain unit in MV and MM mode at every supported N, {@code vectors} random inputs per mode plus the edge
     * cases (an MPU input drives all mvRows VPUs, so it gets ceil(vectors / mvRows) random inputs), and the
     * dequantizer at every weight width.
     */
    public Report verify(int vectors, long seed) {
        return verify(vectors, seed, line -> { });
    }

    /** As {@link #verify(int, long)}, reporting each finished mode (and the first build) to {@code progress}. */
    public Report verify(int vectors, long seed, Consumer<String> progress) {
        this.progress = progress;
        List<ModeResult> modes = new ArrayList<>();
        for (RtlUnit u : units) {
            if (u == RtlUnit.DEQUANT) {
                continue;
            }
            ChainPlan plan = u.plan(config);
            for (boolean mm : new boolean[] {false, true}) {
                for (int n : plan.modes()) {
                    ModeResult m = chain(u, n, mm, vectors, seed, UnaryOperator.identity());
                    progress.accept(m.unit() + " " + m.mode() + " N=" + m.n() + ": " + m.vectors() + " inputs, "
                            + m.mismatches() + " mismatches");
                    modes.add(m);
                }
            }
        }
        List<DequantResult> dq = new ArrayList<>();
        if (units.contains(RtlUnit.DEQUANT)) {
            for (int bits : config.mpe().weightBits()) {
                DequantResult d = dequant(bits, vectors, seed, UnaryOperator.identity());
                progress.accept("dequant " + bits + "-bit: " + d.vectors() + " inputs, " + d.mismatches()
                        + " mismatches");
                dq.add(d);
            }
        }
        return new Report(config.name(), modes, dq);
    }

    /** One chain unit in one mode; {@code expected} may alter the expected outputs (the tests' corrupted golden data). */
    ModeResult chain(RtlUnit unit, int n, boolean mm, int vectors, long seed, UnaryOperator<List<Stimulus>> expected) {
        ChainHarness h = (ChainHarness) harness(unit);
        int rows = h.rows();
        SplittableRandom r = new SplittableRandom(seed ^ (31L * n + (mm ? 7 : 0) + 1000L * unit.ordinal()));
        List<Stimulus> stim = new ArrayList<>();
        for (ChainVectors.Labeled l : ChainVectors.edges(h.plan(), rows, n, mm)) {
            stim.add(h.stimulus(l.label(), l.rows()));
        }
        int random = (vectors + rows - 1) / rows;
        for (ChainVectors.Labeled l : ChainVectors.random(h.plan(), rows, n, mm, random, r)) {
            stim.add(h.stimulus(l.label(), l.rows()));
        }
        Outcome o = simulate(h, expected.apply(stim));
        return new ModeResult(unit.id(), mm ? "mm" : "mv", n, stim.size(), stim.size() * rows, o.mismatches(),
                o.cycles(), rows * h.plan().macsPerCycle(mm), o.shown());
    }

    DequantResult dequant(int bits, int vectors, long seed, UnaryOperator<List<Stimulus>> expected) {
        DequantHarness h = (DequantHarness) harness(RtlUnit.DEQUANT);
        int bytes = h.lanes();
        SplittableRandom r = new SplittableRandom(seed ^ (97L * bits));
        List<Stimulus> stim = new ArrayList<>();
        byte[][] edges = {filled(bytes, 0x00), filled(bytes, 0xFF), filled(bytes, 0x55), filled(bytes, 0xAA),
                Dequantizer.pack(mostNegative(h.lanes(), bits), bits, bytes)};
        for (byte[] e : edges) {
            stim.add(h.stimulus("edge", bits, e));
        }
        for (int v = 0; v < vectors; v++) {
            byte[] line = new byte[bytes];
            r.nextBytes(line);
            // Bits past the lanes' codes are ignored by both sides; keep them random too.
            stim.add(h.stimulus("random", bits, line));
        }
        Outcome o = simulate(h, expected.apply(stim));
        return new DequantResult(bits, stim.size(), o.mismatches(), o.shown());
    }

    private static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    private static byte[] mostNegative(int lanes, int bits) {
        byte[] v = new byte[lanes];
        java.util.Arrays.fill(v, (byte) -(1 << (bits - 1)));
        return v;
    }

    private record Outcome(int mismatches, long cycles, List<String> shown) {
    }

    private Harness harness(RtlUnit unit) {
        int k = units.indexOf(unit);
        if (k < 0) {
            throw new IllegalArgumentException(unit.id() + " is not among the co-simulated units " + units);
        }
        return harnesses.get(k);
    }

    private Outcome simulate(Harness h, List<Stimulus> stim) {
        if (sim == null) {
            progress.accept("building the Verilator simulator of " + units.stream().map(RtlUnit::id).toList()
                    + " (cached after the first build; an MPU of many VPUs takes minutes)");
            sim = verilator.build(harnesses, config.name());
        }
        List<String> inputs = new ArrayList<>(stim.size());
        for (Stimulus s : stim) {
            inputs.add(h.in().hex(s.in()));
        }
        Verilator.Run run = verilator.run(sim, harnesses.indexOf(h), inputs);
        return compare(h, stim, run);
    }

    /** Counts inputs whose RTL output differs from the model's (a missing output counts), and checks the throughput. */
    static Outcome compare(Harness h, List<Stimulus> stim, Verilator.Run run) {
        int bad = 0;
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < stim.size(); i++) {
            Stimulus s = stim.get(i);
            if (i >= run.outputs().size()) {
                bad++;
                note(shown, "input " + i + " (" + s.label() + "): no output");
                continue;
            }
            BigInteger actual = new BigInteger(run.outputs().get(i), 16);
            if (!actual.equals(s.expected())) {
                bad++;
                note(shown, "input " + i + " (" + s.label() + "): " + h.describe(s.expected(), actual));
            }
        }
        if (run.outputs().size() > stim.size()) {
            bad += run.outputs().size() - stim.size();
            note(shown, (run.outputs().size() - stim.size()) + " extra outputs");
        }
        long expectedCycles = stim.size() + h.latency() - 1L;
        if (run.cycles() != expectedCycles) {
            bad++;
            note(shown, "throughput: " + run.cycles() + " cycles for " + stim.size() + " inputs; expected "
                    + expectedCycles + " (one input per cycle, latency " + h.latency() + ")");
        }
        return new Outcome(bad, run.cycles(), shown);
    }

    private static void note(List<String> shown, String s) {
        if (shown.size() < SHOWN) {
            shown.add(s);
        }
    }
}
