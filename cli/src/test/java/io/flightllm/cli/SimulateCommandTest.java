package io.flightllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.cli.CliRunner.Result;
import io.flightllm.model.testing.SharedData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.flightllm.cli.CliRunner.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code flightllm simulate} and {@code sweep} on stories260K (small and fast), and their bad inputs. */
class SimulateCommandTest {
    @TempDir
    static Path dir;
    static Path flm;

    @BeforeAll
    static void compress() {
        flm = dir.resolve("s.flm");
        Result r = run("compress", "--model", SharedData.model("stories260K.bin").toString(), "--out", flm.toString(),
                "--profile", "paper");
        assertThat(r.code()).as(r.err()).isZero();
    }

    private static JsonNode json(Result r) throws IOException {
        assertThat(r.code()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.outText());
    }

    /** stories260K holds 512 positions: a larger --context is served as 512, and both commands say so. */
    @Test
    void aContextBeyondTheModelsIsCappedAndSaid() throws IOException {
        Result sim = run("simulate", "--model", flm.toString(), "--context", "4096", "--workloads", "4:8", "--json");
        assertThat(sim.err()).contains("flightllm simulate: --context 4096 is beyond the model's 512 positions; "
                + "compiled for 512");
        assertThat(json(sim).get("decode_step_ms_by_context").has("512")).isTrue();
        Result comp = run("compile", "--model", flm.toString(), "--context", "600", "--shapes-only", "--out",
                dir.resolve("capped.flp").toString());
        assertThat(comp.code()).as(comp.err()).isZero();
        assertThat(comp.err()).contains("flightllm compile: --context 600 is beyond the model's 512 positions");
        Result exact = run("compile", "--model", flm.toString(), "--context", "512", "--shapes-only", "--out",
                dir.resolve("exact.flp").toString());
        assertThat(exact.err()).doesNotContain("beyond");
    }

    @Test
    void simulateReportsTheWorkloadsAsJson() throws IOException {
        JsonNode j = json(run("simulate", "--model", flm.toString(), "--context", "160", "--workloads", "4:16,8:100",
                "--json"));
        assertThat(j.get("target").asText()).isEqualTo("u280");
        assertThat(j.get("weight_image_bytes").asLong()).isPositive();
        assertThat(j.get("decode_step_ms_by_context").has("128")).isTrue();
        assertThat(j.get("decode_step_ms_by_context").has("512")).isFalse(); // beyond the compiled context
        assertThat(j.get("workloads")).hasSize(2);
        List<Double> rates = new ArrayList<>();
        for (JsonNode w : j.get("workloads")) {
            for (String k : List.of("prefill", "decode", "prefill_ms", "decode_tokens_per_s", "tokens_per_joule",
                    "hbm_utilization")) {
                assertThat(w.has(k)).as(k).isTrue();
            }
            assertThat(w.get("decode_tokens_per_s").asDouble()).isPositive();
            assertThat(w.get("hbm_utilization").asDouble()).isBetween(0.0, 1.0);
            rates.add(w.get("decode_tokens_per_s").asDouble());
        }
        assertThat(j.get("geomean_decode_tokens_per_s").asDouble())
                .isCloseTo(Math.sqrt(rates.get(0) * rates.get(1)), org.assertj.core.api.Assertions.within(1e-9));
        // the longer workload attends to more positions: it cannot decode faster
        assertThat(rates.get(1)).isLessThanOrEqualTo(rates.get(0));
    }

    /**
     * The built-in OPT-6.7B shape against LLaMA2-7B on vhk158 at a short context: about the same weight bytes per
     * step (fc1 + fc2 at 16384 against three 11008-row SwiGLU matrices; the 50272-row classifier adds ~1%), so a decode
     * step within a few percent; the paper's LLaMA2-7B numbers are printed for LLaMA2-7B only (docs/opt.md, "Timing").
     */
    @Test
    void opt6_7bIsTimedBesideLlama2_7bWithoutTheLlamaPaperNumbers() throws IOException {
        List<String> common = List.of("--target", "vhk158", "--context", "256", "--workloads", "128:64");
        List<String> opt = new ArrayList<>(List.of("simulate", "--model", "opt-6.7b"));
        opt.addAll(common);
        List<String> llama = new ArrayList<>(List.of("simulate", "--model", "llama2-7b"));
        llama.addAll(common);
        Result table = run(opt.toArray(String[]::new));
        assertThat(table.code()).as(table.err()).isZero();
        assertThat(table.outText()).contains("opt-6.7b").doesNotContain("paper (").doesNotContain("paper tok/s")
                .doesNotContain("V100");
        Result llamaTable = run(llama.toArray(String[]::new));
        assertThat(llamaTable.outText()).contains("paper tok/s");
        opt.add("--json");
        llama.add("--json");
        JsonNode o = json(run(opt.toArray(String[]::new)));
        JsonNode l = json(run(llama.toArray(String[]::new)));
        double ratio = o.get("weight_image_bytes").asDouble() / l.get("weight_image_bytes").asDouble();
        assertThat(ratio).isBetween(1.0, 1.02);
        double oStep = o.get("decode_step_ms_by_context").get("128").asDouble();
        double lStep = l.get("decode_step_ms_by_context").get("128").asDouble();
        assertThat(oStep / lStep).as("OPT / LLaMA decode step at context 128").isBetween(0.97, 1.05);
    }

