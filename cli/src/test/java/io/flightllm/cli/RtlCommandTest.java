package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.rtl.Tools;
import io.flightllm.rtl.testing.RequiredTool;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RtlCommandTest {
    @Test
    void generateWritesEveryUnit(@TempDir Path dir) throws Exception {
        CliRunner.Result r = CliRunner.run("rtl", "generate", "--out", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.outText().lines()).hasSize(5);
        assertThat(Files.readString(dir.resolve("flightllm_vpu.v"))).contains("HardwareConfig 'u280'");
    }

    @Test
    void verifyJsonListsEveryMode(@TempDir Path dir) throws Exception {
        RequiredTool.require(Tools.VERILATOR);
        // The u280 with a 4-VPU MPU, named as the rtl module's tests name it: the same Verilog, so their cached
        // Verilator build is reused.
        Path cfg = dir.resolve("u280-small.yaml");
        Files.writeString(cfg, "base: u280\nname: u280\nmpe:\n  mvRows: 4\n");
        CliRunner.Result r = CliRunner.run("rtl", "verify", "--target", cfg.toString(), "--vectors", "40", "--json",
                "--work", RequiredTool.cache().toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode o = new ObjectMapper().readTree(r.out());
        assertThat(o.get("passed").asBoolean()).isTrue();
        JsonNode modes = o.get("modes");
        assertThat(modes.size()).isEqualTo(8 + 2 + 8);
        for (JsonNode m : modes) {
            assertThat(m.get("mode").asText()).isIn("mv", "mm");
            assertThat(m.get("n").asInt()).isIn(2, 4, 8, 16);
            assertThat(m.get("vectors").asInt()).isPositive();
            assertThat(m.get("mismatches").asInt()).isZero();
        }
        assertThat(o.get("dequant").size()).isEqualTo(4);
        // Progress goes to stderr, one line per mode; stdout holds only the JSON.
        assertThat(r.errLines()).contains("rtl verify: vpu mm N=16: 60 inputs, 0 mismatches");
    }

    @Test
    void badOptionsNameTheOption() {
        CliRunner.Result unit = CliRunner.run("rtl", "verify", "--unit", "gpu");
        assertThat(unit.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(unit.errLines()).singleElement().asString().contains("--unit is 'gpu'", "vpu, dense-chain");
        CliRunner.Result target = CliRunner.run("rtl", "synth", "--target", "no-such.yaml");
        assertThat(target.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(target.errLines()).singleElement().asString().contains("no-such.yaml");
        CliRunner.Result vectors = CliRunner.run("rtl", "verify", "--vectors", "0");
        assertThat(vectors.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(vectors.errLines()).singleElement().asString().contains("--vectors is 0");
    }
}
