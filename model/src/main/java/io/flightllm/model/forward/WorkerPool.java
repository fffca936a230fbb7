package io.flightllm.model.forward;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed set of worker threads for data-parallel kernels. {@link #run} splits one job into {@code parts()}
 * parts: the caller runs part 0 itself and the workers run the others. Hand-off costs no allocation: the job is a
 * reusable object published through a volatile epoch counter; idle workers spin briefly (a decode step calls several
 * kernels back to back) and then park, so an idle pool costs no CPU.
 *
 * <p>Not thread-safe: one thread submits jobs at a time (the forward pass that owns the kernel).
 */
final class WorkerPool implements AutoCloseable {
    /** One job, split into parts; part p of n must cover a disjoint share of the work. */
    interface Job {
        void run(int part, int parts);
    }

    /** How long an idle worker spins before parking. */
    private static final long SPIN_NANOS = 200_000;

    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long epoch;
    private volatile boolean closed;
    private volatile Job job;
    private volatile Throwable failure;

    WorkerPool(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads = " + threads + "; expected >= 1");
        }
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int part = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name(name + "-" + part).unstarted(() -> workerLoop(part));
            workers[i].start();
        }
    }

    /** Threads taking part in a job, the caller included. */
    int parts() {
        return workers.length + 1;
    }

    /** Runs {@code j} on every thread (the caller runs part 0) and returns when all parts are done. */
    void run(Job j) {
        if (closed) {
            throw new IllegalStateException("the worker pool is closed");
        }
        int n = parts();
        if (n == 1) {
            j.run(0, 1);
            return;
        }
        job = j;
        failure = null;
        pending.set(n - 1);
        epoch = epoch + 1; // volatile write publishes job and pending
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        Throwable own = null;
        try {
            j.run(0, n);
        } catch (Throwable t) {
            own = t;
        }
        while (pending.get() != 0) {
            Thread.onSpinWait();
        }
        job = null;
        Throwable f = own != null ? own : failure;
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error e) {
            throw e;
        }
        if (f != null) {
            throw new IllegalStateException(f);
        }
    }

    private void workerLoop(int part) {
        long seen = 0;
        while (true) {
            long start = System.nanoTime();
            long e;
            while ((e = epoch) == seen) {
                if (closed) {
                    return;
                }
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = e;
            try {
                job.run(part, parts());
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        for (Thread w : workers) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
