package io.flightllm.compiler;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressionProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Models that do not fit a configuration fail at compile time with a message naming the limit. */
class CompileErrorsTest {
    private static final HardwareConfig U280 = HardwareConfigs.preset("u280");

    @Test
    void aModelLargerThanHbmIsRefusedNamingTheChannelCapacity() {
        // 32 channels of 4 KiB: stories260K's tiles alone need more on some channel
        HardwareConfig small = HardwareConfigs.withOverrides(U280, Map.of("hbm.capacityBytes", "" + 32 * 4096));
        ModelShape s = ModelShape.fromProfile(CompilerCheckTest.stories(), CompressionProfile.named("w8"));
        assertThatThrownBy(() -> new Compiler(s, new CompileOptions(small, 512, 128, 16, true)))
                .isInstanceOf(CompileException.class).hasMessageContaining("does not fit HBM of u280")
                .hasMessageContaining("beyond the channel's 4096 bytes");
    }

    @Test
    void aDensityTheConfigDoesNotSupportIsRefused() {
        HardwareConfig noFour = HardwareConfigs.withOverrides(U280, Map.of("mpe.sparseModes", "[0, 8, 16]"));
        ModelShape s = ModelShape.fromProfile(CompilerCheckTest.stories(), CompressionProfile.named("w4")
                .withDecoderDensity(new io.flightllm.compress.DensityPlan.Uniform(4)));
        assertThatThrownBy(() -> new Compiler(s, new CompileOptions(noFour, 512, 128, 16, true)))
                .isInstanceOf(CompileException.class).hasMessageContaining("N = 4")
                .hasMessageContaining("mpe.sparseModes [0, 8, 16]");
    }

    @Test
    void aWeightWidthTheDequantizerLacksIsRefused() {
        HardwareConfig no3 = HardwareConfigs.withOverrides(U280, Map.of("mpe.weightBits", "[4, 8]"));
        ModelShape s = ModelShape.fromProfile(CompilerCheckTest.stories(), CompressionProfile.named("mixed"));
        assertThatThrownBy(() -> new Compiler(s, new CompileOptions(no3, 512, 128, 16, true)))
                .isInstanceOf(CompileException.class).hasMessageContaining("3-bit weights")
                .hasMessageContaining("mpe.weightBits [4, 8]");
    }

    @Test
    void aGlobalBufferTooSmallForOneDecodeStepIsRefusedNamingTheBuffer() {
        HardwareConfig tiny = HardwareConfigs.withOverrides(U280, Map.of("buffers.globalBytes", "4096"));
        ModelShape s = ModelShape.fromProfile(CompilerCheckTest.stories(), CompressionProfile.named("w4"));
        assertThatThrownBy(() -> new Compiler(s, new CompileOptions(tiny, 512, 128, 16, true)))
                .isInstanceOf(CompileException.class).hasMessageContaining("buffer GLOBAL of u280 is too small");
    }

    @Test
    void badBucketsAreRefused() {
        ModelShape s = ModelShape.fromProfile(CompilerCheckTest.stories(), CompressionProfile.named("w8"));
        assertThatThrownBy(() -> new Compiler(s, new CompileOptions(U280, 512, 128, 24, true)))
                .isInstanceOf(CompileException.class).hasMessageContaining("multiple of 16");
        assertThatThrownBy(() -> new Compiler(s, new CompileOptions(U280, 512, 0, 16, true)))
                .isInstanceOf(CompileException.class).hasMessageContaining("positive");
    }

    @Test
    void aBlockSparseMaskBeyondTheMiscFieldsIsRefused() {
        var cm = WeightImageTest.stories("w8").withAttentionMask(
                new io.flightllm.compress.algo.AttentionMask(4096, 1, 4));
        assertThatThrownBy(() -> ModelShape.of(cm)).isInstanceOf(CompileException.class)
                .hasMessageContaining("attention_mask 4096:1:4").hasMessageContaining("at most 4095 positions");
    }
}
