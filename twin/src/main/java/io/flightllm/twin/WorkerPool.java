package io.flightllm.twin;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A small persistent pool for the FastTwin's many short parallel steps (about 30 linears and the attention of every
 * layer per token): {@code threads - 1} daemon workers wait on a generation counter, spinning briefly before they park,
 * and the caller runs part 0 itself, then spins and yields until the others are done. A job costs a few volatile
 * writes and one capturing lambda instead of one task submission and future per part. Single caller only (the
 * FastTwin is single-sequence).
 */
final class WorkerPool implements AutoCloseable {
    /**
     * Spin iterations before a waiting thread backs off (workers park, the caller yields): a few microseconds, enough
     * to bridge the gap between back-to-back linears on an idle machine without burning a core that the thread being
     * waited for may need (on a loaded machine the worker may not even be running yet).
     */
    private static final int SPIN = 1_000;

    private final Thread[] workers;
    private final AtomicInteger generation = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile IntConsumer job;
    private volatile int parts;
    private volatile Throwable failure;
    private volatile boolean closed;

    WorkerPool(int threads) {
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int part = i + 1;
            workers[i] = new Thread(() -> work(part), "twin-worker-" + part);
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    int threads() {
        return workers.length + 1;
    }

    /** Runs job(p) for p in [0, parts) (parts at most {@link #threads}) and returns when all are done. */
    void run(int parts, IntConsumer job) {
        if (parts == 1 || workers.length == 0) {
            for (int p = 0; p < parts; p++) {
                job.accept(p);
            }
            return;
        }
        this.job = job;
        this.parts = parts;
        pending.set(workers.length);
        int gen = generation.incrementAndGet();
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        Throwable mine = null;
        try {
            job.accept(0);
        } catch (RuntimeException | Error e) {
            mine = e;
        }
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < SPIN) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // not parkNanos: timer slack would add tens of microseconds per linear
            }
        }
        this.job = null;
        Throwable f = mine != null ? mine : failure;
        failure = null;
        if (f != null) {
            throw new IllegalStateException("twin worker failed (generation " + gen + ")", f);
        }
    }

    private void work(int part) {
        int seen = 0;
        while (true) {
            int spins = 0;
            int gen;
            while ((gen = generation.get()) == seen) {
                if (closed) {
                    return;
                }
                if (++spins < SPIN) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = gen;
            try {
                if (part < parts) {
                    job.accept(part);
                }
            } catch (RuntimeException | Error e) {
                failure = e;
            }
            pending.decrementAndGet(); // the caller polls (it spins, then yields)
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
