package io.flightllm.twin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {
    @Test
    void everyPartRunsExactlyOncePerJob() {
        try (WorkerPool pool = new WorkerPool(3)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(3);
            for (int job = 0; job < 2000; job++) {
                int parts = 1 + job % 3;
                pool.run(parts, runs::incrementAndGet);
            }
            // parts 1, 2, 3 in turn: part 0 in every job, part 1 in two of three, part 2 in one of three
            assertThat(runs.get(0)).isEqualTo(2000);
            assertThat(runs.get(1)).isEqualTo(1333);
            assertThat(runs.get(2)).isEqualTo(666);
        }
    }

    @Test
    void aFailingWorkerPartSurfacesAndThePoolKeepsWorking() {
        try (WorkerPool pool = new WorkerPool(2)) {
            assertThatThrownBy(() -> pool.run(2, p -> {
                if (p == 1) {
                    throw new ArithmeticException("part " + p);
                }
            })).isInstanceOf(IllegalStateException.class).hasRootCauseInstanceOf(ArithmeticException.class)
                    .hasRootCauseMessage("part 1");
            AtomicIntegerArray runs = new AtomicIntegerArray(2);
            pool.run(2, runs::incrementAndGet);
            assertThat(runs.get(0)).isEqualTo(1);
            assertThat(runs.get(1)).isEqualTo(1);
        }
    }
}
