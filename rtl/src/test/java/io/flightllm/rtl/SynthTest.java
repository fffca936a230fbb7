package io.flightllm.rtl;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.rtl.testing.RequiredTool;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Yosys maps a chain of D slices onto D DSP48E2 (the full tables: `flightllm rtl synth`, docs/rtl.md). */
class SynthTest {
    @Test
    void aChainOfSixteenSlicesIsSixteenDsp48e2() {
        RequiredTool.require(Tools.YOSYS);
        HardwareConfig u280 = HardwareConfigs.preset("u280");
        Yosys y = new Yosys(RequiredTool.cache().resolveSibling("rtl-synth"));
        Yosys.Report dense = y.synth(u280, RtlUnit.DENSE_CHAIN);
        assertThat(dense.dsp48e2()).isEqualTo(16);
        assertThat(dense.macsPerCycleMm()).isEqualTo(32);
        assertThat(dense.macsPerCycleMv()).isEqualTo(16);
        assertThat(dense.lutLogic()).isPositive();
        assertThat(dense.ff()).isPositive();
        assertThat(dense.cells()).doesNotContainKeys("$mul", "$add");
        // The VPU up to LUT mapping (its full synthesis takes about a minute: `flightllm rtl synth`): the sparse
        // MUX and reduction nodes add no multiplier.
        Yosys.Report vpu = y.synth(u280, RtlUnit.VPU, false);
        assertThat(vpu.dsp48e2()).isEqualTo(16);
    }

    @Test
    void dequantizerUsesNoDsp() {
        RequiredTool.require(Tools.YOSYS);
        HardwareConfig c = HardwareConfigs.withOverrides(HardwareConfigs.preset("u280"), Map.of());
        Yosys.Report d = new Yosys(RequiredTool.cache().resolveSibling("rtl-synth")).synth(c, RtlUnit.DEQUANT);
        assertThat(d.dsp48e2()).isZero();
        assertThat(d.lutLogic()).isPositive();
        assertThat(d.ff()).isEqualTo(16 * 8 + 1); // the registered INT8 lanes and the valid bit
    }

    @Test
    void hierarchyTotalsAreRead() {
        String stat = """
                === flightllm_vpu ===

                   Number of cells:                  3
                     DSP48E2                        16
                     LUT6                            9

                === design hierarchy ===

                   flightllm_mpu                     1
                     flightllm_vpu                  64

                   Number of wires:              63630
                   Number of cells:             283968
                     DSP48E2                      1024
                     LUT6                        81536
                     SRL16E                      37632

                """;
        assertThat(Yosys.cells(stat)).containsExactly(Map.entry("DSP48E2", 1024), Map.entry("LUT6", 81536),
                Map.entry("SRL16E", 37632));
    }
}
