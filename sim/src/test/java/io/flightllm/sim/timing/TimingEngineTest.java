package io.flightllm.sim.timing;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.isa.St;
import io.flightllm.arch.isa.Sys;
import io.flightllm.arch.isa.SysOp;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The timing model on small hand-written programs whose cycle counts are derived by hand. The configuration makes the
 * arithmetic easy: 1 GHz (a cycle is a nanosecond), 4 channels of 16 GB/s, so 8 bytes per cycle on a core's own
 * channel (efficiency 0.5) and 4 across (0.25), 10 cycles of HBM latency, 2 cycles to issue a load, 5 cycles of MPE
 * fill, 3 of SFU fill per pass, 7 of barrier; MV 16 x 64 (one 16-column block of 64 rows per cycle).
 */
class TimingEngineTest {
    static HardwareConfig hw() {
        return HardwareConfigs.withOverrides(HardwareConfigs.preset("u280"), Map.ofEntries(
                Map.entry("cores", "2"), Map.entry("clockMhz", "1000"), Map.entry("hbm.channels", "4"),
                Map.entry("hbm.capacityBytes", "" + (1L << 30)), Map.entry("hbm.peakGBps", "64"),
                Map.entry("hbm.ownChannelEfficiency", "0.5"), Map.entry("hbm.crossChannelEfficiency", "0.25"),
                Map.entry("timing.loadIssueCycles", "2"), Map.entry("timing.loadsInFlight", "4"),
                Map.entry("timing.storeIssueCycles", "2"), Map.entry("timing.hbmLatencyNs", "10"),
                Map.entry("timing.matrixFillCycles", "5"), Map.entry("timing.sfuFillCycles", "3"),
                Map.entry("timing.barrierCycles", "7")));
    }

    static final HardwareConfig HW = hw();

    /** A load of {@code bytes} from HBM channel {@code ch} into B. */
    static Ld.Builder load(int ch, int bytes) {
        return Ld.builder().target(Buffer.B).mem(Mem.HBM).channel(ch).len(bytes);
    }

    /** A dense MV of {@code rows} x {@code k} blocks: ceil(rows / 64) x k cycles + 5. */
    static Mv.Builder mv(int rows, int k) {
        return Mv.builder().k(k).rows(rows).first(true).last(true);
    }

    static Sys.Builder barrier() {
        return Sys.builder().op(SysOp.BARRIER);
    }

    static int[] words(List<Instruction> stream) {
        return Isa.encode(stream);
    }

    static LaunchTiming time(List<List<Instruction>> cores) {
        return time(cores, null, 8);
    }

    static LaunchTiming time(List<List<Instruction>> cores, List<byte[][]> densities, int depth) {
        List<int[]> w = new ArrayList<>();
        cores.forEach(c -> w.add(words(c)));
        return new TimingEngine(new CostModel(HW), depth).run(new Launch(w, densities), null);
    }

    @Test
    void theConfigurationGivesTheRatesTheTestsAssume() {
        assertThat(HW.hbm().channelPeakBytesPerSecond() / HW.clockHz()).isEqualTo(16.0);
        assertThat(HW.channelsOf(0)).containsExactly(0, 1);
        assertThat(HW.channelsOf(1)).containsExactly(2, 3);
    }

    @Test
    void aComputeWaitsForItsLoadToken() {
        // LD: issue 2, 800 bytes at 8 B/cycle = 100, latency 10 -> completes at 112
        // MV (64 rows, 2 blocks): starts at 112 with the token, 2 cycles + 5 fill -> 119
        LaunchTiming t = time(List.of(List.of(load(0, 800).releaseTo(Queue.MV).build(),
                mv(64, 2).waitOn(Queue.LD).build())));
        assertThat(t.cycles()).isEqualTo(119.0);
        assertThat(t.busyCycles()[0][Queue.LD.ordinal()]).isEqualTo(112.0);
        assertThat(t.busyCycles()[0][Queue.MV.ordinal()]).isEqualTo(7.0);
        assertThat(t.hbmReadBytes()).isEqualTo(800);
        assertThat(t.macs()).isEqualTo(64L * 2 * 16);
    }

