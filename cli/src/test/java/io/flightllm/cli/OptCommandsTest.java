package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.model.hf.SafetensorsFile;
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

    /** The parameter count is the file's (HF's): the position table's 2 offset rows included, a tied head once. */
    @Test
    void inspectCountsTheParametersInTheFile() throws Exception {
        for (Spec s : new Spec[] {Spec.preLn(), Spec.preLn().postLn().embedDim(20)}) {
            Path dir = opt("count" + s.hashCode(), s);
            long inFile = 0;
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                for (SafetensorsFile.Entry e : SafetensorsFile.open(dir.resolve("model.safetensors"), arena).entries()
                        .values()) {
                    inFile += e.elements();
                }
            }
            CliRunner.Result r = CliRunner.run("inspect", "--json", dir.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(new ObjectMapper().readTree(r.outText()).get("parameters").asLong()).isEqualTo(inFile);
        }
    }

    /** opt-350m's layout: post-norm layers, no final norm, project_in/out (folded by compress). */
    @Test
    void compressRunAndEvalAPostNormProjectingOpt() throws Exception {
        Path dir = opt("post", Spec.preLn().shape(40, 72, 2, 5).postLn().embedDim(20));
        Path flm = tmp.resolve("post.flm");
        CliRunner.Result c = CliRunner.run("compress", "--model", dir.toString(), "--out", flm.toString(),
                "--profile", "w8", "--json");
        assertThat(c.code()).as(c.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(c.outText());
        assertThat(j.get("norm_bytes").asLong()).isEqualTo(4L * 2 * 4 * 40); // no final LayerNorm
        assertThat(j.get("embedding_bytes").asLong()).isEqualTo(4L * (Spec.preLn().vocab() + 32) * 40); // folded
        CliRunner.Result i = CliRunner.run("inspect", flm.toString());
        assertThat(i.code()).as(i.err()).isZero();
        assertThat(i.outText()).contains("folded into the token table and the classifier");
        CliRunner.Result run = CliRunner.run("run", "--model", flm.toString(), "--backend", "twin", "--tokenizer",
                dir.toString(), "--temperature", "0", "--steps", "20", "--prompt", "Once upon a time");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.outText()).startsWith("Once upon a time");
        assertEvalAgrees(dir, flm);
        // SmoothQuant (W8A8's default sites) on post-norm: the unfoldable sites are skipped, said on stderr
        CliRunner.Result s = CliRunner.run("compress", "--model", dir.toString(), "--out",
                tmp.resolve("post-sq.flm").toString(), "--profile", "w8", "--smooth", "0.5",
                "--calibration-sequences", "2", "--calibration-length", "16");
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(s.err()).contains("compress: SmoothQuant skips qkv: post-norm layers")
                .contains("compress: SmoothQuant skips gate_up");
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
        assertEvalAgrees(dir, flm);
        CliRunner.Result i = CliRunner.run("inspect", flm.toString());
        assertThat(i.code()).as(i.err()).isZero();
        assertThat(i.outText()).contains("layers.1.w2");
        // eval of a pre-norm .flm against a post-norm checkpoint of the same widths is refused
        CliRunner.Result bad = CliRunner.run("eval", "--model", opt("evalpost", Spec.preLn().shape(40, 72, 2, 5)
                .postLn()).toString(), "--compressed", flm.toString(), "--sequences", "1", "--length", "8");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("pre-norm) is not the shape of").contains("post-norm, no final norm)");
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

    /** eval of the compressed model against its checkpoint: w8 on these random models agrees closely. */
    private static void assertEvalAgrees(Path dir, Path flm) throws Exception {
        CliRunner.Result e = CliRunner.run("eval", "--model", dir.toString(), "--compressed", flm.toString(),
                "--sequences", "3", "--length", "24", "--json");
        assertThat(e.code()).as(e.err()).isZero();
        JsonNode ev = new ObjectMapper().readTree(e.outText());
        assertThat(ev.get("top1_agreement").asDouble()).isGreaterThan(0.8);
        assertThat(ev.get("kl_divergence").asDouble()).isBetween(0.0, 0.05);
    }
}
