package io.flightllm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.model.ModelConfig;
import io.flightllm.model.forward.Forward;
import io.flightllm.runtime.testing.RunOutput;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BackendTest {
    @Test
    void aContextTooLargeForTheHeapIsRefusedBeforeAllocating() {
        ModelConfig huge = ModelConfig.llama(1 << 14, 1 << 14, 64, 128, 128, 512, 1 << 20, true);
        assertThatThrownBy(() -> Backend.checkContextFits(huge, 1 << 20, 1))
                .isInstanceOf(InputException.class).hasMessageContaining("KV cache for 1048576 positions");
        ModelConfig stories = ModelConfig.llama(64, 172, 5, 8, 4, 512, 512, true);
        Backend.checkContextFits(stories, 512, 1);
        assertThatThrownBy(() -> Backend.checkContextFits(stories, 512, 1 << 30))
                .hasMessageContaining("x 1073741824 workers");
    }

    @Test
    void badBackendChoicesAreRefusedNamingTheFix() {
        assertThatThrownBy(() -> Backend.open("sim", RunOutput.stories(), "exact", 1))
                .isInstanceOf(InputException.class).hasMessageContaining("take the compressed .flm");
        assertThatThrownBy(() -> Backend.open("ref", RunOutput.stories(), "exact", 1, Path.of("m.flp")))
                .isInstanceOf(InputException.class).hasMessageContaining("take the compressed .flm");
        assertThatThrownBy(() -> Backend.open("gpu", RunOutput.stories(), "exact", 1))
                .hasMessageContaining("expected one of [ref, twin, sim]");
        assertThatThrownBy(() -> Backend.open("twin", RunOutput.stories(), "exact", 1))
                .hasMessageContaining("runs a compressed .flm");
        assertThatThrownBy(() -> Backend.open("ref", RunOutput.stories(), "fast", 1))
                .hasMessageContaining("--kernels is 'fast'");
    }

    @Test
    void executorsOverSharedWeightsKeepSeparateState() {
        try (Backend be = Backend.open("ref", RunOutput.stories(), "exact", 1);
             Forward a = be.forward(16); Forward b = be.forward(16)) {
            a.forward(1, 0);
            float[] first = a.forward(300, 1).clone();
            b.forward(5, 0); // b writes another token at position 0; a's cache must keep its own
            b.forward(7, 1);
            assertThat(a.forward(300, 1)).containsExactly(first);
            b.forward(1, 0);
            assertThat(b.forward(300, 1)).containsExactly(first); // the same weights give the same logits
            assertThat(be.source()).isEqualTo(RunOutput.stories());
        }
    }
}
