package io.flightllm.rtl;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.mpe.ChainPlan;
import io.flightllm.arch.mpe.Dsp48e2;
import io.flightllm.arch.numerics.Sparsity;

/**
 * Writes the MPU: {@code mpe.mvRows} VPUs side by side. They share the block's activations (both token rows), the
 * mode and N; each has its own row's weights and positions. MV mode: one MAC per slice per cycle; MM mode: two
 * (the second token row packed into the same slices).
 */
final class MpuGenerator {
    static final String SPARSE_MODULE = "flightllm_mpu";
    static final String DENSE_MODULE = "flightllm_dense_mpu";

    private MpuGenerator() {
    }

    static String moduleName(ChainPlan plan) {
        return plan.sparse() ? SPARSE_MODULE : DENSE_MODULE;
    }

    static String generate(HardwareConfig config, ChainPlan plan) {
        int rows = config.mpe().mvRows();
        int d = plan.chainLength();
        int k = plan.ports();
        int ow = plan.outBits();
        int ib = Dsp48e2.INDEX_BITS;
        int act = Sparsity.BLOCK * 8;
        boolean sparse = plan.sparse();
        Verilog v = new Verilog();
        v.append(RtlHeader.of(config, "MPU of " + rows + " " + (sparse ? "sparse VPUs" : "dense chains") + " ("
                + rows * d + " DSP48E2), shared activations, one row per VPU", plan));
        v.line("// VPU r uses in_w/in_idx bits of row r and drives out_* bits of row r (layouts as in %s).",
                ChainGenerator.moduleName(plan));
        v.line("// Every VPU drives a valid bit; the first one stands for all (they run in lockstep).");
        v.line("/* verilator lint_off UNUSEDSIGNAL */");
        v.line("module %s (", moduleName(plan));
        ChainGenerator.ports(v, plan, rows, "wire");
        v.line(");");
        v.line("    wire [%d:0] vpu_valid;", rows - 1);
        v.line("    assign out_valid = vpu_valid[0];");
        for (int r = 0; r < rows; r++) {
            v.line("    %s vpu_%d (", ChainGenerator.moduleName(plan), r);
            v.line("        .clk(clk), .rst(rst), .in_valid(in_valid), .in_mm(in_mm),%s",
                    sparse ? " .in_nlog(in_nlog)," : "");
            v.line("        .in_w(in_w[%d:%d]),%s", (r + 1) * d * 8 - 1, r * d * 8,
                    sparse ? String.format(" .in_idx(in_idx[%d:%d]),", (r + 1) * d * ib - 1, r * d * ib) : "");
            v.line("        .in_act0(in_act0), .in_act1(in_act1), .out_valid(vpu_valid[%d]),", r);
            v.line("        .out_port_valid(out_port_valid[%d:%d]),", (r + 1) * k - 1, r * k);
            v.line("        .out_lo(out_lo[%d:%d]), .out_hi(out_hi[%d:%d]));", (r + 1) * k * ow - 1, r * k * ow,
                    (r + 1) * k * ow - 1, r * k * ow);
        }
        v.line("endmodule");
        return v.toString();
    }
}
