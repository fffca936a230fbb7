package io.flightllm.rtl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The co-simulation top (not part of the design): every unit of one configuration behind flat buses, so a single
 * Verilator build serves them all; {@code sel} picks the unit that receives inputs and drives the outputs.
 */
final class CosimTop {
    private CosimTop() {
    }

    static String generate(List<Harness> units) {
        int in = units.stream().mapToInt(h -> h.in().width()).max().orElseThrow();
        int out = units.stream().mapToInt(h -> h.out().width()).max().orElseThrow();
        Verilog v = new Verilog();
        v.line("// Co-simulation top (not part of the design): units selected by sel, flat hex buses.");
        v.line("/* verilator lint_off UNUSEDSIGNAL */");
        v.line("/* verilator lint_off WIDTH */");
        v.line("module cosim_top (");
        v.line("    input  wire clk,");
        v.line("    input  wire rst,");
        v.line("    input  wire [7:0] sel,");
        v.line("    input  wire in_valid,");
        v.line("    input  wire [%d:0] in_bus,", in - 1);
        v.line("    output reg  out_valid,");
        v.line("    output reg  [%d:0] out_bus", out - 1);
        v.line(");");
        for (int k = 0; k < units.size(); k++) {
            v.append(units.get(k).instance(k));
        }
        v.line("    always @(*) begin");
        v.line("        out_valid = 1'b0;");
        v.line("        out_bus = %d'd0;", out);
        v.line("        case (sel)");
        for (int k = 0; k < units.size(); k++) {
            v.line("            8'd%d: begin out_valid = out_valid_%d; out_bus = out_%d; end", k, k, k);
        }
        v.line("            default: ;");
        v.line("        endcase");
        v.line("    end");
        v.line("endmodule");
        return v.toString();
    }

    /** Every file the units need, each once, then the top. */
    static List<RtlFile> sources(List<Harness> units) {
        Map<String, RtlFile> files = new LinkedHashMap<>();
        for (Harness h : units) {
            for (RtlFile f : h.sources()) {
                files.putIfAbsent(f.name(), f);
            }
        }
        files.put("cosim_top.v", new RtlFile("cosim_top.v", generate(units)));
        return List.copyOf(files.values());
    }
}
