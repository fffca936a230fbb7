package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.flm.FlmReader;
import io.flightllm.model.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressCommandTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(new Console(out, new PrintStream(err, true, StandardCharsets.UTF_8)), args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void compressesStories260KAndInspectsTheResult() {
        Path model = SharedData.model("stories260K.bin");
        Path f = dir.resolve("s.flm");
        Result r = run("compress", "--model", model.toString(), "--out", f.toString(), "--profile", "w4s8");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("values").contains("indices").contains("densities").contains("scales")
                .contains("bits/weight");
        assertThat(r.err()).contains("compress"); // the progress bar
        CompressedModel m = FlmReader.read(f);
        assertThat(m.layers().getFirst().w1().bits()).isEqualTo(4);
        assertThat(m.layers().getFirst().w1().density(0, 0)).isEqualTo(8);
        // 8:16 blocks: 16-bit masks are the cheaper index encoding, chosen by default
        assertThat(m.layers().getFirst().w1().indexEncoding()).isEqualTo(IndexEncoding.MASK16);
        Path p4 = dir.resolve("p4.flm");
        Result forced = run("compress", "--model", model.toString(), "--out", p4.toString(), "--profile", "w4s8",
                "--index-encoding", "positions4");
        assertThat(forced.code()).as(forced.err()).isZero();
        assertThat(FlmReader.read(p4).layers().getFirst().w1().indexEncoding()).isEqualTo(IndexEncoding.POSITIONS4);
        assertThat(p4.toFile().length()).isGreaterThan(f.toFile().length());
        Result bad = run("compress", "--model", model.toString(), "--out", p4.toString(), "--index-encoding", "bits");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("index encoding 'bits' is unknown; expected one of [auto, positions4, mask16]");

        Result i = run("inspect", f.toString());
        assertThat(i.code()).as(i.err()).isZero();
        assertThat(i.out()).contains(".flm v4").contains("attention:   dense causal").contains("w4s8").contains("layers.4.w3").contains("classifier")
                .contains("bits/weight");
        Result j = run("inspect", "--json", f.toString());
        assertThat(j.out()).contains("\"bits_per_weight\"").contains("\"padded_head_size\" : 16");
    }

    @Test
    void anAttentionMaskIsWrittenInspectedAndCompiled() {
        Path f = dir.resolve("masked.flm");
        String model = SharedData.model("stories260K.bin").toString();
        Result r = run("compress", "--model", model, "--out", f.toString(), "--profile", "w8",
                "--attention-mask", "64:1:4");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("prompt rows block-sparse 64:1:4");
        assertThat(FlmReader.read(f).attentionMask()).isEqualTo(io.flightllm.compress.algo.AttentionMask.DEFAULT);
        assertThat(run("inspect", f.toString()).out()).contains("attention:   prompt rows block-sparse 64:1:4");
        Result bad = run("compress", "--model", model, "--out", dir.resolve("x.flm").toString(),
                "--attention-mask", "40:1:4");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("--attention-mask").contains("block size 40").contains("multiple of 16");
        assertThat(dir.resolve("x.flm")).doesNotExist();
        Result c = run("compile", "--model", f.toString(), "-o", dir.resolve("m.flp").toString(), "--context", "256");
        assertThat(c.code()).as(c.err()).isZero();
        Result d = run("disasm", dir.resolve("m.flp").toString(), "--bucket", "prefill:256");
        assertThat(d.out()).contains("mask=block").contains("mask_block=64").contains("mask_band=4");
    }

    @Test
    void flagsOverrideTheProfile() {
        Path f = dir.resolve("b.flm");
        Result r = run("compress", "--model", SharedData.model("stories260K.bin").toString(), "--out", f.toString(),
                "--bits", "3", "--group", "32", "--mean-density", "0.75", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"bits_per_weight\"").contains("paper+flags");
        CompressedModel m = FlmReader.read(f);
        assertThat(m.linears()).allMatch(l -> l.bits() == 3 && l.groupSize() == 32);
    }

    @Test
    void smoothingFoldsIntoTheStoredNormsAndIsRecorded() {
        String model = SharedData.model("stories260K.bin").toString();
        Path plain = dir.resolve("plain.flm");
        Path smoothed = dir.resolve("smoothed.flm");
        assertThat(run("compress", "--model", model, "--out", plain.toString(), "--profile", "w8",
                "--calibration-sequences", "2").code()).isZero();
        Result r = run("compress", "--model", model, "--out", smoothed.toString(), "--profile", "w8", "--smooth",
                "0.5", "--calibration-sequences", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("SmoothQuant alpha 0.50 at qkv,gate_up,down,classifier");
        CompressedModel a = FlmReader.read(plain);
        CompressedModel b = FlmReader.read(smoothed);
        assertThat(b.recipe()).contains("SmoothQuant alpha 0.50");
        assertThat(b.layers().getFirst().attnNorm()).isNotEqualTo(a.layers().getFirst().attnNorm());
        assertThat(b.finalNorm()).isNotEqualTo(a.finalNorm());
        Result bad = run("compress", "--model", model, "--out", smoothed.toString(), "--smooth", "1.2");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("smoothing alpha 1.2 is outside [0, 1]");
        Result site = run("compress", "--model", model, "--out", smoothed.toString(), "--smooth", "0.5",
                "--smooth-sites", "qkv,attn");
        assertThat(site.code()).isNotZero();
        assertThat(site.err()).contains("smoothing site 'attn' is unknown");
    }

    /** Calibration on the user's text: its windows feed GPTQ, so the weights differ from the sampled calibration's. */
    @Test
    void gptqCalibratesOnAUserText() throws Exception {
        String model = SharedData.model("stories260K.bin").toString();
        String tok = SharedData.model("tok512.bin").toString();
        Path text = dir.resolve("calib.txt");
        java.nio.file.Files.writeString(text, java.nio.file.Files.readString(SharedData.reference(
                "stories260K_t1.0_p0.9_s133742_n256.stdout")).repeat(3));
        Path fromText = dir.resolve("text.flm");
        Path sampled = dir.resolve("sampled.flm");
        Result r = run("compress", "--model", model, "--out", fromText.toString(), "--profile", "w4", "--method",
                "gptq", "--calibration-text", text.toString(), "--tokenizer", tok, "--calibration-length", "64",
                "--calibration-sequences", "4");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("compress: calibrating on 4 windows of up to 64 tokens of " + text);
        assertThat(run("compress", "--model", model, "--out", sampled.toString(), "--profile", "w4", "--method",
                "gptq", "--calibration-length", "64", "--calibration-sequences", "4").code()).isZero();
        assertThat(FlmReader.read(fromText).layers().get(0).w2().values())
                .isNotEqualTo(FlmReader.read(sampled).layers().get(0).w2().values());
        // a text nobody calibrates on, a missing one, one that is not UTF-8: refused in one line
        Result rtn = run("compress", "--model", model, "--out", fromText.toString(), "--profile", "w4",
                "--calibration-text", text.toString(), "--tokenizer", tok);
        assertThat(rtn.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(rtn.err()).contains("--method rtn without --smooth calibrates nothing");
        Result missing = run("compress", "--model", model, "--out", fromText.toString(), "--method", "gptq",
                "--calibration-text", dir.resolve("none.txt").toString(), "--tokenizer", tok);
        assertThat(missing.err()).contains("none.txt: --calibration-text not found");
        Path latin1 = dir.resolve("latin1.txt");
        java.nio.file.Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xE9});
        Result bad = run("compress", "--model", model, "--out", fromText.toString(), "--method", "gptq",
                "--calibration-text", latin1.toString(), "--tokenizer", tok);
        assertThat(bad.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(bad.err()).contains("not valid UTF-8").doesNotContain("internal error");
    }

    @Test
    void invalidChoicesAreRefusedListingTheValidOnes() {
        String model = SharedData.model("stories260K.bin").toString();
        String out = dir.resolve("x.flm").toString();
        Result n3 = run("compress", "--model", model, "--out", out, "--density", "3");
        assertThat(n3.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(n3.err()).contains("N = 3").contains("[0, 2, 4, 8, 16]");
        Result b5 = run("compress", "--model", model, "--out", out, "--bits", "5");
        assertThat(b5.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(b5.err()).contains("[2, 3, 4, 8]");
        Result p = run("compress", "--model", model, "--out", out, "--profile", "w5");
        assertThat(p.err()).contains("[w8, w4, w3, w2, w4s8, mixed, paper]");
        Result both = run("compress", "--model", model, "--out", out, "--density", "8", "--mean-density", "0.7");
        assertThat(both.err()).contains("not both");
        Result method = run("compress", "--model", model, "--out", out, "--method", "awq");
        assertThat(method.err()).contains("--method is 'awq'; expected one of [rtn, wanda, sparsegpt, gptq]");
        assertThat(dir.toFile().list()).isEmpty();
    }

    @Test
    void inspectRefusesACorruptFlmWithOneLine() throws Exception {
        Path f = dir.resolve("c.flm");
        assertThat(run("compress", "--model", SharedData.model("stories260K.bin").toString(), "--out",
                f.toString(), "--profile", "w8").code()).isZero();
        byte[] b = Files.readAllBytes(f);
        b[1000] ^= 1;
        Files.write(f, b);
        Result r = run("inspect", f.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(r.err().strip()).startsWith("flightllm inspect: error: " + f).contains("crc32c")
                .doesNotContain("\n");
    }
}
