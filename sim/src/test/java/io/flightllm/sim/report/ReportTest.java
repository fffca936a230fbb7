package io.flightllm.sim.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.hw.PowerSpec;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.isa.Queue;
import io.flightllm.sim.timing.CostModel;
import io.flightllm.sim.timing.Launch;
import io.flightllm.sim.timing.LaunchTiming;
import io.flightllm.sim.timing.TimingEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The metrics, the energy arithmetic, the trace and the charts, on synthetic launches. */
class ReportTest {
    @TempDir
    Path dir;

    private static final HardwareConfig U280 = HardwareConfigs.preset("u280");

    /** A launch result of {@code cycles} at 225 MHz with the given counts and nothing else. */
    private static LaunchTiming launch(double cycles, long macs, long onChip, long hbm) {
        return new LaunchTiming(cycles, U280.clockHz(), new long[3][6], new double[3][6], new double[32],
                new long[32], hbm, 0, 0, 0, onChip, macs);
    }

    @Test
    void energyIsStaticPowerPlusEnergyPerOperation() {
        PowerSpec p = new PowerSpec(30, 2, 3, 40, 1000.0, "test");
        // 30 W x 0.5 s + (2 x 1e9 + 3 x 1e8 + 40 x 1e7) pJ = 15 + 0.002 + 0.0003 + 0.0004 J
        assertThat(Energy.joules(p, 0.5, 1_000_000_000L, 100_000_000L, 10_000_000L))
                .isCloseTo(15.0027, within(1e-12));
    }

    @Test
    void workloadMetricsFollowTheDefinitions() {
        // decode buckets of 32: 2.25e6 cycles = 10 ms up to context 160, 20 ms beyond; prefill chunks of 4 rows
        // cost 5 ms in bucket 128 and 7 ms in bucket 256
        Map<Integer, LaunchTiming> decode = new TreeMap<>();
        for (int b = 32; b <= 512; b += 32) {
            decode.put(b, launch(b <= 160 ? 2.25e6 : 4.5e6, 1000, 2000, 3_000_000));
        }
        Map<Integer, LaunchTiming> prefill = Map.of(128, launch(1.125e6, 0, 0, 0), 256, launch(1.575e6, 0, 0, 0));
        Simulation sim = new Simulation(U280, 4, List.of(128, 256), List.copyOf(decode.keySet()), prefill, decode);
        // [130, 40]: contexts 130..169: 31 steps at 10 ms (130..160), 9 at 20 ms -> 490 ms
        WorkloadResult r = sim.run(new Workload(130, 40), 3_000_000_000L);
        assertThat(r.decodeMs()).isCloseTo(490, within(1e-9));
        assertThat(r.decodeTokensPerS()).isCloseTo(40 / 0.49, within(1e-9));
        // prefill 130 = 32 chunks ending at 4..128 (bucket 128) + one ending at 130 (bucket 256): 32 x 5 + 7
        assertThat(r.prefillMs()).isCloseTo(167, within(1e-9));
        assertThat(r.endToEndTokensPerS()).isCloseTo(40 / (0.49 + 0.167), within(1e-9));
        // HBM: 40 x 3e6 bytes over 0.49 s at 460 GB/s
        assertThat(r.hbmUtilization()).isCloseTo(40 * 3e6 / (460e9 * 0.49), within(1e-12));
        assertThat(r.achievedGBps()).isCloseTo(3.0 * 40 / 0.49, within(1e-9));
        PowerSpec p = U280.power();
        double joules = 0;
        for (int c = 130; c < 170; c++) {
            joules += Energy.joules(p, c <= 160 ? 0.01 : 0.02, 1000, 2000, 3_000_000);
        }
        assertThat(r.tokensPerJoule()).isCloseTo(40 / joules, within(1e-9));
        assertThat(r.watts()).isCloseTo(joules / 0.49, within(1e-9));
        assertThat(r.tokensPerSPerDollar()).isCloseTo(40 / 0.49 / p.boardPriceUsd(), within(1e-12));
        assertThatThrownBy(() -> sim.run(new Workload(500, 100), 1)).hasMessageContaining("exceeds the largest bucket");
    }

    @Test
    void theGeomeanIsOfTheDecodeRates() {
        WorkloadResult a = new WorkloadResult(new Workload(1, 1), 0, 0, 4, 0, null, null, null, 0, 0, 0, Map.of());
        WorkloadResult b = new WorkloadResult(new Workload(1, 2), 0, 0, 9, 0, null, null, null, 0, 0, 0, Map.of());
        assertThat(Simulation.geomean(List.of(a, b))).isCloseTo(6, within(1e-12));
    }

