package io.flightllm.compiler;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressionProfile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The baseline count may run before any program is emitted without changing the programs. */
class CountingOrderTest {
    private static Compiler compiler() {
        ModelShape s = ModelShape.fromProfile(CompilerCheckTest.stories(), CompressionProfile.named("w4s8"));
        return new Compiler(s, new CompileOptions(HardwareConfigs.preset("vhk158"), 512, 128, 32, true));
    }

    @Test
    void countingFirstLeavesEveryLaunchAsEmittedFresh() {
        Compiler fresh = compiler();
        Compiler countedFirst = compiler();
        long baseline = countedFirst.baselineBytes(Compiler.Progress.NONE);
        assertThat(baseline).isPositive();
        int rows = fresh.prefillChunkRows();
        assertThat(rows).as("a multi-row prefill chunk, so the count's 1- and 2-row launches differ from it")
                .isGreaterThan(2);
        for (int ctx : List.of(128, 512)) {
            assertSameWords(countedFirst.emitWords(true, rows, ctx), fresh.emitWords(true, rows, ctx));
        }
        assertSameWords(countedFirst.emitWords(false, 1, 64), fresh.emitWords(false, 1, 64));
        assertThat(fresh.baselineBytes(Compiler.Progress.NONE)).isEqualTo(baseline);
    }

    private static void assertSameWords(List<int[]> a, List<int[]> b) {
        assertThat(a).hasSameSizeAs(b);
        for (int core = 0; core < a.size(); core++) {
            assertThat(a.get(core)).as("core " + core).isEqualTo(b.get(core));
        }
    }
}
