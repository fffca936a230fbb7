package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.testing.SharedData;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** {@code flightllm run} and {@code inspect} in-process: stdout bytes, the stderr lines, exit codes. */
class RunCommandTest {
    static String model(String name) {
        return SharedData.model(name).toString();
    }

    @Test
    void greedyMatchesRunCReference() throws Exception {
        CliRunner.Result r = CliRunner.run("run", "--model", model("stories260K.bin"), "--tokenizer",
                model("tok512.bin"), "--temperature", "0");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo(Files.readAllBytes(SharedData.reference("stories260K_n256_empty.stdout")));
        assertThat(r.errLines()).singleElement().asString().startsWith("prompt: 1 tokens");
    }

    @Test
    void topPSamplingMatchesRunCReference() throws Exception {
        CliRunner.Result r = CliRunner.run("run", "-m", model("stories260K.bin"), "-z", model("tok512.bin"),
                "-t", "1.0", "-p", "0.9", "-s", "133742");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo(
                Files.readAllBytes(SharedData.reference("stories260K_t1.0_p0.9_s133742_n256.stdout")));
    }

    @Test
    void aPromptLongerThanStepsIsCutWithOneWarning() {
        String prompt = "Once upon a time, there was a little girl named Lily. She loved to play outside.";
        CliRunner.Result r = CliRunner.run("run", "--model", model("stories260K.bin"), "--tokenizer",
                model("tok512.bin"), "--temperature", "0", "--steps", "6", "--prompt", prompt);
        assertThat(r.code()).isZero();
        String shown = r.outText();
        assertThat(shown).endsWith("\n");
        assertThat(prompt).startsWith(shown.substring(0, shown.length() - 1));
        assertThat(shown.length()).isBetween(7, prompt.length() - 20);
        assertThat(r.errLines()).hasSize(2);
        assertThat(r.errLines().getFirst()).startsWith("flightllm run: warning: the prompt is")
                .contains("only 6 positions run (--steps)");
    }

    @Test
    void stepsBeyondTheContextAreCapped() {
        String[] common = {"run", "--model", model("aidreams260K.bin"), "--tokenizer", model("aidreams_tok512.bin"),
                "--temperature", "0", "--prompt", "Echoes"};
        CliRunner.Result big = CliRunner.run(concat(common, "--steps", "5000"));
        CliRunner.Result ctx = CliRunner.run(concat(common, "--steps", "128"));
        assertThat(big.code()).isZero();
        assertThat(big.out()).isEqualTo(ctx.out());
        assertThat(big.outText()).startsWith("Echoes");
    }

    @Test
    void unsharedGqaModelRuns() {
        CliRunner.Result r = CliRunner.run("run", "--model", model("synthetic/synth_tiny_unshared_gqa4.bin"),
                "--tokenizer", model("tok512.bin"), "--temperature", "0", "--steps", "20", "--prompt", "Hi");
        assertThat(r.code()).isZero();
        assertThat(r.outText()).startsWith("Hi").endsWith("\n");
    }

    @Test
    void inspectPrintsConfigTensorsAndParameters() {
        CliRunner.Result r = CliRunner.run("inspect", model("stories260K.bin"));
        assertThat(r.code()).isZero();
        assertThat(r.outText())
                .contains("llama2.c v0")
                .contains("dim 64, hidden 172, layers 5, heads 8, kv heads 4, head size 8, vocab 512, context 512")
                .contains("classifier shared")
                .contains("layers.4.w3")
                // README: 264,128 floats, minus the legacy RoPE tables (2 x 512 x 4) that are not parameters
                .contains("parameters:  260,032");
    }

    @Test
    void inspectJsonIsOneObject() {
        CliRunner.Result r = CliRunner.run("inspect", "--json", model("synthetic/synth_tiny_unshared_gqa4.bin"));
        assertThat(r.code()).isZero();
        assertThat(r.outText().strip()).startsWith("{").endsWith("}").contains("\"wcls\"")
                .contains("\"sharedClassifier\" : false");
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