    @Test
    void workloadsParseAndNameTheirErrors() {
        assertThat(Workload.parseList("128:512, 512x1024")).containsExactly(new Workload(128, 512),
                new Workload(512, 1024));
        assertThatThrownBy(() -> Workload.parseList("128")).hasMessageContaining("'128'");
        assertThatThrownBy(() -> Workload.parseList("a:b")).hasMessageContaining("two integers");
        assertThatThrownBy(() -> Workload.parseList("0:5")).hasMessageContaining("at least 1");
    }

    @Test
    void theTraceIsChromeTraceJsonWithOneEventPerInstruction() throws Exception {
        int[] core0 = Isa.encode(List.of(
                Ld.builder().target(Buffer.B).mem(Mem.HBM).channel(0).len(4096).releaseTo(Queue.MV).build(),
                Ld.builder().target(Buffer.B).mem(Mem.HBM).channel(1).len(4096).releaseTo(Queue.MV).build(),
                Mv.builder().k(4).rows(64).first(true).last(true).waitOn(Queue.LD).releaseTo(Queue.MISC).build(),
                Mv.builder().k(4).rows(64).first(true).last(true).waitOn(Queue.LD).build(),
                Misc.builder().op(MiscOp.SOFTMAX).rows(1).n(64).waitOn(Queue.MV).build()));
        int[] core1 = Isa.encode(List.of(Misc.builder().op(MiscOp.ADD).rows(1).n(16).build()));
        Launch l = Launch.of(List.of(core0, core1));
        ChromeTrace t = new ChromeTrace(l, U280.clockHz(), 100);
        new TimingEngine(new CostModel(U280), 8).run(l, t);
        Path f = dir.resolve("trace.json");
        t.write(f);
        JsonNode root = new ObjectMapper().readTree(Files.readString(f));
        List<JsonNode> complete = new ArrayList<>();
        Set<String> processes = new HashSet<>();
        Set<String> threads = new HashSet<>();
        for (JsonNode e : root.get("traceEvents")) {
            switch (e.get("ph").asText()) {
                case "X" -> complete.add(e);
                case "M" -> (e.get("name").asText().equals("process_name") ? processes : threads)
                        .add(e.get("args").get("name").asText());
                default -> throw new AssertionError("unexpected event " + e);
            }
        }
        assertThat(complete).hasSize(6);
        assertThat(complete.stream().map(e -> e.get("name").asText()))
                .containsExactlyInAnyOrder("LD", "LD", "MV", "MV", "MISC softmax", "MISC add");
        assertThat(processes).containsExactlyInAnyOrder("core 0", "core 1");
        // the two loads overlap in time, so they are drawn on two tracks of LD
        assertThat(threads).contains("LD", "LD #1", "MV", "MISC");
        for (JsonNode e : complete) {
            assertThat(e.get("ts").asDouble()).isGreaterThanOrEqualTo(0);
            assertThat(e.get("dur").asDouble()).isGreaterThan(0);
        }
        // a cap keeps the earliest events and says how many were left out
        ChromeTrace capped = new ChromeTrace(l, U280.clockHz(), 2);
        new TimingEngine(new CostModel(U280), 8).run(l, capped);
        capped.write(f);
        JsonNode c = new ObjectMapper().readTree(Files.readString(f));
        assertThat(c.get("otherData").get("instructions_left_out").asLong()).isEqualTo(4);
    }

    @Test
    void chartsAreSvgWithTheirSeries() {
        LaunchTiming t = launch(2.25e6, 6_000_000_000L, 1, 3_000_000_000L);
        Simulation sim = new Simulation(U280, 4, List.of(128), List.of(128, 512), Map.of(128, t),
                new TreeMap<>(Map.of(128, t, 512, launch(2.5e6, 1, 1, 1))));
        String latency = Charts.decodeLatency(sim, "latency", new TreeMap<>(PaperNumbers.U280_STEP_MS), "paper");
        assertThat(latency).startsWith("<svg").contains("model (u280)").contains("paper").endsWith("</svg>\n");
        assertThat(latency.split("<circle").length - 1).isEqualTo(4);
        String roof = Charts.roofline(U280, t, t);
        assertThat(roof).contains("HBM roof").contains("MV peak").contains("decode step").contains("prefill chunk");
    }
}
