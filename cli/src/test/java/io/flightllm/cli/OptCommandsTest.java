package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.model.testing.OptWriter;
import io.flightllm.model.testing.OptWriter.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code run} and {@code bench} on Hugging Face OPT directories, with the tokenizer.json from the directory. */
class OptCommandsTest {
    @TempDir
    Path tmp;

    Path opt(String name, Spec s) {
        Path dir = tmp.resolve(name);
        OptWriter.write(s, dir);
        return dir;
    }

    @Test
    void runPrintsThePromptAndGreedyTextTheSameWithEveryExactKernel() {
        Path dir = opt("pre", Spec.preLn());
        String prompt = "Once upon a time 😀 東京";
        CliRunner.Result golden = CliRunner.run("run", "--model", dir.toString(), "--temperature", "0", "--steps",
                "30", "--prompt", prompt, "--kernels", "golden");
        assertThat(golden.code()).as(golden.err()).isZero();
        // BOS </s> is not printed; the prompt comes back whole (byte-level pieces are written whole)
        assertThat(golden.outText()).startsWith(prompt).endsWith("\n");
        assertThat(golden.out().length).isGreaterThan(prompt.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        CliRunner.Result exact = CliRunner.run("run", "--model", dir.toString(), "--temperature", "0", "--steps",
                "30", "--prompt", prompt);
        assertThat(exact.out()).isEqualTo(golden.out());
        assertThat(exact.errLines().getLast()).startsWith("prompt: ");
    }

    @Test
    void runWithoutATokenizerSaysWhatIsMissing() throws Exception {
        Path dir = opt("notok", Spec.preLn().postLn());
        Files.delete(dir.resolve("tokenizer.json"));
        CliRunner.Result r = CliRunner.run("run", "--model", dir.toString(), "--steps", "4");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("no tokenizer");
    }

    @Test
    void inspectShowsTheOptVariationPoints() {
        CliRunner.Result r = CliRunner.run("inspect", opt("inspect", Spec.preLn().postLn().embedDim(20)).toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.outText()).contains("family:      OPT")
                .contains("layers:      post-norm, final norm no, biases yes, embed dim 20 (project_in/out)")
                .contains("model.decoder.project_in.weight");
    }

    @Test
    void compressRefusesPostNormOptWithAMessageNotACrash() {
        Path dir = opt("compress", Spec.preLn().postLn());
        CliRunner.Result r = CliRunner.run("compress", "--model", dir.toString(), "--out",
                tmp.resolve("o.flm").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("config field norm_before (HF do_layer_norm_before) is false; expected true: "
                + "post-norm OPT (opt-350m) is not supported yet; compress handles");
        assertThat(tmp.resolve("o.flm")).doesNotExist();
        CliRunner.Result p = CliRunner.run("compress", "--model", opt("proj", Spec.preLn().embedDim(16)).toString(),
                "--out", tmp.resolve("p.flm").toString());
        assertThat(p.code()).isEqualTo(1);
        assertThat(p.err()).contains("config field embed_dim (HF word_embed_proj_dim) is 16; expected 24");
    }

    /** compress writes a .flm; run --backend twin generates with the OPT tokenizer; eval measures it; inspect. */
    @Test
    void compressRunAndEvalAPreNormOpt() throws Exception {
        Path dir = opt("flm", Spec.preLn().shape(40, 72, 2, 5));
        Path flm = tmp.resolve("opt.flm");
        CliRunner.Result c = CliRunner.run("compress", "--model", dir.toString(), "--out", flm.toString(),
                "--profile", "w8", "--json");
        assertThat(c.code()).as(c.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(c.outText());
        // over 8: 8-wide heads padded to 16 and 40 columns to 48 store zeros, counted against the real parameters
        assertThat(j.get("bits_per_weight").asDouble()).isGreaterThan(8.0);
        assertThat(j.get("norm_bytes").asLong()).isEqualTo(4L * (2 * 4 * 40 + 2 * 40)); // LayerNorm weights + biases
        assertThat(c.err()).contains("13/13"); // 2 layers x 6 matrices + the classifier (no w3)
        CliRunner.Result flmRun = CliRunner.run("run", "--model", flm.toString(), "--backend", "twin", "--tokenizer",
                dir.toString(), "--temperature", "0", "--steps", "20", "--prompt", "Once upon a time");
        assertThat(flmRun.code()).as(flmRun.err()).isZero();
        assertThat(flmRun.outText()).startsWith("Once upon a time");
        // compiled for the vhk158 and run on the functional simulator: the twin's text, byte for byte
        Path flp = tmp.resolve("opt.flp");
        CliRunner.Result comp = CliRunner.run("compile", "--model", flm.toString(), "--target", "vhk158",
                "--context", "32", "--out", flp.toString());
        assertThat(comp.code()).as(comp.err()).isZero();
        CliRunner.Result simRun = CliRunner.run("run", "--model", flm.toString(), "--backend", "sim", "--program",
                flp.toString(), "--tokenizer", dir.toString(), "--temperature", "0", "--steps", "20", "--prompt",
                "Once upon a time");
        assertThat(simRun.code()).as(simRun.err()).isZero();
        assertThat(simRun.outText()).isEqualTo(flmRun.outText());
        assertThat(flmRun.outText().strip()).as("generated past the prompt").isNotEqualTo("Once upon a time");
        CliRunner.Result e = CliRunner.run("eval", "--model", dir.toString(), "--compressed", flm.toString(),
                "--sequences", "3", "--length", "24", "--json");
        assertThat(e.code()).as(e.err()).isZero();
        JsonNode ev = new ObjectMapper().readTree(e.outText());
        assertThat(ev.get("top1_agreement").asDouble()).isGreaterThan(0.8);
        assertThat(ev.get("kl_divergence").asDouble()).isBetween(0.0, 0.05);
        CliRunner.Result i = CliRunner.run("inspect", flm.toString());
        assertThat(i.code()).as(i.err()).isZero();
        assertThat(i.outText()).contains("layers.1.w2");
        // eval of a .flm against a post-norm checkpoint is refused (the twin does not run post-norm OPT)
        CliRunner.Result bad = CliRunner.run("eval", "--model", opt("evalpost", Spec.preLn().postLn()).toString(),
                "--compressed", flm.toString(), "--sequences", "1", "--length", "8");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("norm_before");
    }

    @Test
    void benchReportsTheOptWeightBytes() throws Exception {
        Spec s = Spec.preLn().embedDim(20).untied();
        Path dir = opt("bench", s);
        BenchCommandTest.Outcome o = BenchCommandTest.run("bench", "--model", dir.toString(), "--prompt-tokens", "8",
                "--generate", "8", "--warmup", "0", "--repetitions", "1", "--threads", "1", "--memory-mib", "8",
                "--json");
        assertThat(o.exit()).as(o.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(o.out());
        assertThat(j.get("decode_tokens_per_s").asDouble()).isPositive();
        int d = s.dim();
        int f = s.ffn();
        int e = s.embedDim();
        // per layer: q, k, v, out with biases; fc1, fc2 with biases; two LayerNorms (weight + bias)
        long perLayer = 4L * d * d + 4L * d + 2L * d * f + f + d + 4L * d;
        // the separate lm_head, one embedding row, one position row, the final LayerNorm, project_in and project_out
        long expected = 4 * (s.layers() * perLayer + (long) s.vocab() * e + e + d + 2L * d + 2L * d * e);
        assertThat(j.get("weight_bytes_per_token").asLong()).isEqualTo(expected);
    }
}
