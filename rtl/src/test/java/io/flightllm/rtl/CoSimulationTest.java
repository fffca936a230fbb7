package io.flightllm.rtl;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.rtl.testing.RequiredTool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Verilator runs the generated RTL; every mode must be bit-identical to the Java model. The u280 units with a 4-VPU
 * MPU (mvRows overridden: the 64-VPU MPU takes minutes to compile; `flightllm rtl verify` runs it), and a 32-slice
 * chain with groups of 4, whose two dense sub-chains each pass an overflow-adjust unit.
 */
class CoSimulationTest {
    /** Random vectors per mode in the default suite; the full 10,000 run through `flightllm rtl verify`. */
    static final int VECTORS = 500;
    static final List<RtlUnit> ALL = List.of(RtlUnit.VPU, RtlUnit.DENSE_CHAIN, RtlUnit.MPU, RtlUnit.DEQUANT);
    static HardwareConfig small;
    static CoSimulation cosim;

    @BeforeAll
    static void build() {
        RequiredTool.require(Tools.VERILATOR);
        small = HardwareConfigs.withOverrides(HardwareConfigs.preset("u280"), Map.of("mpe.mvRows", "4"));
        cosim = new CoSimulation(small, RequiredTool.cache(), ALL);
    }

    @Test
    void everyUnitAndModeMatchesTheModel() {
        CoSimulation.Report r = cosim.verify(VECTORS, 1);
        // VPU and MPU: MV and MM at N = 2, 4, 8, 16; the dense chain: MV and MM at N = 16.
        assertThat(r.modes()).hasSize(8 + 2 + 8);
        for (CoSimulation.ModeResult m : r.modes()) {
            assertThat(m.mismatches()).as("%s", m).isZero();
            int rows = m.unit().equals("mpu") ? 4 : 1;
            assertThat(m.rows()).isGreaterThanOrEqualTo(VECTORS);
            assertThat(m.macsPerCycle()).isEqualTo(rows * (m.mode().equals("mm") ? 32 : 16));
            assertThat(m.cycles()).isEqualTo(m.vectors() + 18 - 1L); // one input per cycle, latency 16 + 2
        }
        assertThat(r.dequant()).extracting(CoSimulation.DequantResult::bits).containsExactly(2, 3, 4, 8);
        assertThat(r.dequant()).allSatisfy(d -> assertThat(d.mismatches()).isZero());
        assertThat(r.passed()).isTrue();
    }

    @Test
    void aLongerChainWithOtherGroupsMatchesTheModel() {
        HardwareConfig c = HardwareConfigs.withOverrides(HardwareConfigs.preset("u280"), Map.of("mpe.chainLength",
                "32", "mpe.dspGroupSize", "4", "mpe.sparseModes", "[0,4,8,16]"));
        CoSimulation.Report r = new CoSimulation(c, RequiredTool.cache(), List.of(RtlUnit.VPU)).verify(100, 5);
        assertThat(r.modes()).hasSize(6);
        assertThat(r.modes()).allSatisfy(m -> {
            assertThat(m.mismatches()).as("%s", m).isZero();
            assertThat(m.macsPerCycle()).isEqualTo(m.mode().equals("mm") ? 64 : 32);
        });
    }

    @Test
    void aCorruptedExpectedVectorFails() {
        // One bit of one expected output flipped (bit 13: out_lo of port 0 after the 8 valid bits): exactly one
        // mismatch, and the report fails.
        UnaryOperator<List<Stimulus>> corrupt = stim -> {
            List<Stimulus> out = new ArrayList<>(stim);
            Stimulus s = out.get(20);
            out.set(20, new Stimulus(s.label(), s.in(), s.expected().flipBit(13)));
            return out;
        };
        CoSimulation.ModeResult m = cosim.chain(RtlUnit.VPU, 16, true, 50, 2, corrupt);
        assertThat(m.mismatches()).isEqualTo(1);
        assertThat(m.firstMismatches()).singleElement().asString().contains("input 20", "out_lo");
        assertThat(new CoSimulation.Report("t", List.of(m), List.of()).passed()).isFalse();
        CoSimulation.DequantResult d = cosim.dequant(3, 50, 2, corrupt);
        assertThat(d.mismatches()).isEqualTo(1);
        // Expected outputs shifted by one input (an off-by-one in a vector file): many mismatches, never silence.
        CoSimulation.ModeResult shifted = cosim.chain(RtlUnit.MPU, 2, false, 200, 3, stim -> {
            List<Stimulus> out = new ArrayList<>();
            for (int i = 0; i < stim.size(); i++) {
                out.add(new Stimulus(stim.get(i).label(), stim.get(i).in(),
                        stim.get((i + 1) % stim.size()).expected()));
            }
            return out;
        });
        assertThat(shifted.mismatches()).isGreaterThan(10);
    }
}
