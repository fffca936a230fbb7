package io.flightllm.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.QueueSet;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.isa.Sys;
import io.flightllm.arch.isa.SysOp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tokens, barriers and the shared GLOBAL window across cores; each protocol failure detected and named. */
class SchedulerTest {
    private static final Params P = new Params(0, 0, 0);

    private static Ld.Builder load(int channel, long addr, int globalLine) {
        return Ld.builder().target(Buffer.GLOBAL).buf(globalLine).mem(Mem.HBM).channel(channel).addr(addr).len(16);
    }

    private static Misc.Builder scale(int from, int to, float f) {
        return Misc.builder().op(MiscOp.SCALE).n(4).a(from).dst(to).imm(f);
    }

    private static List<Instruction> stream(Object... b) {
        List<Instruction> s = new ArrayList<>();
        for (Object o : b) {
            s.add(((io.flightllm.arch.isa.InstructionBuilder<?, ?>) o).build());
        }
        return s;
    }

    @ParameterizedTest
    @EnumSource(Schedule.class)
    void aTokenOrdersTheConsumerAfterItsProducerAndABarrierOrdersTheCores(Schedule schedule) {
        Rig r = new Rig(2, SimOptions.defaults().withSchedule(schedule));
        long half = r.m.hw().buffers().globalBytes() / 2 / 16; // first line of the shared window
        float[] v = {1, 2, 3, 4};
        byte[] bytes = new byte[16];
        Bytes.writeF32(bytes, 0, v, 0, 4);
        r.m.hbm(5).write(0, bytes, 0, 16);
        // core 0: load into its private half, scale by 2 into the shared window, barrier
        List<Instruction> c0 = stream(load(5, 0, 10).releases(QueueSet.of(Queue.MISC)),
                scale(10, (int) half, 2.0f).waits(QueueSet.of(Queue.LD)).releases(QueueSet.of(Queue.SYS)),
                Sys.builder().op(SysOp.BARRIER).waits(QueueSet.of(Queue.MISC)));
        // core 1: barrier, then scale the shared value by 3 into its private half; its own line 10 stays zero
        List<Instruction> c1 = stream(Sys.builder().op(SysOp.BARRIER).releases(QueueSet.of(Queue.MISC)),
                scale((int) half, 20, 3.0f).waits(QueueSet.of(Queue.SYS)));
        r.m.run(List.of(c0, c1), P);
        Rig.assertBits(r.getF32(1, Buffer.GLOBAL, 16 * 20, 4), new float[] {6, 12, 18, 24}, "core 1 after barrier");
        Rig.assertBits(r.getF32(1, Buffer.GLOBAL, 16 * 10, 4), new float[4], "core 1's private line 10");
        Rig.assertBits(r.getF32(0, Buffer.GLOBAL, 16 * half, 4), new float[] {2, 4, 6, 8}, "shared, seen by core 0");
        assertThat(r.m.counters().instructions(0, Queue.SYS)).isEqualTo(1);
        assertThat(r.m.counters().instructions(1, Queue.MISC)).isEqualTo(1);
    }

    @Test
    void withoutTheTokenTheReverseScheduleRunsTheConsumerFirst() {
        // test of the test above: the same program without its token reads the line before the load fills it
        Rig r = new Rig(1, SimOptions.defaults().withSchedule(Schedule.ROUND_ROBIN_REVERSE));
        byte[] bytes = new byte[16];
        Bytes.writeF32(bytes, 0, new float[] {1, 2, 3, 4}, 0, 4);
        r.m.hbm(5).write(0, bytes, 0, 16);
        r.m.run(List.of(stream(load(5, 0, 10), scale(10, 30, 2.0f))), P);
        Rig.assertBits(r.getF32(0, Buffer.GLOBAL, 16 * 30, 4), new float[4], "scaled before the load");
    }