    @Test
    void simulateTimesACompiledProgramWithTraceAndCharts() throws IOException {
        Path flp = dir.resolve("s.flp");
        assertThat(run("compile", "--model", flm.toString(), "--context", "64", "--out", flp.toString()).code())
                .isZero();
        Path trace = dir.resolve("out/trace.json");
        Path charts = dir.resolve("charts");
        Result r = run("simulate", "--program", flp.toString(), "--workloads", "4:8", "--trace", trace.toString(),
                "--trace-context", "16", "--charts", charts.toString(), "--json");
        JsonNode j = json(r);
        assertThat(j.get("densities").asText()).contains("weight image");
        JsonNode t = new ObjectMapper().readTree(Files.readString(trace));
        assertThat(t.get("traceEvents").size()).isGreaterThan(10);
        assertThat(Files.readString(charts.resolve("decode-latency.svg"))).startsWith("<svg");
        assertThat(Files.readString(charts.resolve("roofline.svg"))).contains("MV peak");
        // the same program without weights falls back to each tile's mean density
        Path shapes = dir.resolve("shapes.flp");
        assertThat(run("compile", "--model", flm.toString(), "--context", "64", "--shapes-only", "--out",
                shapes.toString()).code()).isZero();
        JsonNode s = json(run("simulate", "--program", shapes.toString(), "--workloads", "4:8", "--json"));
        assertThat(s.get("densities").asText()).contains("mean density");
        assertThat(s.get("weight_image_bytes").asLong()).isZero();
    }

    @Test
    void simulatePrintsATableForHumans() {
        Result r = run("simulate", "--model", flm.toString(), "--context", "64", "--workloads", "4:8", "-t",
                "vhk158");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.outText()).contains("target vhk158").contains("workload").contains("[4, 8]")
                .contains("geomean").contains("busy during decode");
    }

    @Test
    void badInputsFailWithOneLineNamingTheProblem() throws IOException {
        Path flp = dir.resolve("bad.flp");
        assertThat(run("compile", "--model", flm.toString(), "--context", "64", "--shapes-only", "--out",
                flp.toString()).code()).isZero();
        Result other = run("simulate", "--program", flp.toString(), "--target", "vhk158");
        assertThat(other.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(other.errLines()).singleElement().asString().contains("compiled for u280").contains("vhk158");
        Path corrupt = dir.resolve("corrupt.flp");
        Files.copy(flp, corrupt);
        try (RandomAccessFile f = new RandomAccessFile(corrupt.toFile(), "rw")) {
            f.seek(f.length() - 100);
            int b = f.read();
            f.seek(f.length() - 100);
            f.write(b ^ 0xff);
        }
        Result c = run("simulate", "--program", corrupt.toString());
        assertThat(c.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(c.errLines()).singleElement().asString().contains("corrupt.flp");
        Result w = run("simulate", "--model", flm.toString(), "--workloads", "128");
        assertThat(w.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(w.errLines()).singleElement().asString().contains("--workloads").contains("'128'");
        Result far = run("simulate", "--model", flm.toString(), "--context", "64", "--workloads", "60:20");
        assertThat(far.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(far.errLines()).singleElement().asString().contains("79").contains("--context");
        Result missing = run("simulate", "--model", dir.resolve("nope.flm").toString());
        assertThat(missing.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(missing.errLines()).singleElement().asString().contains("nope.flm");
    }

    @Test
    void sweepMarksTheParetoFronts() throws IOException {
        JsonNode j = json(run("sweep", "--model", flm.toString(), "--cores", "1,2", "--mv-rows", "64",
                "--clock-mhz", "150,225", "--b-kib", "128", "--workload", "4:8", "--json"));
        assertThat(j.get("points")).hasSize(4);
        int dsp = 0;
        for (JsonNode p : j.get("points")) {
            assertThat(p.get("dsp").asLong()).isPositive();
            assertThat(p.get("decode_tokens_per_s").asDouble()).isPositive();
            dsp += p.get("pareto_dsp").asBoolean() ? 1 : 0;
        }
        assertThat(dsp).isBetween(1, 4);
        // the fastest point is on both fronts
        JsonNode best = j.get("points").get(0);
        assertThat(best.get("pareto_dsp").asBoolean()).isTrue();
        assertThat(best.get("pareto_power").asBoolean()).isTrue();
        Result bad = run("sweep", "--model", flm.toString(), "--clock-mhz", "fast");
        assertThat(bad.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(bad.errLines()).singleElement().asString().contains("--clock-mhz").contains("fast");
        // a value no point can take is refused at once (it would skip every point and report none)
        for (String[] o : new String[][] {{"--cores", "0", "at least 1"}, {"--b-kib", "128,-4", "at least 1"},
                {"--clock-mhz", "0", "finite value > 0"}}) {
            Result r = run("sweep", "--model", flm.toString(), o[0], o[1]);
            assertThat(r.code()).as(o[0]).isEqualTo(Main.EXIT_INPUT);
            assertThat(r.errLines()).as(o[0]).singleElement().asString().contains(o[0]).contains(o[2]);
        }
    }

    @Test
    void paretoFrontsKeepOnlyUndominatedPoints() {
        var base = io.flightllm.arch.hw.HardwareConfigs.preset("u280");
        java.util.function.BiFunction<Double, Long, SweepCommand.Point> p = (tps, dsp) -> new SweepCommand.Point(
                "x", base, new io.flightllm.arch.hw.ResourceModel.Estimate(dsp, 1, 1), tps, dsp / 100.0, 1, 1, false,
                false);
        List<SweepCommand.Point> out = SweepCommand.fronts(List.of(p.apply(10.0, 100L), p.apply(20.0, 200L),
                p.apply(15.0, 300L), p.apply(20.0, 250L)));
        assertThat(out.stream().map(SweepCommand.Point::dspFront).toList()).containsExactly(true, true, false, false);
        assertThat(out.stream().map(SweepCommand.Point::powerFront).toList()).containsExactly(true, true, false,
                false);
    }
}
