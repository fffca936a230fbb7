package io.flightllm.sim.report;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.isa.Isa;
import io.flightllm.sim.timing.CostModel;
import io.flightllm.sim.timing.LaunchTiming;
import io.flightllm.sim.timing.TimingEngine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Times every bucket a set of workloads needs, once each, in parallel (one timing engine and instruction cache per
 * thread), and keeps only the results.
 */
public final class ProgramTimer {
    /** Progress callback: {@code done} of {@code total} buckets timed. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);
    }

    private ProgramTimer() {
    }

    /** The decode buckets serving contexts {@code from..to} and the prefill buckets serving prompts up to {@code p}. */
    public static Simulation time(HardwareConfig hw, LaunchSource src, List<Workload> workloads, List<Integer> contexts,
                                  int threads, Progress progress) {
        TreeSet<Integer> decode = new TreeSet<>();
        TreeSet<Integer> prefill = new TreeSet<>();
        int rows = src.prefillChunkRows();
        for (Workload w : workloads) {
            for (int c = w.prefill(); c <= w.lastContext(); c++) {
                decode.add(LaunchSource.bucketOf(src.decodeBuckets(), c));
            }
            for (int s = 0; s < w.prefill(); s += rows) {
                prefill.add(LaunchSource.bucketOf(src.prefillBuckets(), Math.min(s + rows, w.prefill())));
            }
        }
        for (int c : contexts) {
            decode.add(LaunchSource.bucketOf(src.decodeBuckets(), c));
        }
        List<int[]> jobs = new ArrayList<>();
        // the longest buckets first, so the pool's last jobs are short
        decode.descendingSet().forEach(b -> jobs.add(new int[]{0, b}));
        prefill.descendingSet().forEach(b -> jobs.add(new int[]{1, b}));
        Map<Integer, LaunchTiming> d = new TreeMap<>();
        Map<Integer, LaunchTiming> p = new TreeMap<>();
        ThreadLocal<TimingEngine> engines = ThreadLocal.withInitial(
                () -> new TimingEngine(new CostModel(hw), Isa.TOKEN_DEPTH));
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        AtomicInteger done = new AtomicInteger();
        try {
            List<Future<LaunchTiming>> futures = new ArrayList<>();
            for (int[] j : jobs) {
                futures.add(pool.submit(() -> {
                    LaunchTiming t = engines.get().run(src.launch(j[0] == 1, j[1]), null);
                    progress.update(done.incrementAndGet(), jobs.size());
                    return t;
                }));
            }
            for (int i = 0; i < jobs.size(); i++) {
                (jobs.get(i)[0] == 1 ? p : d).put(jobs.get(i)[1], futures.get(i).get());
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            pool.shutdownNow();
        }
        return new Simulation(hw, rows, src.prefillBuckets(), src.decodeBuckets(), p, d);
    }
}
