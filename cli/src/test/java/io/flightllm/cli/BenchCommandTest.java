package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.model.Model;
import io.flightllm.model.bench.DecodeBench;
import io.flightllm.model.bench.RandomLlama;
import io.flightllm.model.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The bench command's report: its fields and the byte accounting. Speeds are printed, never asserted. */
class BenchCommandTest {
    record Outcome(int exit, String out, String err) {
    }

    static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.execute(new Console(out, new PrintStream(err, true, StandardCharsets.UTF_8)), args);
        return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void jsonReportOnATinyRandomModelHasTheMetricFields() throws Exception {
        Outcome o = run("bench", "--random-shape", "tiny", "--prompt-tokens", "9", "--generate", "5",
                "--repetitions", "3", "--threads", "2", "--memory-mib", "8", "--json");
        assertThat(o.exit()).as(o.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(o.out());
        for (String field : new String[] {"prefill_tokens_per_s", "decode_tokens_per_s", "achieved_gb_per_s",
                "dram_read_gb_per_s", "achieved_over_dram"}) {
            assertThat(j.get(field).asDouble()).as(field).isPositive();
        }
        // tiny: dim 128, hidden 344, 2 layers, 4 heads, 2 KV heads (kv_dim 64), vocab 512, shared classifier:
        // per layer wq + wo = 2 * 128 * 128, wk + wv = 2 * 64 * 128, w1 + w2 + w3 = 3 * 344 * 128, two norms of 128;
        // then the classifier 512 * 128, one embedding row of 128 and the final norm of 128; 4 bytes each
        long perLayer = 2L * 128 * 128 + 2L * 64 * 128 + 3L * 344 * 128 + 2 * 128;
        long expected = 4 * (2 * perLayer + 512L * 128 + 128 + 128);
        assertThat(j.get("weight_bytes_per_token").asLong()).isEqualTo(expected);
        assertThat(j.get("achieved_gb_per_s").asDouble()).isCloseTo(
                expected * j.get("decode_tokens_per_s").asDouble() / 1e9, org.assertj.core.data.Offset.offset(0.01));
        assertThat(j.get("decode_runs_tokens_per_s")).hasSize(3);
        System.out.println(o.out());
    }

    @Test
    void memoryOnlyReportsBandwidth() throws Exception {
        Outcome o = run("bench", "--memory", "--memory-mib", "16", "--threads", "1", "--json");
        assertThat(o.exit()).as(o.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(o.out());
        assertThat(j.get("dram_read_gb_per_s").asDouble()).isPositive();
        assertThat(j.get("dram_read_runs_gb_per_s")).hasSize(5);
        assertThat(j.has("decode_tokens_per_s")).isFalse();
    }

    @Test
    void aCheckpointCountsItsSharedClassifierOnce() {
        try (Model m = io.flightllm.model.loader.ModelLoader.load(SharedData.model("stories260K.bin"))) {
            // stories260K: dim 64, hidden 172, 5 layers, kv_dim 32, vocab 512 shared; the file also holds the legacy
            // RoPE tables (2 x 512 x 4 floats), which a decode step never reads
            long perLayer = 2L * 64 * 64 + 2L * 32 * 64 + 3L * 172 * 64 + 2 * 64;
            assertThat(DecodeBench.weightBytesPerToken(m.weights()))
                    .isEqualTo(4 * (5 * perLayer + 512L * 64 + 64 + 64));
        }
    }

    @Test
    void badOptionsAreReportedNotThrown() {
        Outcome o = run("bench", "--random-shape", "huge", "--memory-mib", "8");
        assertThat(o.exit()).isEqualTo(Main.EXIT_INPUT);
        assertThat(o.err()).contains("--random-shape").contains("tinyllama-4l");
        Outcome tooLong = run("bench", "--random-shape", "tiny", "--prompt-tokens", "200", "--generate", "100");
        assertThat(tooLong.exit()).isEqualTo(Main.EXIT_INPUT);
        assertThat(tooLong.err()).contains("300 positions").contains("256");
        Outcome kernels = run("bench", "--random-shape", "tiny", "--kernels", "gpu");
        assertThat(kernels.exit()).isEqualTo(Main.EXIT_INPUT);
        assertThat(kernels.err()).contains("expected golden, exact, exact-transposed or vector");
        // compression options that would change nothing are refused, not silently ignored
        Outcome refProfile = run("bench", "--random-shape", "tiny", "--profile", "w4");
        assertThat(refProfile.exit()).isEqualTo(Main.EXIT_INPUT);
        assertThat(refProfile.err()).contains("--profile is given").contains("times the fp32 reference");
        Outcome flmDense = run("bench", "--backend", "twin", "--model", "x.flm", "--compare-dense");
        assertThat(flmDense.exit()).isEqualTo(Main.EXIT_INPUT);
        assertThat(flmDense.err()).contains("--compare-dense is given").contains("x.flm is compressed already");
    }

    @Test
    void randomWeightsAreDeterministic() {
        try (Model a = RandomLlama.create(RandomLlama.Shape.TINY, 7); Model b = RandomLlama.create(RandomLlama.Shape.TINY, 7);
             Model c = RandomLlama.create(RandomLlama.Shape.TINY, 8)) {
            var wa = a.weights().layers().get(1).w2().data();
            var wb = b.weights().layers().get(1).w2().data();
            var wc = c.weights().layers().get(1).w2().data();
            assertThat(wa.mismatch(wb)).isEqualTo(-1);
            assertThat(wa.mismatch(wc)).isNotEqualTo(-1);
        }
    }

    @Test
    void twinOnTheRandomModelReportsItsSpeedupOverFp32InTheSameRun() throws Exception {
        Outcome o = run("bench", "--backend", "twin", "--random-shape", "tiny", "--profile", "w4",
                "--prompt-tokens", "8", "--generate", "8", "--repetitions", "1", "--warmup", "0", "--threads", "2",
                "--memory-mib", "8", "--json");
        assertThat(o.exit()).as(o.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(o.out());
        assertThat(j.get("fp32_decode_tokens_per_s").asDouble()).isPositive();
        assertThat(j.get("decode_tokens_per_s").asDouble()).isPositive();
        assertThat(j.get("speedup_over_fp32").asDouble()).isPositive();
        // 4-bit values + FP16 scales per 128 columns are far fewer bytes than FP32 (the embedding row and norms stay)
        assertThat(j.get("byte_reduction_vs_fp32").asDouble()).isBetween(5.0, 8.0);
        assertThat(j.get("profile").asText()).startsWith("w4");
    }
    /**
     * A sparse profile with 16-bit masks against the same profile dense, and llama.cpp's Q4_0 on the same weights,
     * all in one run: the bytes include the index metadata, and the llama.cpp column really ran (or says why not).
     */
    @Test
    void sparseTwinAgainstDenseAndLlamaCppInTheSameRun() throws Exception {
        Outcome o = run("bench", "--backend", "twin", "--random-shape", "tiny", "--profile", "w4s8",
                "--index-encoding", "mask16", "--compare-dense", "--llamacpp", "--prompt-tokens", "8", "--generate",
                "8", "--repetitions", "1", "--warmup", "0", "--threads", "1", "--memory-mib", "8", "--json");
        assertThat(o.exit()).as(o.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(o.out()); // stdout is the report only (no native library chatter)
        assertThat(j.get("index_encodings").asText()).isEqualTo("{mask16=14}"); // 7 decoder linears x 2 layers
        assertThat(j.get("dense_index_encodings").asText()).isEqualTo("none");
        // 8:16 at 4 bits with masks: 2 + 1 bits per decoder weight instead of 4 (the dense classifier and scales stay)
        assertThat(j.get("weight_bytes_per_token").asLong()).isLessThan(j.get("dense_weight_bytes_per_token").asLong());
        assertThat(j.get("bits_per_weight").asDouble()).isLessThan(j.get("dense_bits_per_weight").asDouble());
        assertThat(j.get("linear_macs_per_token").asLong() * 2 - j.get("dense_linear_macs_per_token").asLong())
                .as("8:16 halves the decoder MACs; the 512 x 128 classifier stays dense").isEqualTo(512L * 128);
        assertThat(j.get("speedup_over_dense").asDouble()).isPositive();
        assertThat(j.has("llamacpp_q4_0_error")).as(j.path("llamacpp_q4_0_error").asText()).isFalse();
        assertThat(j.get("llamacpp_q4_0_decode_tokens_per_s").asDouble()).isPositive();
        // Q4_0: 18 bytes per 32 weights, every matrix (the shared embedding is the classifier)
        assertThat(j.get("llamacpp_q4_0_weight_bytes_per_token").asLong())
                .isGreaterThan(j.get("fp32_weight_bytes_per_token").asLong() / 8);
        assertThat(j.get("speedup_over_llamacpp_q4_0").asDouble()).isCloseTo(j.get("decode_tokens_per_s").asDouble()
                / j.get("llamacpp_q4_0_decode_tokens_per_s").asDouble(), org.assertj.core.data.Offset.offset(1e-3));
    }
}
