package io.flightllm.cli;

import io.flightllm.arch.program.Bucket;
import io.flightllm.arch.program.FlpReader;
import io.flightllm.arch.program.Program;
import io.flightllm.sim.FunctionalSim;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * {@code bench --program P.flp --backend sim}: the functional simulator's own speed. Runs decode steps of the program
 * (random input rows: the speed does not depend on the values) at contexts 1, 2, ..., and reports the median wall time
 * per step and the instructions executed per second.
 */
final class SimBench {
    private SimBench() {
    }

    static void run(Path program, int steps, int warmup, Map<String, Object> report, Consumer<String> progress) {
        try (Arena arena = Arena.ofShared()) {
            FlpReader r = FlpReader.open(program, arena);
            Program p = r.program();
            if (p.options().shapesOnly()) {
                throw new Main.UserInputException(program + ": compiled with --shapes-only; the simulator needs a "
                        + "weight image (compile without --shapes-only)");
            }
            progress.accept("loading " + program + " into the simulator");
            FunctionalSim sim = FunctionalSim.load(p, r);
            int n = Math.min(steps + warmup, p.model().maxContext());
            if (n < steps + warmup) {
                progress.accept("the program serves " + p.model().maxContext() + " positions: timing "
                        + Math.max(0, n - warmup) + " decode steps, not " + steps + " (decode_steps in the report)");
            }
            SplittableRandom rnd = new SplittableRandom(1);
            float[] row = new float[p.model().dim()];
            List<Double> ms = new ArrayList<>();
            long instructions = 0;
            double seconds = 0;
            for (int pos = 0; pos < n; pos++) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = (float) (rnd.nextDouble() * 2 - 1);
                }
                Bucket b = p.bucketFor(Bucket.Kind.DECODE, pos + 1);
                long t0 = System.nanoTime();
                sim.writeInput(new float[][] {row});
                sim.setParams(pos, pos + 1, 1);
                sim.launch(b);
                sim.readLogits(1);
                long dt = System.nanoTime() - t0;
                progress.accept("decode step at context " + (pos + 1) + ": " + dt / 1_000_000 + " ms");
                if (pos >= warmup) {
                    ms.add(dt / 1e6);
                    instructions += b.instructions();
                    seconds += dt / 1e9;
                }
            }
            double[] sorted = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            report.put("program", program.toString());
            report.put("target", p.target().name());
            report.put("backend", "sim");
            report.put("decode_steps", sorted.length);
            report.put("sim_decode_step_ms", sorted.length == 0 ? 0 : round(sorted[sorted.length / 2]));
            report.put("sim_decode_step_runs_ms", ms.stream().map(SimBench::round).toList());
            report.put("sim_instructions_per_s", seconds == 0 ? 0 : Math.round(instructions / seconds));
            report.put("sim_counters", sim.counters().toMap());
            Arrays.fill(row, 0);
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
