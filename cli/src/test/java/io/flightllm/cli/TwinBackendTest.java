package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.model.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** run / bench / eval on a .flm through the CPU twin, and the backend-file pairing errors. */
class TwinBackendTest {
    @TempDir
    static Path dir;
    static Path flm;

    record Result(int code, byte[] out, String err) {
        String text() {
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(new Console(out, new PrintStream(err, true, StandardCharsets.UTF_8)), args);
        return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    static String model() {
        return SharedData.model("stories260K.bin").toString();
    }

    static String tok() {
        return SharedData.model("tok512.bin").toString();
    }

    @BeforeAll
    static void compress() {
        flm = dir.resolve("s-w8.flm");
        Result r = run("compress", "--model", model(), "--out", flm.toString(), "--profile", "w8");
        assertThat(r.code()).as(r.err()).isZero();
    }

    @Test
    void twinGeneratesTheSameBytesWithOneAndTwoThreads() {
        Result one = run("run", "--model", flm.toString(), "--backend", "twin", "--tokenizer", tok(),
                "--temperature", "0", "--steps", "60", "--threads", "1", "--prompt", "Once upon a time");
        Result two = run("run", "--model", flm.toString(), "--backend", "twin", "--tokenizer", tok(),
                "--temperature", "0", "--steps", "60", "--threads", "2", "--prompt", "Once upon a time");
        assertThat(one.code()).as(one.err()).isZero();
        assertThat(one.text()).startsWith("Once upon a time").hasSizeGreaterThan(100);
        assertThat(two.out()).isEqualTo(one.out());
    }

    @Test
    void evalReportsTheMetricsWithIntervals() throws Exception {
        Result r = run("eval", "--model", model(), "--compressed", flm.toString(), "--sequences", "4", "--length",
                "64", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.text());
        for (String k : new String[] {"kl_divergence", "top1_agreement", "perplexity", "bits_per_weight"}) {
            assertThat(j.has(k)).as(k).isTrue();
            assertThat(j.get(k + "_ci95").size()).as(k + "_ci95").isEqualTo(2);
        }
        assertThat(j.get("top1_agreement").asDouble()).isBetween(0.8, 1.0);
        assertThat(j.get("kl_divergence").asDouble()).isBetween(0.0, 0.1);
    }

    /** A --text-file that is missing or not UTF-8 is the user's error, named as such (not an internal one). */
    @Test
    void evalRefusesABadTextFileInOneLine() throws Exception {
        String tok = io.flightllm.model.testing.SharedData.model("tok512.bin").toString();
        Result missing = run("eval", "--model", model(), "--compressed", flm.toString(), "--tokenizer", tok,
                "--text-file", dir.resolve("nope.txt").toString());
        assertThat(missing.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(missing.err()).contains("nope.txt: --text-file not found");
        Path binary = dir.resolve("latin1.txt");
        java.nio.file.Files.write(binary, new byte[] {'c', 'a', 'f', (byte) 0xE9});
        Result notUtf8 = run("eval", "--model", model(), "--compressed", flm.toString(), "--tokenizer", tok,
                "--text-file", binary.toString());
        assertThat(notUtf8.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(notUtf8.err()).contains("latin1.txt: not valid UTF-8 text").doesNotContain("internal error");
    }

    @Test
    void calibratedMethodsWriteDifferentWeightsThanRoundToNearest() throws Exception {
        Path rtn = dir.resolve("rtn.flm");
        Path gptq = dir.resolve("gptq.flm");
        assertThat(run("compress", "--model", model(), "--out", rtn.toString(), "--profile", "w4").code()).isZero();
        Result r = run("compress", "--model", model(), "--out", gptq.toString(), "--profile", "w4", "--method",
                "gptq", "--calibration-sequences", "4", "--calibration-length", "64");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("calibrating on 4 sampled sequences of 64 tokens");
        var a = io.flightllm.compress.flm.FlmReader.read(rtn).layers().get(0).w2().values();
        var b = io.flightllm.compress.flm.FlmReader.read(gptq).layers().get(0).w2().values();
        assertThat(b).hasSameSizeAs(a).isNotEqualTo(a);
    }

    @Test
    void benchRunsTheTwin() throws Exception {
        Result r = run("bench", "--model", flm.toString(), "--backend", "twin", "--prompt-tokens", "8",
                "--generate", "8", "--repetitions", "1", "--warmup", "0", "--memory-mib", "8", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.text());
        assertThat(j.get("decode_tokens_per_s").asDouble()).isPositive();
        assertThat(j.get("weight_bytes_per_token").asLong()).isLessThan(1_056_540 / 2);
    }

    @Test
    void backendsRefuseTheOtherKindOfFileInOneLine() {
        Result twinOnBin = run("run", "--model", model(), "--backend", "twin", "--tokenizer", tok());
        assertThat(twinOnBin.code()).isEqualTo(1);
        assertThat(twinOnBin.err().strip()).doesNotContain("\n").contains("flightllm compress");
        Result refOnFlm = run("run", "--model", flm.toString(), "--tokenizer", tok());
        assertThat(refOnFlm.code()).isEqualTo(1);
        assertThat(refOnFlm.err().strip()).doesNotContain("\n").contains("--backend twin");
        Result unknown = run("run", "--model", model(), "--backend", "gpu");
        assertThat(unknown.err()).contains("[ref, twin, sim]");
    }
}
