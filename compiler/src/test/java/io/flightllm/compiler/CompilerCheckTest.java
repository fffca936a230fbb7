package io.flightllm.compiler;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.CoreStreams;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.check.CheckReport;
import io.flightllm.arch.isa.check.Limits;
import io.flightllm.arch.isa.check.ProgramChecker;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CompilerCheckTest {

    static ModelConfig stories() {
        try (var m = ModelLoader.load(SharedData.model("stories260K.bin"))) {
            return m.config();
        }
    }

    static Limits limits(HardwareConfig hw, int maxCtx, int rows) {
        Map<Buffer, Long> b = new EnumMap<>(Buffer.class);
        b.put(Buffer.A, hw.buffers().aBytes());
        b.put(Buffer.B, hw.buffers().bBytes());
        b.put(Buffer.GLOBAL, hw.buffers().globalBytes());
        b.put(Buffer.META, hw.buffers().metaBytes());
        b.put(Buffer.FSB, hw.buffers().fsbBytes());
        b.put(Buffer.BIAS, hw.buffers().biasBytes());
        b.put(Buffer.SCALE, hw.buffers().scaleBytes());
        return new Limits(b, hw.hbm().channels(), hw.hbm().channelBytes(), 1L << 30,
                Limits.ranges(maxCtx, rows), hw.cores(), 8, 0);
    }

    @ParameterizedTest
    @CsvSource({"u280,w8", "vhk158,w4s8", "u280,mixed", "vhk158,paper"})
    void everyProgramOfStoriesPassesTheChecker(String target, String profile) {
        HardwareConfig hw = HardwareConfigs.preset(target);
        ModelShape shape = ModelShape.fromProfile(stories(), CompressionProfile.named(profile));
        Compiler c = new Compiler(shape, new CompileOptions(hw, 512, 128, 16, true));
        for (int ctx : List.of(16, 128, 512)) {
            check(c, hw, false, 1, ctx);
        }
        check(c, hw, true, c.prefillChunkRows(), 256);
    }

    private static void check(Compiler c, HardwareConfig hw, boolean prefill, int rows, int ctx) {
        List<List<Instruction>> streams = c.emit(prefill, rows, ctx);
        CheckReport r = ProgramChecker.check(new CoreStreams(streams), limits(hw, c.maxContext(), rows));
        assertThat(r.violations()).as("%s rows %d ctx %d", prefill ? "prefill" : "decode", rows, ctx).isEmpty();
    }
}
