package io.flightllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.model.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SimBenchCommandTest {
    @Test
    void theSimulatorBenchmarkReportsStepTimeAndInstructionRate(@TempDir Path dir) throws Exception {
        Path flm = dir.resolve("s.flm");
        Path flp = dir.resolve("s.flp");
        Path shapes = dir.resolve("shapes.flp");
        assertThat(CliRunner.run("compress", "--model", SharedData.model("stories260K.bin").toString(), "--out",
                flm.toString(), "--profile", "w4s8").code()).isZero();
        assertThat(CliRunner.run("compile", "--model", flm.toString(), "-o", flp.toString(), "--context", "64")
                .code()).isZero();
        CliRunner.Result r = CliRunner.run("bench", "--program", flp.toString(), "--backend", "sim", "--generate",
                "4", "--warmup", "1", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("sim_decode_step_ms").asDouble()).isPositive();
        assertThat(j.get("sim_instructions_per_s").asLong()).isPositive();
        assertThat(j.get("decode_steps").asInt()).isEqualTo(4);
        assertThat(j.get("sim_counters")).isNotNull();
        // more steps than the program's 64 positions: 63 timed after the warm-up, and said
        CliRunner.Result capped = CliRunner.run("bench", "--program", flp.toString(), "--backend", "sim",
                "--generate", "100", "--warmup", "1", "--json");
        assertThat(capped.code()).as(capped.err()).isZero();
        assertThat(new ObjectMapper().readTree(capped.out()).get("decode_steps").asInt()).isEqualTo(63);
        assertThat(capped.err()).contains("the program serves 64 positions: timing 63 decode steps, not 100");

        assertThat(CliRunner.run("compile", "--model", flm.toString(), "-o", shapes.toString(), "--context", "64",
                "--shapes-only").code()).isZero();
        CliRunner.Result bad = CliRunner.run("bench", "--program", shapes.toString(), "--backend", "sim");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("--shapes-only");
        CliRunner.Result noProgram = CliRunner.run("bench", "--backend", "sim");
        assertThat(noProgram.err()).contains("--backend sim --program P.flp");

        // a program for another device, a corrupted program: one clear line, nothing on stdout
        CliRunner.Result other = CliRunner.run("run", "--model", flm.toString(), "--program", flp.toString(),
                "--backend", "sim", "--target", "vhk158", "--tokenizer", SharedData.model("tok512.bin").toString());
        assertThat(other.code()).isEqualTo(1);
        assertThat(other.err()).contains("was compiled for u280").contains("recompile with --target vhk158");
        assertThat(other.out()).isEmpty();
        byte[] bytes = java.nio.file.Files.readAllBytes(flp);
        bytes[bytes.length / 2] ^= 0x40;
        Path corrupt = dir.resolve("corrupt.flp");
        java.nio.file.Files.write(corrupt, bytes);
        CliRunner.Result bad2 = CliRunner.run("run", "--model", flm.toString(), "--program", corrupt.toString(),
                "--backend", "sim", "--tokenizer", SharedData.model("tok512.bin").toString());
        assertThat(bad2.code()).isEqualTo(1);
        assertThat(bad2.err()).contains("corrupt.flp");
        assertThat(bad2.out()).isEmpty();
    }
}
