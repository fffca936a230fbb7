package io.flightllm.rtl;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.Mpe;
import io.flightllm.arch.mpe.ChainPlan;
import java.util.Arrays;

/** The header comment of every generated file: what the unit is and every HardwareConfig parameter it was built from. */
final class RtlHeader {
    private RtlHeader() {
    }

    static String of(HardwareConfig config, String unit, ChainPlan plan) {
        Mpe m = config.mpe();
        Verilog v = new Verilog();
        v.line("// FlightLLM-J generated Verilog: %s", unit);
        v.line("// Written by io.flightllm.rtl (flightllm rtl generate); do not edit. Synthesizable Verilog-2005.");
        v.line("// HardwareConfig '%s': cores = %d, clockMhz = %s", config.name(), config.cores(), config.clockMhz());
        v.line("//   mpe.chainLength = %d, mpe.dspGroupSize = %d, mpe.sparseModes = %s, mpe.weightBits = %s",
                m.chainLength(), m.dspGroupSize(), Arrays.toString(m.sparseModes()), Arrays.toString(m.weightBits()));
        v.line("//   mpe.mvK = %d, mpe.mvRows = %d, mpe.mmRows = %d, mpe.mmK = %d, mpe.mmTokens = %d",
                m.mvK(), m.mvRows(), m.mmRows(), m.mmK(), m.mmTokens());
        v.line("// Derived (io.flightllm.arch.mpe.ChainPlan): overflow-free segment = %d slices, output ports = %d, "
                        + "output lane width = %d bits, MACs/cycle per chain: MV %d, MM %d",
                plan.segment(), plan.ports(), plan.outBits(), plan.macsPerCycle(false), plan.macsPerCycle(true));
        return v.toString();
    }
}
