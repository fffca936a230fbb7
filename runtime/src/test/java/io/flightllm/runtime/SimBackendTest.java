package io.flightllm.runtime;

import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.compiler.CompileOptions;
import io.flightllm.compiler.Compiler;
import io.flightllm.compiler.pack.WeightFeed;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.compress.flm.FlmDigest;
import io.flightllm.compress.flm.FlmReader;
import io.flightllm.compress.flm.FlmWriter;
import io.flightllm.model.Model;
import io.flightllm.model.forward.Forward;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.runtime.testing.RunOutput;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The host loop over a compiled program on the functional simulator gives the CPU twin's logits bit for bit. */
class SimBackendTest {
    @TempDir
    static Path dir;
    static Path flm;
    static Path flp;

    @BeforeAll
    static void compile() {
        CompressedModel cm;
        try (Model m = ModelLoader.load(RunOutput.stories())) {
            cm = new ModelCompressor(CompressionProfile.named("w4s8"), LinearCompressor.roundToNearest(), "rtn")
                    .toModel(new ModelWeightSource(m), null, (l, k, d, t) -> { });
        }
        flm = dir.resolve("s.flm");
        FlmWriter.write(cm, flm);
        flp = dir.resolve("s.flp");
        CompressedModel back = FlmReader.read(flm);
        new Compiler(ModelShape.of(back), new CompileOptions(HardwareConfigs.preset("vhk158"), 64, 16, 16, false))
                .write(WeightFeed.of(back), FlmDigest.of(flm), flp, Compiler.Progress.NONE);
    }

    @Test
    void promptsInChunksAndDecodeStepsEqualTheTwin() {
        try (Backend sim = Backend.open("sim", flm, "exact", 1, flp);
             Backend twin = Backend.open("twin", flm, "exact", 1);
             Forward s = sim.forward(64); Forward t = twin.forward(64)) {
            assertThat(s.name()).isEqualTo("sim");
            int[] prompt = new int[40]; // crosses the 16-row prefill chunks and two prefill buckets
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = (i * 37 + 1) % 512;
            }
            float[] a = s.prefill(prompt, 0, prompt.length, true).clone();
            float[] b = t.prefill(prompt, 0, prompt.length, true).clone();
            assertThat(a).containsExactly(b);
            int token = 300;
            for (int pos = prompt.length; pos < 64; pos++) {
                float[] x = s.forward(token, pos).clone();
                float[] y = t.forward(token, pos).clone();
                for (int i = 0; i < x.length; i++) {
                    assertThat(Float.floatToRawIntBits(x[i])).as("pos %d logit %d", pos, i)
                            .isEqualTo(Float.floatToRawIntBits(y[i]));
                }
                token = (token * 7 + pos) % 512;
            }
            assertThatThrownBy(() -> s.forward(1, 64)).hasMessageContaining("context of 64");
        }
    }

    @Test
    void aProgramForOtherWeightsOrAnotherModelIsRefused() throws Exception {
        Path other = dir.resolve("other.flm");
        try (Model m = ModelLoader.load(RunOutput.stories())) {
            FlmWriter.write(new ModelCompressor(CompressionProfile.named("w8"), LinearCompressor.roundToNearest(),
                    "rtn").toModel(new ModelWeightSource(m), null, (l, k, d, t) -> { }), other);
        }
        assertThatThrownBy(() -> Backend.open("sim", other, "exact", 1, flp)).isInstanceOf(InputException.class)
                .hasMessageContaining("compiled from weights sha256:").hasMessageContaining("recompile");
        Path corrupt = dir.resolve("corrupt.flp");
        byte[] bytes = Files.readAllBytes(flp);
        bytes[bytes.length / 3] ^= 0x10;
        Files.write(corrupt, bytes);
        assertThatThrownBy(() -> Backend.open("sim", flm, "exact", 1, corrupt)).hasMessageContaining("corrupt.flp");
        assertThatThrownBy(() -> Backend.open("sim", flm, "exact", 1, null)).hasMessageContaining("--program");
    }
}
