package io.flightllm.rtl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigException;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.rtl.testing.RequiredTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorTest {
    static final HardwareConfig U280 = HardwareConfigs.preset("u280");

    @Test
    void everyFileCarriesTheParametersAndIsSynthesizable() {
        List<RtlFile> files = RtlDesign.generate(U280);
        assertThat(files).extracting(RtlFile::name).containsExactly("flightllm_vpu.v", "flightllm_dense_chain.v",
                "flightllm_mpu.v", "flightllm_dense_mpu.v", "flightllm_dequant.v");
        for (RtlFile f : files) {
            assertThat(f.text()).as(f.name()).contains("HardwareConfig 'u280'", "mpe.chainLength = 16",
                    "mpe.dspGroupSize = 2", "mpe.sparseModes = [0, 2, 4, 8, 16]", "mpe.weightBits = [2, 3, 4, 8]",
                    "mpe.mvRows = 64", "mpe.mmTokens = 2", "overflow-free segment = 8 slices");
            assertThat(f.text()).as(f.name()).doesNotContain("initial", "$display", "$finish", "#");
        }
        assertThat(text(files, "flightllm_mpu.v")).contains("flightllm_vpu vpu_63 (").doesNotContain("vpu_64");
        // The dense chain has no MUX and no mode input; the VPU has both.
        assertThat(text(files, "flightllm_dense_chain.v")).doesNotContain("in_idx", "in_nlog", "blk0[");
        assertThat(text(files, "flightllm_vpu.v")).contains("in_idx", "in_nlog", "m0_15 = blk0[r_idx[63:60]]",
                "adj_8", "cut_8");
    }

    @Test
    void parametersFollowTheConfig() {
        HardwareConfig c = HardwareConfigs.withOverrides(U280, Map.of("mpe.chainLength", "32", "mpe.mvRows", "3",
                "mpe.weightBits", "[4, 8]"));
        List<RtlFile> files = RtlDesign.generate(c);
        assertThat(text(files, "flightllm_vpu.v")).contains("mpe.chainLength = 32", "input  wire [255:0] in_w",
                "output reg  [15:0] out_port_valid");
        assertThat(text(files, "flightllm_mpu.v")).contains("vpu_2 (").doesNotContain("vpu_3 (");
        assertThat(text(files, "flightllm_dequant.v")).contains("4'd4:", "4'd8:").doesNotContain("4'd2:", "4'd3:");
    }

    @Test
    void unsupportedChainsAreRefusedNamingTheField() {
        HardwareConfig c = HardwareConfigs.withOverrides(U280, Map.of("mpe.chainLength", "8"));
        assertThatThrownBy(() -> RtlDesign.generate(c)).isInstanceOf(HardwareConfigException.class)
                .hasMessageContaining("mpe.chainLength = 8");
    }

    @Test
    void writesThroughTemporaryFiles(@TempDir Path dir) throws Exception {
        List<Path> written = RtlDesign.write(RtlDesign.generate(U280), dir.resolve("out"));
        assertThat(written).hasSize(5).allSatisfy(p -> assertThat(p).isRegularFile());
        try (var s = Files.list(dir.resolve("out"))) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void verilatorLintsEveryUnitClean(@TempDir Path dir) throws Exception {
        Path verilator = RequiredTool.require(Tools.VERILATOR);
        // MPUs of 2 VPUs: the same text per VPU as 64, linted in a fraction of the time.
        HardwareConfig small = HardwareConfigs.withOverrides(U280, Map.of("mpe.mvRows", "2"));
        HardwareConfig longer = HardwareConfigs.withOverrides(small, Map.of("mpe.chainLength", "32"));
        for (HardwareConfig c : List.of(small, longer)) {
            List<RtlFile> files = RtlDesign.generate(c);
            RtlDesign.write(files, dir);
            for (RtlUnit u : RtlUnit.values()) {
                List<String> cmd = new ArrayList<>(List.of(verilator.toString(), "--lint-only", "-Wall",
                        "--top-module", u.module(c)));
                u.files(c).forEach(f -> cmd.add(f.name()));
                String log = ProcessRunner.run(cmd, dir, dir.resolve("lint.log"));
                assertThat(log).as("%s lint", u).doesNotContain("%Warning", "%Error");
            }
        }
    }

    private static String text(List<RtlFile> files, String name) {
        return files.stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow().text();
    }
}