    @Test
    void withoutATokenTheComputeDoesNotWait() {
        LaunchTiming t = time(List.of(List.of(load(0, 800).build(), mv(64, 2).build())));
        assertThat(t.cycles()).isEqualTo(112.0); // the MV runs at 0..7, the load alone sets the end
    }

    @Test
    void theSecondLoadOverlapsTheFirstTilesCompute() {
        // LD1 ch0 0..112 (as above). LD2 ch1 starts at 2 (one issue later), ready 4, transfer 100, data at 114.
        // MV1 waits LD1: 112..119. MV2 waits LD2 (its second token): max(119, 114) = 119 .. 126.
        LaunchTiming t = time(List.of(List.of(
                load(0, 800).releaseTo(Queue.MV).build(), load(1, 800).releaseTo(Queue.MV).build(),
                mv(64, 2).waitOn(Queue.LD).build(), mv(64, 2).waitOn(Queue.LD).build())));
        assertThat(t.cycles()).isEqualTo(126.0);
        assertThat(t.busyCycles()[0][Queue.LD.ordinal()]).isEqualTo(114.0); // union of [0, 112] and [2, 114]
    }

    @Test
    void loadsContendForOneChannel() {
        // both on channel 0: the second transfer waits for the first (ends 102), 102..202, data at 212
        LaunchTiming same = time(List.of(List.of(load(0, 800).build(), load(0, 800).build())));
        assertThat(same.cycles()).isEqualTo(212.0);
        assertThat(same.channelBusyCycles()[0]).isEqualTo(200.0);
        // on two channels they overlap: 114
        LaunchTiming two = time(List.of(List.of(load(0, 800).build(), load(1, 800).build())));
        assertThat(two.cycles()).isEqualTo(114.0);
    }

    @Test
    void coresContendForAChannelAndCrossingCostsBandwidth() {
        // core 1 reads core 0's channel 0 at 4 B/cycle: ready at 2, but channel 0 is busy with core 0's load
        // until 102; 800 bytes take 200 -> 302, data at 312
        LaunchTiming t = time(List.of(List.of(load(0, 800).build()), List.of(load(0, 800).build())));
        assertThat(t.cycles()).isEqualTo(312.0);
        assertThat(t.crossChannelBytes()).isEqualTo(800);
        // alone, the crossing load takes 2 + 200 + 10
        LaunchTiming alone = time(List.of(List.of(), List.of(load(0, 800).build())));
        assertThat(alone.cycles()).isEqualTo(212.0);
    }

    @Test
    void aBarrierHoldsEveryCoreUntilTheLastArrives() {
        // core 0: MV of 4 x 10 blocks = 40 + 5 -> 45, then SYS (waits MV). core 1: SYS at 0, then an MV that waits
        // for the SYS. The barrier releases at 45 + 7 = 52; core 1's MV runs 52..52 + 1 + 5 = 58
        LaunchTiming t = time(List.of(
                List.of(mv(256, 10).releaseTo(Queue.SYS).build(), barrier().waitOn(Queue.MV).build()),
                List.of(barrier().releaseTo(Queue.MV).build(), mv(64, 1).waitOn(Queue.SYS).build())));
        assertThat(t.cycles()).isEqualTo(58.0);
        assertThat(t.busyCycles()[1][Queue.SYS.ordinal()]).isEqualTo(52.0); // core 1 waited at the barrier
    }

