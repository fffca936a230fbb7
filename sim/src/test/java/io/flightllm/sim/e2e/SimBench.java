package io.flightllm.sim.e2e;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.program.FlpReader;
import io.flightllm.compiler.CompileOptions;
import io.flightllm.compiler.Compiler;
import io.flightllm.compiler.pack.RandomWeights;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.model.ModelConfig;
import io.flightllm.sim.FunctionalSim;
import io.flightllm.sim.Schedule;
import io.flightllm.sim.SimOptions;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A timing harness (not a unit test) for docs/sim.md: the wall time of one simulated decode step of stories260K and of
 * a 2-layer slice of LLaMA2-7B's shape (random compressed weights, profile {@code paper}), with the split between
 * the units from {@link FunctionalSim#counters()}. Median of the timed steps after warm-up steps.
 *
 * <p>Run: {@code ./mvnw -o -q -pl sim -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * -Dmdep.includeScope=test}, then {@code java --add-modules jdk.incubator.vector -Xmx8g -cp
 * $(cat /tmp/cp.txt):sim/target/classes:sim/target/test-classes io.flightllm.sim.e2e.SimBench [stories|llama2-7b-2l]}.
 */
public final class SimBench {
    private SimBench() {
    }

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "stories";
        Path dir = Files.createTempDirectory("simbench");
        try (Arena arena = Arena.ofShared()) {
            if (which.equals("stories")) {
                CompressedModel cm = Setups.model("stories260K.bin", args.length > 1 ? args[1] : "w4s8");
                FlpReader r = Setups.compile(cm, Setups.hw("u280"), 256, 128, 16, dir, arena);
                FunctionalSim sim = FunctionalSim.load(r.program(), r);
                SimHost host = new SimHost(sim, cm);
                time(host, sim, 40, 160, 1);
            } else {
                ModelConfig c = ModelConfig.llama(4096, 11008, 2, 32, 32, 32000, 4096, false).validate("7b-slice");
                ModelShape shape = ModelShape.fromProfile(c, CompressionProfile.named("paper"));
                HardwareConfig hw = HardwareConfigs.preset("u280");
                long t0 = System.nanoTime();
                Compiler comp = new Compiler(shape, new CompileOptions(hw, 4, 4, 4, false));
                Path flp = dir.resolve("slice.flp");
                comp.write(new RandomWeights(shape, 1), flp, Compiler.Progress.NONE);
                System.out.printf(Locale.ROOT, "compiled in %.1f s (%d MB)%n", (System.nanoTime() - t0) / 1e9,
                        Files.size(flp) >> 20);
                FlpReader r = FlpReader.open(flp, arena);
                // Token depth 64, not 8: at this shape the compiler's KV stores leave more than 8 ST->MISC tokens
                // outstanding and the depth-8 protocol deadlocks (docs/sim.md "Findings"); the work is the same.
                int depth = args.length > 1 ? Integer.parseInt(args[1]) : 64;
                FunctionalSim sim = FunctionalSim.load(r.program(), r, new SimOptions(depth,
                        SimOptions.DEFAULT_DDR_BYTES, Schedule.GREEDY));
                float[] emb = new float[16 * c.dim()];
                SplittableRandom rnd = new SplittableRandom(3);
                for (int i = 0; i < emb.length; i++) {
                    emb[i] = (float) rnd.nextGaussian();
                }
                SimHost host = new SimHost(sim, c.dim(),
                        (token, pos, out) -> System.arraycopy(emb, token * c.dim(), out, 0, c.dim()));
                time(host, sim, 1, 3, 2);
            }
        }
    }

    private static void time(SimHost host, FunctionalSim sim, int warm, int steps, int tokens) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long[] ns = new long[steps];
        long[] cpu = new long[steps];
        int token = 1;
        for (int pos = 0; pos < warm + steps; pos++) {
            if (pos == warm) {
                sim.counters().reset();
            }
            long t = System.nanoTime();
            long tc = mx.getCurrentThreadCpuTime();
            float[] l = host.decode(token, pos);
            if (pos >= warm) {
                ns[pos - warm] = System.nanoTime() - t;
                cpu[pos - warm] = mx.getCurrentThreadCpuTime() - tc;
            }
            token = SimHost.argmax(l) % tokens;
        }
        Arrays.sort(ns);
        Arrays.sort(cpu);
        System.out.printf(Locale.ROOT, "decode step: median %.2f ms, min %.2f, max %.2f over %d steps (pos %d..%d)%n",
                ns[steps / 2] / 1e6, ns[0] / 1e6, ns[steps - 1] / 1e6, steps, warm, warm + steps - 1);
        System.out.printf(Locale.ROOT, "thread CPU per step: median %.2f ms, min %.2f, max %.2f (load average %.1f)%n",
                cpu[steps / 2] / 1e6, cpu[0] / 1e6, cpu[steps - 1] / 1e6,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf(Locale.ROOT, "per step: %.1f M MV MACs, %.1f MB HBM read%n",
                sim.counters().mvMacs() / 1e6 / steps, hbmRead(sim) / 1e6 / steps);
    }

    private static long hbmRead(FunctionalSim sim) {
        long n = 0;
        for (int c = 0; c < sim.program().target().hbm().channels(); c++) {
            n += sim.counters().hbmRead(c);
        }
        return n;
    }
}
