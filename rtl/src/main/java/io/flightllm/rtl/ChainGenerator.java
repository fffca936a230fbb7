package io.flightllm.rtl;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.mpe.ChainPlan;
import io.flightllm.arch.mpe.Dsp48e2;
import io.flightllm.arch.numerics.Sparsity;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes one CSD chain as Verilog: the sparse VPU (sparse MUX per slice, reduction nodes that cut the chain per N,
 * overflow-adjust units) or the dense baseline chain of the same length (no MUX, fixed cuts). The arithmetic is
 * exactly {@link io.flightllm.arch.mpe.CsdChain}'s; the timing is a systolic cascade: input registers, then slice i
 * works i cycles later (its operands pass through an i-deep skew register after the MUX), one P register per slice
 * as on the PCOUT/PCIN cascade, then each output port is delayed to the chain end so all ports of one input leave in
 * the same cycle, {@link #latency} clock edges after the input was sampled.
 */
final class ChainGenerator {
    static final String SPARSE_MODULE = "flightllm_vpu";
    static final String DENSE_MODULE = "flightllm_dense_chain";
    /** Width of the mode input: log2(N), N in {2, 4, 8, 16}. */
    static final int NLOG_BITS = 3;
    private static final int LANE = Dsp48e2.LANE_BITS;
    private static final int P = Dsp48e2.P_BITS;
    private static final int HI = P - LANE;

    private ChainGenerator() {
    }

    static String moduleName(ChainPlan plan) {
        return plan.sparse() ? SPARSE_MODULE : DENSE_MODULE;
    }

    /** Clock edges from the edge that samples in_* to the edge that shows the outputs: input register, D slices, output register. */
    static int latency(ChainPlan plan) {
        return plan.chainLength() + 2;
    }

    static int log2(int n) {
        return Integer.numberOfTrailingZeros(n);
    }

    static String generate(HardwareConfig config, ChainPlan plan) {
        int d = plan.chainLength();
        int k = plan.ports();
        int ow = plan.outBits();
        int ib = Dsp48e2.INDEX_BITS;
        int act = Sparsity.BLOCK * 8;
        boolean sparse = plan.sparse();
        int cw = sparse ? 1 + NLOG_BITS : 1; // control word travelling with the data: {valid, log2 N}
        Verilog v = new Verilog();
        v.append(RtlHeader.of(config, sparse
                ? "VPU, one configurable sparse DSP (CSD) chain of " + d + " DSP48E2 slices"
                : "dense baseline chain of " + d + " DSP48E2 slices (no sparse MUX, fixed reduction)", plan));
        v.line("// Ports: in_w holds one INT8 weight per slice (slice i in bits [8i+7:8i])%s; in_act0/in_act1 the 16",
                sparse ? ", in_idx its 4-bit position in the block" : "");
        v.line("// activations of the block for token rows 0 and 1 (row 1 only in MM mode, in_mm = 1)%s.",
                sparse ? "; in_nlog = log2(N)" : "");
        v.line("// Output port k ends at slice %d(k+1)-1: out_lo = token row 0 (the whole dot in MV mode), out_hi = token",
                plan.minN());
        v.line("// row 1 (0 in MV mode), %d-bit two's complement; out_port_valid[k] = the port ends a row segment in this N.", ow);
        v.line("// Lane wires h_i/l_i are written for every slice; only reduction nodes read them (lint: unused is expected).");
        v.line("/* verilator lint_off UNUSEDSIGNAL */");
        v.line("module %s (", moduleName(plan));
        ports(v, plan, 1, "reg ");
        v.line(");");
        v.line("    // Input registers.");
        v.line("    reg r_v, r_mm;");
        v.line("    reg [%d:0] r_w;", d * 8 - 1);
        v.line("    reg [%d:0] r_a0, r_a1;", act - 1);
        if (sparse) {
            v.line("    reg [%d:0] r_nlog;", NLOG_BITS - 1);
            v.line("    reg [%d:0] r_idx;", d * ib - 1);
        }
        v.line("    always @(posedge clk) begin");
        v.line("        r_v <= rst ? 1'b0 : in_valid;");
        v.line("        r_mm <= in_mm;");
        v.line("        r_w <= in_w;");
        v.line("        r_a0 <= in_act0;");
        v.line("        r_a1 <= in_act1;");
        if (sparse) {
            v.line("        r_nlog <= in_nlog;");
            v.line("        r_idx <= in_idx;");
        }
        v.line("    end");
        if (sparse) {
            v.line("    // The registered block as arrays of activations: the sparse MUXes index them by position.");
            v.line("    wire [7:0] blk0 [0:%d];", Sparsity.BLOCK - 1);
            v.line("    wire [7:0] blk1 [0:%d];", Sparsity.BLOCK - 1);
            v.line("    genvar gp;");
            v.line("    generate for (gp = 0; gp < %d; gp = gp + 1) begin : block_lanes", Sparsity.BLOCK);
            v.line("        assign blk0[gp] = r_a0[gp * 8 +: 8];");
            v.line("        assign blk1[gp] = r_a1[gp * 8 +: 8];");
            v.line("    end endgenerate");
        }
        v.line("    // Control word c_j = {valid%s} of the input that is j cycles past the input registers.",
                sparse ? ", log2 N" : "");
        v.line("    wire [%d:0] c_0 = %s;", cw - 1, sparse ? "{r_v, r_nlog}" : "r_v");
        for (int j = 1; j <= d; j++) {
            v.line("    reg [%d:0] c_%d;", cw - 1, j);
        }
        v.line("    always @(posedge clk) begin");
        for (int j = 1; j <= d; j++) {
            v.line("        c_%d <= rst ? %d'd0 : c_%d;", j, cw, j - 1);
        }
        v.line("    end");

        boolean[] sideLive = new boolean[d];
        for (int i = 0; i < d; i++) {
            slice(v, plan, i, sideLive);
        }
        v.blank();
        v.line("    // ---- output ports: reduction node outputs, delayed to the chain end");
        int word = 2 * ow + 1;
        for (int port = 0; port < k; port++) {
            int s = plan.portStage(port);
            String lo = sideLive[s] ? "s_" + s + " + l_" + s : "l_" + s;
            v.line("    wire signed [%d:0] olo_%d = %s;", ow - 1, port, lo);
            v.line("    wire signed [%d:0] ohi_%d = h_%d[%d:0];", ow - 1, port, s, ow - 1);
            v.line("    wire ov_%d = c_%d[%d] & (%s);", port, s + 1, cw - 1, portValid(plan, port, s + 1));
            v.line("    wire [%d:0] oq_%d = {ov_%d, ohi_%d, olo_%d};", word - 1, port, port, port, port);
            int dly = d - 1 - s;
            if (dly == 0) {
                v.line("    wire [%d:0] ot_%d = oq_%d;", word - 1, port, port);
            } else {
                shiftRegister(v, "od_" + port, word, dly, "oq_" + port);
                v.line("    wire [%d:0] ot_%d = od_%d_%d;", word - 1, port, port, dly);
            }
        }
        v.line("    always @(posedge clk) begin");
        v.line("        out_valid <= rst ? 1'b0 : c_%d[%d];", d, cw - 1);
        for (int port = 0; port < k; port++) {
            v.line("        out_port_valid[%d] <= ot_%d[%d];", port, port, word - 1);
            v.line("        out_hi[%d:%d] <= ot_%d[%d:%d];", port * ow + ow - 1, port * ow, port, 2 * ow - 1, ow);
            v.line("        out_lo[%d:%d] <= ot_%d[%d:0];", port * ow + ow - 1, port * ow, port, ow - 1);
        }
        v.line("    end");
        v.line("endmodule");
        return v.toString();
    }

    /**
     * The port list of a chain ({@code rows} = 1) or of an MPU of {@code rows} chains: in_w, in_idx and the outputs
     * hold one chain's bits per row; outputs are {@code kind} ("reg " or "wire").
     */
    static void ports(Verilog v, ChainPlan plan, int rows, String kind) {
        int d = plan.chainLength();
        int k = plan.ports();
        int ow = plan.outBits();
        int act = Sparsity.BLOCK * 8;
        v.line("    input  wire clk,");
        v.line("    input  wire rst,");
        v.line("    input  wire in_valid,");
        v.line("    input  wire in_mm,");
        if (plan.sparse()) {
            v.line("    input  wire [%d:0] in_nlog,", NLOG_BITS - 1);
        }
        v.line("    input  wire [%d:0] in_w,", rows * d * 8 - 1);
        if (plan.sparse()) {
            v.line("    input  wire [%d:0] in_idx,", rows * d * Dsp48e2.INDEX_BITS - 1);
        }
        v.line("    input  wire [%d:0] in_act0,", act - 1);
        v.line("    input  wire [%d:0] in_act1,", act - 1);
        v.line("    output %s out_valid,", kind);
        v.line("    output %s [%d:0] out_port_valid,", kind, rows * k - 1);
        v.line("    output %s [%d:0] out_lo,", kind, rows * k * ow - 1);
        v.line("    output %s [%d:0] out_hi", kind, rows * k * ow - 1);
    }

    /**
     * Slice {@code i}: its MUX, skew register, packing, P register with the cascade input chosen by the reduction
     * node after slice i - 1, the side sum where an overflow adjust can have fed it ({@code sideLive}, filled in
     * slice order), and its lane wires.
     */
    private static void slice(Verilog v, ChainPlan plan, int i, boolean[] sideLive) {
        int ow = plan.outBits();
        int ib = Dsp48e2.INDEX_BITS;
        boolean sparse = plan.sparse();
        v.blank();
        v.line("    // ---- slice %d%s", i, i % plan.groupSize() == 0 ? " (first of DSP group " + i / plan.groupSize() + ")" : "");
        if (sparse) {
            String pos = "r_idx[" + (i * ib + ib - 1) + ":" + (i * ib) + "]";
            v.line("    // sparse MUX: the activation(s) at this slice's 4-bit position");
            v.line("    wire [7:0] m0_%d = blk0[%s];", i, pos);
            v.line("    wire [7:0] m1_%d = r_mm ? blk1[%s] : 8'd0;", i, pos);
        } else {
            int at = (i % Sparsity.BLOCK) * 8;
            v.line("    wire [7:0] m0_%d = r_a0[%d:%d];", i, at + 7, at);
            v.line("    wire [7:0] m1_%d = r_mm ? r_a1[%d:%d] : 8'd0;", i, at + 7, at);
        }
        v.line("    wire [23:0] op_%d = {r_w[%d:%d], m1_%d, m0_%d};", i, i * 8 + 7, i * 8, i, i);
        if (i == 0) {
            v.line("    wire [23:0] sk_0 = op_0;");
        } else {
            v.line("    // skew: this slice works %d cycle(s) after the input registers", i);
            shiftRegister(v, "sr_" + i, 24, i, "op_" + i);
            v.line("    wire [23:0] sk_%d = sr_%d_%d;", i, i, i);
        }
        v.line("    wire signed [7:0] w_%d = sk_%d[23:16];", i, i);
        v.line("    wire [7:0] b1_%d = sk_%d[15:8];", i, i);
        v.line("    wire [7:0] b0_%d = sk_%d[7:0];", i, i);
        v.line("    // INT8 packing (pre-adder): a1 * 2^18 + a0 in the 27-bit multiplier port");
        v.line("    wire signed [%d:0] pk_%d = {b1_%d[7], b1_%d, %d'd0} + {{%d{b0_%d[7]}}, b0_%d};",
                Dsp48e2.MULT_A_BITS - 1, i, i, i, LANE, Dsp48e2.MULT_A_BITS - 8, i, i);
        v.line("    reg signed [%d:0] p_%d;", P - 1, i);
        if (i == 0) {
            v.line("    always @(posedge clk) p_0 <= pk_0 * w_0;");
            sideLive[0] = false;
        } else {
            Link link = link(plan, i - 1);
            String z;
            if (link.cut.equals("1'b1")) {
                z = P + "'sd0";
            } else {
                if (!link.cut.equals("1'b0")) {
                    v.line("    wire cut_%d = %s; // reduction node after slice %d ends a sub-chain", i, link.cut, i - 1);
                }
                if (!link.adj.equals("1'b0")) {
                    v.line("    wire adj_%d = %s; // overflow adjust after slice %d", i, link.adj, i - 1);
                }
                String rest = link.adj.equals("1'b1") ? "{h_" + (i - 1) + ", " + LANE + "'d0}"
                        : link.adj.equals("1'b0") ? "p_" + (i - 1)
                        : "adj_" + i + " ? {h_" + (i - 1) + ", " + LANE + "'d0} : p_" + (i - 1);
                z = link.cut.equals("1'b0") ? rest : "cut_" + i + " ? " + P + "'sd0 : " + rest;
            }
            v.line("    wire signed [%d:0] z_%d = %s;", P - 1, i, z);
            v.line("    always @(posedge clk) p_%d <= z_%d + pk_%d * w_%d;", i, i, i, i);
            // Side sum of adjusted low lanes, paired with p_i.
            boolean adjPossible = !link.adj.equals("1'b0") && !link.cut.equals("1'b1");
            boolean carried = sideLive[i - 1] && !link.cut.equals("1'b1");
            sideLive[i] = adjPossible || carried;
            if (sideLive[i]) {
                String prev = sideLive[i - 1] ? "s_" + (i - 1) : ow + "'sd0";
                String add = sideLive[i - 1] ? "s_" + (i - 1) + " + l_" + (i - 1) : "l_" + (i - 1);
                String next = link.adj.equals("1'b1") ? add
                        : link.adj.equals("1'b0") ? prev : "adj_" + i + " ? " + add + " : " + prev;
                if (!link.cut.equals("1'b0")) {
                    next = "cut_" + i + " ? " + ow + "'sd0 : " + next;
                }
                v.line("    reg signed [%d:0] s_%d; // side sum of low lanes moved out by overflow adjusts", ow - 1, i);
                v.line("    always @(posedge clk) s_%d <= %s;", i, next);
            }
        }
        v.line("    // lanes: high with the low-product correction (+ bit %d), low sign-extended", LANE - 1);
        v.line("    wire signed [%d:0] h_%d = p_%d[%d:%d] + {%d'd0, p_%d[%d]};", HI - 1, i, i, P - 1, LANE, HI - 1, i, LANE - 1);
        v.line("    wire signed [%d:0] l_%d = {{%d{p_%d[%d]}}, p_%d[%d:0]};", ow - 1, i, ow - LANE, i, LANE - 1, i, LANE - 1);
    }

    /** {@code depth} registers name_1 .. name_depth, each {@code width} bits, shifting {@code input} one per cycle. */
    private static void shiftRegister(Verilog v, String name, int width, int depth, String input) {
        StringBuilder regs = new StringBuilder();
        for (int j = 1; j <= depth; j++) {
            regs.append(j == 1 ? "" : ", ").append(name).append('_').append(j);
        }
        v.line("    reg [%d:0] %s;", width - 1, regs);
        v.line("    always @(posedge clk) begin");
        v.line("        %s_1 <= %s;", name, input);
        for (int j = 2; j <= depth; j++) {
            v.line("        %s_%d <= %s_%d;", name, j, name, j - 1);
        }
        v.line("    end");
    }

    /** Conditions (Verilog expressions on the control word c_j) for a cut and an adjust after slice {@code stage}. */
    private record Link(String cut, String adj) {
    }

    private static Link link(ChainPlan plan, int stage) {
        List<Integer> cut = new ArrayList<>();
        List<Integer> adj = new ArrayList<>();
        for (int n : plan.modes()) {
            switch (plan.link(stage, n)) {
                case CUT -> cut.add(n);
                case ADJUST -> adj.add(n);
                case PASS -> {
                }
            }
        }
        return new Link(condition(plan, cut, stage + 1), condition(plan, adj, stage + 1));
    }

    private static String portValid(ChainPlan plan, int port, int c) {
        List<Integer> ns = plan.modes().stream().filter(n -> plan.portValid(port, n)).toList();
        return condition(plan, ns, c);
    }

    /** "c_j holds one of these N": constant when the set is empty or every mode. */
    private static String condition(ChainPlan plan, List<Integer> ns, int c) {
        if (ns.isEmpty()) {
            return "1'b0";
        }
        if (ns.size() == plan.modes().size()) {
            return "1'b1";
        }
        List<String> terms = new ArrayList<>();
        for (int n : ns) {
            terms.add("c_" + c + "[" + (NLOG_BITS - 1) + ":0] == " + NLOG_BITS + "'d" + log2(n));
        }
        return String.join(" || ", terms);
    }
}
