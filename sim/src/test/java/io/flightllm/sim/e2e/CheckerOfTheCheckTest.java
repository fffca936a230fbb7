package io.flightllm.sim.e2e;

import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.program.Bucket;
import io.flightllm.arch.program.FlpReader;
import io.flightllm.compress.CompressedModel;
import io.flightllm.sim.FunctionalSim;
import io.flightllm.sim.Schedule;
import io.flightllm.sim.SimOptions;
import io.flightllm.twin.FastTwin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tests of the end-to-end comparison: one corrupted byte of the weight image, or one changed instruction field, makes
 * the simulator's logits differ from the twin's and the comparison fail; and the result does not depend on the order
 * the simulator advances the queues.
 */
class CheckerOfTheCheckTest {
    @TempDir
    Path dir;

    private static final int CTX = 32;

    private record Loaded(CompressedModel cm, FunctionalSim sim, SimHost host, float[] twin) {
    }

    private Loaded load(Arena arena, SimOptions o) {
        CompressedModel cm = Setups.model("stories260K.bin", "w4s8");
        FlpReader r = Setups.compile(cm, Setups.hw("u280"), CTX, 16, 16, dir, arena);
        FunctionalSim sim = FunctionalSim.load(r.program(), r, o);
        try (FastTwin t = new FastTwin(cm, 1, CTX)) {
            return new Loaded(cm, sim, new SimHost(sim, cm), t.forward(7, 0).clone());
        }
    }

    @Test
    void theUncorruptedProgramMatches() {
        try (Arena arena = Arena.ofConfined()) {
            Loaded l = load(arena, SimOptions.defaults());
            SimVersusTwinTest.assertBitIdentical(l.host.decode(7, 0), l.twin, "clean", 0);
        }
    }

    @Test
    void oneCorruptedWeightByteFailsTheComparison() {
        try (Arena arena = Arena.ofConfined()) {
            Loaded l = load(arena, SimOptions.defaults());
            Bucket b = l.sim.program().bucketFor(Bucket.Kind.DECODE, 1);
            // the classifier's last weight tile (at position 0 a corrupted q or k weight cannot matter: softmax
            // over one position is 1 whatever the score)
            Ld weights = (Ld) l.sim.streams(b).get(0).stream()
                    .filter(i -> i instanceof Ld ld && ld.target() == Buffer.B && ld.wbits() == 4)
                    .reduce((first, second) -> second).orElseThrow();
            long at = weights.addr() + 5;
            byte old = l.sim.machine().hbm(weights.channel()).readByte(at);
            l.sim.pokeHbm(weights.channel(), at, (byte) (old ^ 0x33));
            float[] s = l.host.decode(7, 0);
            assertThatThrownBy(() -> SimVersusTwinTest.assertBitIdentical(s, l.twin, "corrupted", 0))
                    .isInstanceOf(AssertionError.class).hasMessageContaining("on the simulator");
        }
    }

    @Test
    void oneChangedInstructionFieldFailsTheComparison() {
        try (Arena arena = Arena.ofConfined()) {
            Loaded l = load(arena, SimOptions.defaults());
            Bucket b = l.sim.program().bucketFor(Bucket.Kind.DECODE, 1);
            List<List<Instruction>> streams = new ArrayList<>();
            for (List<Instruction> s : l.sim.streams(b)) {
                streams.add(new ArrayList<>(s));
            }
            List<Instruction> core0 = streams.get(0);
            int norm = -1;
            for (int i = 0; i < core0.size(); i++) { // the final norm
                if (core0.get(i) instanceof Misc m && m.op() == MiscOp.RMSNORM) {
                    norm = i;
                }
            }
            Misc m = (Misc) core0.get(norm);
            core0.set(norm, m.toBuilder().imm(m.imm() * 2).build()); // eps 1e-5 -> 2e-5
            l.sim.writeInput(new float[][] {java.util.Arrays.copyOfRange(l.cm.tokenEmbedding(), 7 * 64, 8 * 64)});
            l.sim.setParams(0, 1, 1);
            l.sim.launch(streams);
            float[] s = l.sim.readLogits(1)[0];
            assertThatThrownBy(() -> SimVersusTwinTest.assertBitIdentical(s, l.twin, "changed eps", 0))
                    .isInstanceOf(AssertionError.class);
        }
    }

    @Test
    void theReverseRoundRobinScheduleGivesTheSameLogits() {
        try (Arena arena = Arena.ofConfined()) {
            Loaded g = load(arena, SimOptions.defaults());
            Loaded rr = load(arena, SimOptions.defaults().withSchedule(Schedule.ROUND_ROBIN_REVERSE));
            int[] prompt = {1, 403, 407, 261, 378, 375, 285, 1, 49, 310, 345, 2, 260, 264, 341, 437, 300, 430};
            List<float[]> a = g.host.prefill(prompt, 0);
            List<float[]> b = rr.host.prefill(prompt, 0);
            for (int i = 0; i < prompt.length; i++) {
                SimVersusTwinTest.assertBitIdentical(b.get(i), a.get(i), "round robin vs greedy", i);
            }
            for (int pos = prompt.length; pos < CTX; pos++) {
                SimVersusTwinTest.assertBitIdentical(rr.host.decode(5, pos), g.host.decode(5, pos), "decode", pos);
            }
            assertThat(rr.sim.counters().toJson()).isEqualTo(g.sim.counters().toJson());
        }
    }
}
