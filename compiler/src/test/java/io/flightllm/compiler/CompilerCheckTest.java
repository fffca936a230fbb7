package io.flightllm.compiler;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CompilerCheckTest {

    static ModelConfig stories() {
        try (var m = ModelLoader.load(SharedData.model("stories260K.bin"))) {
            return m.config();
        }
    }

    static Limits limits(Compiler c, HardwareConfig hw, int rows) {
        return Limits.of(hw, c.ddrBytes(), Limits.ranges(c.maxContext(), rows));
    }

    /** A small custom target: two cores, eight channels, quarter-size buffers. */
    static HardwareConfig tiny() {
        return HardwareConfigs.withOverrides(HardwareConfigs.preset("u280"), Map.of("cores", "2", "hbm.channels", "8",
                "hbm.capacityBytes", "" + (1L << 30), "buffers.aBytes", "262144", "buffers.bBytes", "32768",
                "buffers.globalBytes", "262144"));
    }

    /** A B buffer of four 128 x 512 tiles (Tiling: more slots, not wider tiles) with 128 MV rows. */
    static HardwareConfig wideB() {
        HardwareConfig hw = HardwareConfigs.withOverrides(HardwareConfigs.preset("u280"), Map.of("buffers.bBytes",
                "262144", "buffers.metaBytes", "131072", "buffers.scaleBytes", "131072", "mpe.mvRows", "128"));
        assertThat(io.flightllm.compiler.plan.Tiling.of(hw).slots()).isEqualTo(4);
        return hw;
    }

    @ParameterizedTest
    @CsvSource({"u280,w8", "vhk158,w4s8", "u280,mixed", "vhk158,paper", "tiny,w4s8", "tiny,mixed", "wideB,paper",
            "wideB,mixed"})
    void everyBucketOfStoriesPassesTheChecker(String target, String profile) {
        HardwareConfig hw = target.equals("tiny") ? tiny() : target.equals("wideB") ? wideB()
                : HardwareConfigs.preset(target);
        ModelShape shape = ModelShape.fromProfile(stories(), CompressionProfile.named(profile));
        Compiler c = new Compiler(shape, new CompileOptions(hw, 512, 128, 32, true));
        for (int ctx : c.buckets().decodeLengths()) {
            check(c, hw, false, 1, ctx);
        }
        for (int ctx : c.buckets().prefillLengths()) {
            check(c, hw, true, c.prefillChunkRows(), ctx);
        }
    }

    /**
     * Twenty-four KV heads on one core store 48 K/V rows per layer. Tokens would pile up past the counter depth of 8
     * and deadlock in two ways: for the write-after-read dependencies that only the next layer's quantization has
     * (unless the builder sees that the barrier between the layers already orders them), and for
     * the stores' tokens to the attention loads (unless each head attends right after its own stores).
     */
    @Test
    void manyKvHeadsPerCoreDoNotDeadlock() {
        ModelConfig cfg = ModelConfig.llama(384, 256, 2, 24, 24, 64, 64, false).validate("24 heads");
        HardwareConfig hw = HardwareConfigs.withOverrides(HardwareConfigs.preset("u280"), Map.of("cores", "1"));
        Compiler c = new Compiler(ModelShape.fromProfile(cfg, CompressionProfile.named("w8")),
                new CompileOptions(hw, 64, 32, 32, true));
        check(c, hw, false, 1, 64);
        check(c, hw, true, c.prefillChunkRows(), 64);
    }

    /** LLaMA2-7B's widths with two layers: 11 KV heads per core on u280 (more than the token depth of 8). */
    @ParameterizedTest
    @CsvSource({"u280", "vhk158"})
    void aTwoLayerSliceOfLlama2_7bPassesTheChecker(String target) {
        HardwareConfig hw = HardwareConfigs.preset(target);
        ModelConfig slice = io.flightllm.model.ModelConfig.llama(4096, 11008, 2, 32, 32, 32000, 2048, false);
        Compiler c = new Compiler(ModelShape.fromProfile(slice, CompressionProfile.named("paper")),
                new CompileOptions(hw, 2048, 128, 32, true));
        check(c, hw, false, 1, 2048);
        check(c, hw, true, c.prefillChunkRows(), 512);
    }

    private static void check(Compiler c, HardwareConfig hw, boolean prefill, int rows, int ctx) {
        List<List<Instruction>> streams = c.emit(prefill, rows, ctx);
        CheckReport r = ProgramChecker.check(new CoreStreams(streams), limits(c, hw, rows));
        assertThat(r.violations()).as("%s rows %d ctx %d", prefill ? "prefill" : "decode", rows, ctx).isEmpty();
    }
}