    @Test
    void aReleaseBlockedOnAFullCounterHoldsItsQueue() {
        // depth 1, MISC releases twice to MV, the MV waits only after a long LD: MISC2 cannot complete before the
        // MV took MISC1's token, so MISC3 (no tokens) waits for MISC2's completion.
        Misc.Builder add = Misc.builder().op(MiscOp.ADD).rows(1).n(16); // 1 x 1 element-cycle + 3 fill = 4
        LaunchTiming t = time(List.of(List.of(
                add.releaseTo(Queue.MV).build(), add.releaseTo(Queue.MV).build(), Misc.builder().op(MiscOp.ADD)
                        .rows(1).n(16).build(),
                load(0, 800).releaseTo(Queue.MV).build(),
                mv(64, 1).waitOn(Queue.LD, Queue.MISC).build(), mv(64, 1).waitOn(Queue.MISC).build())), null, 1);
        // LD data at 112; MV1 112..118 takes MISC1's token at 112; MISC2 (work 4..8) completes at 112; MISC3
        // 112..116; MV2 118..124
        assertThat(t.cycles()).isEqualTo(124.0);
        assertThat(t.busyCycles()[0][Queue.MISC.ordinal()]).isEqualTo(12.0); // 0..4, 4..8, 112..116
    }

    @Test
    void mpeCyclesFollowTheDensestBlockOfEachPass() {
        // 128 rows = 2 passes of 64 (4 row blocks each), k = 2. Pass 0: blocks at 8 except one at 16 in column 1;
        // pass 1: all at 4. Work = (8/16 + 16/16) + (4/16 + 4/16) = 2 block-cycles; + 5 fill = 7.
        byte[] n = new byte[8 * 2];
        for (int rb = 0; rb < 8; rb++) {
            n[rb * 2] = (byte) (rb < 4 ? 8 : 4);
            n[rb * 2 + 1] = (byte) (rb < 4 ? 8 : 4);
        }
        n[2 * 2 + 1] = 16;
        int kept = 0;
        for (byte b : n) {
            kept += b;
        }
        Mv sparse = mv(128, 2).sparse(true).bLines(kept).build();
        LaunchTiming exact = time(List.of(List.of(sparse)), List.<byte[][]>of(new byte[][]{n}), 8);
        assertThat(exact.cycles()).isCloseTo(7.0, within(1e-9));
        assertThat(exact.macs()).isEqualTo(16L * kept);
        // without densities a sparse tile counts at its mean N: 2 passes x 2 blocks x (kept / 16 blocks) / 16 + 5
        assertThat(kept).isEqualTo(104);
        LaunchTiming mean = time(List.of(List.of(sparse)));
        assertThat(mean.cycles()).isCloseTo(4 * (104 / 16.0) / 16 + 5, within(1e-9));
        // dense: 2 passes x 2 blocks + 5
        assertThat(time(List.of(List.of(mv(128, 2).build()))).cycles()).isEqualTo(9.0);
    }

    @Test
    void sfuCyclesArePassesTimesElementsOverLanes() {
        // RMSNorm: sfu.normPasses 2 x (2 rows x 64/16 + 3 fill) = 2 x 11 = 22
        Misc norm = Misc.builder().op(MiscOp.RMSNORM).rows(2).n(64).build();
        assertThat(time(List.of(List.of(norm))).cycles()).isEqualTo(22.0);
        // softmax: sfu.softmaxPasses 2 over 1 row of 40 elements: 2 x (3 + 3) = 12; with 3 passes configured, 18
        Misc sm = Misc.builder().op(MiscOp.SOFTMAX).rows(1).n(40).build();
        assertThat(time(List.of(List.of(sm))).cycles()).isEqualTo(12.0);
        HardwareConfig three = HardwareConfigs.withOverrides(HW, Map.of("sfu.softmaxPasses", "3"));
        assertThat(new TimingEngine(new CostModel(three), 8).run(Launch.of(List.of(words(List.of(sm)))), null)
                .cycles()).isEqualTo(18.0);
        // quantization: the norm passes (statistics, then scale); element-wise: one
        assertThat(time(List.of(List.of(Misc.builder().op(MiscOp.QUANT).rows(1).n(32).build()))).cycles())
                .isEqualTo(2 * (2 + 3.0));
        assertThat(time(List.of(List.of(Misc.builder().op(MiscOp.SILU).rows(1).n(32).build()))).cycles())
                .isEqualTo(2 + 3.0);
    }

