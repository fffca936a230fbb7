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
        return chatSteps(stdin, "96", args);
    }

    private static CliRunner.Result chatSteps(String stdin, String steps, String... args) {
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            return CliRunner.run(RunCommandTest.concat(new String[] {"chat", "--tokenizer",
                    SharedData.model("tok512.bin").toString(), "-t", "0", "--steps", steps}, args));
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
        // more steps than the program's 96 positions: run and chat use the 96 and say so (was an internal error)
        CliRunner.Result run = CliRunner.run("run", "--model", flm.toString(), "--backend", "sim", "--program",
                flp.toString(), "--tokenizer", SharedData.model("tok512.bin").toString(), "--steps", "300", "-t", "0");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).contains("flightllm run: note: " + flp + " serves 96 positions; running 96, not 300")
                .contains("generation: 96 tokens"); // BOS + 96 sampled: the last needs no position
        CliRunner.Result longChat = chatSteps("Once upon a time\nThen\nAnd then\nMore\n", "300", "--model",
                flm.toString(), "--backend", "sim", "--program", flp.toString());
        assertThat(longChat.code()).as(longChat.err()).isZero();
        assertThat(longChat.err()).contains("flightllm chat: note: " + flp + " serves 96 positions")
                .doesNotContain("internal error");
    }

    @Test
    void badOptionsAreRefused() {
        CliRunner.Result r = chat("", "--model", SharedData.model("stories260K.bin").toString(), "--chat-template",
                "chatml");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--chat-template is 'chatml'");
    }
}