    @Test
    void aCycleOfWaitsIsADeadlockNamingEveryBlockedInstruction() {
        Rig r = new Rig(1);
        List<Instruction> s = stream(load(0, 0, 1).waits(QueueSet.of(Queue.MISC)).releases(QueueSet.of(Queue.MISC)),
                scale(1, 2, 1f).waits(QueueSet.of(Queue.LD)).releases(QueueSet.of(Queue.LD)));
        assertThatThrownBy(() -> r.m.run(List.of(s), P)).isInstanceOf(SimException.class)
                .hasMessageStartingWith("DEADLOCK").hasMessageContaining("core 0 LD #0 LD wait=MISC release=MISC")
                .hasMessageContaining("core 0 MISC #1 MISC wait=LD release=LD")
                .satisfies(e -> assertThat(((SimException) e).kind()).isEqualTo(SimException.Kind.DEADLOCK));
    }

    @Test
    void aWaitNoProducerAnswersIsAnUnderflow() {
        Rig r = new Rig(1);
        List<Instruction> s = stream(load(0, 0, 1).releases(QueueSet.of(Queue.MISC)),
                scale(1, 2, 1f).waits(QueueSet.of(Queue.LD)), scale(2, 3, 1f).waits(QueueSet.of(Queue.LD)));
        assertThatThrownBy(() -> r.m.run(List.of(s), P)).isInstanceOf(SimException.class)
                .hasMessageStartingWith("UNDERFLOW").hasMessageContaining("core 0 MISC #2")
                .hasMessageContaining("waits for a token from [LD (which has completed all its instructions)]")
                .satisfies(e -> assertThat(((SimException) e).index()).isEqualTo(2));
    }

    @Test
    void moreReleasesThanTheCounterHoldsWithNoConsumerIsAnOverflow() {
        Rig r = new Rig(1);
        List<Object> b = new ArrayList<>();
        for (int i = 0; i < SimOptions.DEFAULT_TOKEN_DEPTH + 1; i++) {
            b.add(load(0, 0, 1).releases(QueueSet.of(Queue.MISC)));
        }
        assertThatThrownBy(() -> r.m.run(List.of(stream(b.toArray())), P)).isInstanceOf(SimException.class)
                .hasMessageStartingWith("OVERFLOW").hasMessageContaining("core 0 LD #8")
                .hasMessageContaining("counter(s) full (8 tokens) towards [MISC (which has completed");
    }

    @Test
    void aBarrierOneCoreNeverReachesAndLeftoverTokensAreReported() {
        Rig r = new Rig(2);
        List<Instruction> c0 = stream(Sys.builder().op(SysOp.BARRIER));
        assertThatThrownBy(() -> r.m.run(List.of(c0, List.of()), P)).isInstanceOf(SimException.class)
                .hasMessageStartingWith("BARRIER").hasMessageContaining("waits at barrier 0 for core(s) [1]");
        Rig r2 = new Rig(1);
        assertThatThrownBy(() -> r2.m.run(List.of(stream(load(0, 0, 1).releases(QueueSet.of(Queue.MV)))), P))
                .isInstanceOf(SimException.class).hasMessageStartingWith("UNBALANCED")
                .hasMessageContaining("core 0: 1 token(s) from LD to MV");
    }

    @Test
    void countersExportAsJson() throws Exception {
        Rig r = new Rig(2);
        r.m.hbm(7).write(0, new byte[64], 0, 64);
        r.run(load(7, 0, 1).len(64).releases(QueueSet.of(Queue.MISC)), scale(1, 2, 1f).waits(QueueSet.of(Queue.LD))
                .n(16));
        JsonNode j = new ObjectMapper().readTree(r.m.counters().toJson());
        assertThat(j.get("launches").asLong()).isEqualTo(1);
        JsonNode core0 = j.get("cores").get(0);
        assertThat(core0.get("instructions").get("ld").asLong()).isEqualTo(1);
        assertThat(core0.get("instructions").get("misc").asLong()).isEqualTo(1);
        assertThat(core0.get("hbm_read_bytes").get("7").asLong()).isEqualTo(64);
        assertThat(core0.get("sfu_elements").get("scale").asLong()).isEqualTo(16);
        assertThat(core0.get("buffers").get("GLOBAL").get("written_bytes").asLong()).isEqualTo(64 + 64);
        assertThat(j.get("hbm").get(0).get("channel").asInt()).isEqualTo(7);
        assertThat(j.get("cores").get(1).get("instructions").get("ld").asLong()).isZero();
    }
}