    @Test
    void storesUseTheirChannel() {
        // ST: issue 2, 64 bytes at 8 B/cycle = 8, no read latency -> 10
        St st = St.builder().src(Buffer.GLOBAL).mem(Mem.HBM).channel(1).len(64).build();
        LaunchTiming t = time(List.of(List.of(st)));
        assertThat(t.cycles()).isEqualTo(10.0);
        assertThat(t.hbmWriteBytes()).isEqualTo(64);
        assertThat(t.channelBytes()[1]).isEqualTo(64);
    }

    @Test
    void aDeadlockIsReportedWithTheCheckersDiagnosis() {
        // MV waits for a token LD never releases
        List<List<Instruction>> p = List.of(List.of(load(0, 64).build(), mv(64, 1).waitOn(Queue.LD).build()));
        assertThatThrownBy(() -> time(p)).isInstanceOf(TimingException.class)
                .hasMessageContaining("cannot complete").hasMessageContaining("waits for a token from LD");
    }

    @Test
    void badInputsAreRejectedWithTheirReason() {
        CostModel cm = new CostModel(HW);
        TimingEngine e = new TimingEngine(cm, 8);
        int[] bad = {0xE000_0000};
        assertThatThrownBy(() -> e.run(Launch.of(List.of(bad)), null)).isInstanceOf(TimingException.class)
                .hasMessageContaining("core 0").hasMessageContaining("opcode");
        int[] truncated = java.util.Arrays.copyOf(words(List.of(load(0, 64).build())), 3);
        assertThatThrownBy(() -> e.run(Launch.of(List.of(truncated)), null)).isInstanceOf(TimingException.class)
                .hasMessageContaining("words");
        int[] farChannel = words(List.of(load(9, 64).build()));
        assertThatThrownBy(() -> e.run(Launch.of(List.of(farChannel)), null)).isInstanceOf(TimingException.class)
                .hasMessageContaining("channel 9");
        int[] one = words(List.of(mv(128, 2).sparse(true).bLines(64).build()));
        assertThatThrownBy(() -> e.run(new Launch(List.of(one), List.<byte[][]>of(new byte[][]{new byte[3]})), null))
                .isInstanceOf(TimingException.class).hasMessageContaining("densities hold 3 blocks");
        assertThatThrownBy(() -> e.run(Launch.of(List.of(one, one, one)), null)).isInstanceOf(TimingException.class)
                .hasMessageContaining("3 streams");
        HardwareConfig noTiming = HardwareConfigs.parse(HardwareConfigs.toJson(HW).replaceAll(
                "\"timing\" : \\{[^}]*},", ""), "no timing", false);
        assertThatThrownBy(() -> new TimingEngine(new CostModel(noTiming), 8)).isInstanceOf(TimingException.class)
                .hasMessageContaining("no 'timing' section");
    }

    @Test
    void aTraceSinkSeesEveryInstruction() {
        List<double[]> seen = new ArrayList<>();
        List<int[]> w = List.of(words(List.of(load(0, 800).releaseTo(Queue.MV).build(),
                mv(64, 2).waitOn(Queue.LD).build())));
        new TimingEngine(new CostModel(HW), 8).run(Launch.of(w),
                (core, q, i, start, end, complete) -> seen.add(new double[]{core, q, i, start, end, complete}));
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0)).containsExactly(0, Queue.LD.ordinal(), 0, 0, 112, 112);
        assertThat(seen.get(1)).containsExactly(0, Queue.MV.ordinal(), 1, 112, 119, 119);
    }
}
