package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.testing.SharedData;
import org.junit.jupiter.api.Test;

/** {@code flightllm serve} refuses bad options with one line and exit 1, before binding anything. */
class ServeCommandTest {
    private static CliRunner.Result serve(String... extra) {
        String[] base = {"serve", "--model", SharedData.model("stories260K.bin").toString(), "--tokenizer",
                SharedData.model("tok512.bin").toString()};
        return CliRunner.run(RunCommandTest.concat(base, extra));
    }

    private static void refused(CliRunner.Result r, String message) {
        assertThat(r.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().getFirst()).startsWith("flightllm serve: error: ").contains(message);
    }

    @Test
    void theSimulatorNeedsAFlmAndAProgram() {
        refused(serve("--port", "0", "--backend", "sim"), "take the compressed .flm");
        refused(serve("--port", "0", "--program", "model.flp"), "take the compressed .flm");
    }

    @Test
    void badLimitsAreRefused() {
        refused(serve("--port", "0", "--workers", "0"), "--workers is 0");
        refused(serve("--port", "0", "--queue=-1"), "--queue is -1");
        refused(serve("--port", "70000"), "--port is 70000");
        refused(serve("--port", "0", "--max-body-bytes", "10"), "--max-body-bytes is 10");
        refused(serve("--port", "0", "--request-timeout", "0"), "--request-timeout is 0");
        refused(serve("--port", "0", "--chat-template", "chatml"), "--chat-template is 'chatml'");
        refused(serve("--port", "0", "--backend", "twin"), "runs a compressed .flm");
    }

    @Test
    void helpSaysItBindsToLoopbackByDefault() {
        CliRunner.Result r = CliRunner.run("serve", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.outText()).contains("default: 127.0.0.1, loopback only").contains("docs/server.md");
    }
}
