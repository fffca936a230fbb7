package io.flightllm.compiler;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.Param;
import io.flightllm.arch.isa.St;
import io.flightllm.arch.program.Region;
import io.flightllm.compiler.emit.StepEmitter;
import io.flightllm.compiler.plan.CorePlan;
import io.flightllm.compiler.plan.MemoryPlan;
import io.flightllm.compiler.plan.Range;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The row split of prefill launches (docs/compiler.md "Prefill row split"): each core runs the norms, residual adds
 * and activation quantizations of its own rows only, and exchanges the quantized rows through its HBM scratch.
 */
class PrefillRowSplitTest {
    /** Two layers of a small LLaMA whose linear inputs have three different widths (dim, heads x head, hidden). */
    private static final ModelConfig SMALL = ModelConfig.llama(256, 704, 2, 4, 4, 512, 256, false)
            .validate("small");

    private static Compiler compile(HardwareConfig hw) {
        return new Compiler(ModelShape.fromProfile(SMALL, CompressionProfile.named("w8")),
                new CompileOptions(hw, 256, 128, 32, true));
    }

    @ParameterizedTest
    @CsvSource({"u280,5", "u280,2", "vhk158,7", "vhk158,4"})
    void eachCoreNormalizesAddsAndQuantizesOnlyItsRows(String target, int rows) {
        HardwareConfig hw = HardwareConfigs.preset(target);
        Compiler c = compile(hw);
        assertThat(c.prefillChunkRows()).isGreaterThanOrEqualTo(rows);
        List<List<Instruction>> streams = c.emit(true, rows, 128);
        int layers = SMALL.nLayers();
        int[] normRows = new int[2 * layers + 1];
        for (int core = 0; core < hw.cores(); core++) {
            Range mine = StepEmitter.ownRows(hw, plan(hw, core), rows);
            List<Misc> norms = misc(streams.get(core), MiscOp.RMSNORM);
            List<Misc> adds = misc(streams.get(core), MiscOp.ADD);
            List<Misc> inputQuants = misc(streams.get(core), MiscOp.QUANT).stream()
                    .filter(q -> !q.fp16() && q.rows() != rows).toList();
            int expected = mine.isEmpty() ? 0 : 1;
            assertThat(norms).as("core %d", core).hasSize(expected * (2 * layers + 1))
                    .allSatisfy(n -> assertThat(n.rows()).isEqualTo(mine.size()));
            assertThat(adds).as("core %d", core).hasSize(expected * 2 * layers)
                    .allSatisfy(n -> assertThat(n.rows()).isEqualTo(mine.size()));
            // the inputs of q/k/v, o, w1/w3, w2 per layer and of the classifier
            assertThat(inputQuants).as("core %d", core).hasSize(expected * (4 * layers + 1));
            for (int i = 0; i < norms.size(); i++) {
                normRows[i] += norms.get(i).rows();
            }
        }
        // every row is normalized exactly once per norm, by one core
        assertThat(normRows).containsOnly(rows);
    }

    @Test
    void theExchangeStaysInsideTheScratchRegions() {
        HardwareConfig hw = HardwareConfigs.preset("u280");
        Compiler c = compile(hw);
        int rows = c.prefillChunkRows();
        MemoryPlan mem = c.memoryPlan();
        List<List<Instruction>> streams = c.emit(true, rows, 256);
        int exchanges = 4 * SMALL.nLayers() + 1;
        for (int core = 0; core < hw.cores(); core++) {
            Region act = mem.region(MemoryPlan.XCHG_ACT, core);
            Region scale = mem.region(MemoryPlan.XCHG_SCALE, core);
            // the KV stores are the other stores from A: addressed by the position parameter
            List<St> stores = streams.get(core).stream().filter(i -> i instanceof St st && !st.fp16()
                    && st.param() == Param.NONE && (st.src() == Buffer.A || st.src() == Buffer.SCALE))
                    .map(i -> (St) i).toList();
            assertThat(stores).hasSize(2 * exchanges);
            for (St st : stores) {
                Region r = st.src() == Buffer.A ? act : scale;
                assertThat(inside(r, st.channel(), st.addr(), (long) st.n() * st.len())).as("%s in %s", st, r)
                        .isTrue();
            }
            List<Ld> loads = streams.get(core).stream().filter(i -> i instanceof Ld ld && ld.mem() == Mem.HBM
                    && (ld.target() == Buffer.A || ld.target() == Buffer.SCALE && !ld.fp16())).map(i -> (Ld) i)
                    .toList();
            assertThat(loads).hasSize(2 * hw.cores() * exchanges);
            for (Ld ld : loads) {
                String name = ld.target() == Buffer.A ? MemoryPlan.XCHG_ACT : MemoryPlan.XCHG_SCALE;
                long bytes = (long) ld.n0() * ld.n1() * ld.n2() * ld.len();
                assertThat(java.util.stream.IntStream.range(0, hw.cores()).anyMatch(d ->
                        inside(mem.region(name, d), ld.channel(), ld.addr(), bytes))).as("%s", ld).isTrue();
            }
        }
    }

    @Test
    void containmentRejectsAnAccessPastTheRegion() {
        Region r = new Region("x", 0, "HBM", 3, 4096, 128, "i8", new long[]{128});
        assertThat(inside(r, 3, 4096, 128)).isTrue();
        assertThat(inside(r, 3, 4097, 128)).isFalse();
        assertThat(inside(r, 3, 4095, 1)).isFalse();
        assertThat(inside(r, 2, 4096, 1)).isFalse();
    }

    @Test
    void decodeKeepsEveryRowOnEveryCoreAndExchangesNothing() {
        HardwareConfig hw = HardwareConfigs.preset("u280");
        List<List<Instruction>> streams = compile(hw).emit(false, 1, 128);
        for (List<Instruction> s : streams) {
            assertThat(misc(s, MiscOp.RMSNORM)).hasSize(2 * SMALL.nLayers() + 1);
            assertThat(s).noneMatch(i -> i instanceof St st && st.src() == Buffer.A && !st.fp16()
                    && st.param() == Param.NONE);
        }
    }

    private static boolean inside(Region r, int channel, long addr, long bytes) {
        return channel == r.channel() && addr >= r.address() && addr + bytes <= r.address() + r.bytes();
    }

    private static CorePlan plan(HardwareConfig hw, int core) {
        return CorePlan.of(ModelShape.fromProfile(SMALL, CompressionProfile.named("w8")), hw).get(core);
    }

    private static List<Misc> misc(List<Instruction> s, MiscOp op) {
        return s.stream().filter(i -> i instanceof Misc m && m.op() == op).map(i -> (Misc) i).toList();
    }
}
