package io.flightllm.cli;

import io.flightllm.model.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ChatCommandTest {

    private static CliRunner.Result chat(String stdin, String... args) {
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            return CliRunner.run(RunCommandTest.concat(new String[] {"chat", "--tokenizer",
                    SharedData.model("tok512.bin").toString(), "-t", "0", "--steps", "96"}, args));
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void turnsComeFromStdinAndTheSimulatorAnswersLikeTheTwin(@TempDir Path dir) {
        Path flm = dir.resolve("s.flm");
        Path flp = dir.resolve("s.flp");
        assertThat(CliRunner.run("compress", "--model", SharedData.model("stories260K.bin").toString(), "--out",
                flm.toString(), "--profile", "w8").code()).isZero();
        assertThat(CliRunner.run("compile", "--model", flm.toString(), "-o", flp.toString(), "--context", "96")
                .code()).isZero();
        String turns = "Once upon a time\nThen\n";
        CliRunner.Result twin = chat(turns, "--model", flm.toString(), "--backend", "twin");
        CliRunner.Result sim = chat(turns, "--model", flm.toString(), "--backend", "sim", "--program",
                flp.toString());
        assertThat(twin.code()).as(twin.err()).isZero();
        assertThat(sim.code()).as(sim.err()).isZero();
        String text = new String(sim.out(), StandardCharsets.UTF_8);
        assertThat(text).startsWith("User: Assistant: ").contains("\nUser: ");
        assertThat(sim.out()).isEqualTo(twin.out());
    }

    @Test
    void badOptionsAreRefused() {
        CliRunner.Result r = chat("", "--model", SharedData.model("stories260K.bin").toString(), "--chat-template",
                "chatml");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--chat-template is 'chatml'");
    }
}
