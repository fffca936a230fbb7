package io.flightllm.rtl;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.mpe.ChainPlan;

/**
 * Writes the MMU's dequantizer: one line of packed b-bit codes in, one INT8 weight per slice of a chain out, by sign
 * extension ({@link io.flightllm.arch.mpe.Dequantizer}); b is any of {@code mpe.weightBits}, other values give zeros.
 */
final class DequantGenerator {
    static final String MODULE = "flightllm_dequant";

    private DequantGenerator() {
    }

    /** Weights per line: one chain's slices. */
    static int lanes(ChainPlan plan) {
        return plan.chainLength();
    }

    static String generate(HardwareConfig config, ChainPlan plan) {
        int lanes = lanes(plan);
        Verilog v = new Verilog();
        v.append(RtlHeader.of(config, "dequantizer, " + lanes + " lanes of b-bit codes to INT8 (sign extension)", plan));
        v.line("// Lane i takes bits [b*i+b-1 : b*i] of in_line (the .flm bit order); in_bits = b. Latency one cycle.");
        v.line("module %s (", MODULE);
        v.line("    input  wire clk,");
        v.line("    input  wire rst,");
        v.line("    input  wire in_valid,");
        v.line("    input  wire [3:0] in_bits,");
        v.line("    input  wire [%d:0] in_line,", lanes * 8 - 1);
        v.line("    output reg  out_valid,");
        v.line("    output reg  [%d:0] out_w", lanes * 8 - 1);
        v.line(");");
        v.line("    always @(posedge clk) begin");
        v.line("        out_valid <= rst ? 1'b0 : in_valid;");
        v.line("        case (in_bits)");
        for (int b : config.mpe().weightBits()) {
            v.line("            4'd%d: out_w <= {", b);
            for (int i = lanes - 1; i >= 0; i--) {
                String field = b == 1 ? "in_line[" + i + "]" : "in_line[" + (i * b + b - 1) + ":" + (i * b) + "]";
                String ext = b == 8 ? field : "{{" + (8 - b) + "{in_line[" + (i * b + b - 1) + "]}}, " + field + "}";
                v.line("                %s%s", ext, i == 0 ? "" : ",");
            }
            v.line("            };");
        }
        v.line("            default: out_w <= %d'd0;", lanes * 8);
        v.line("        endcase");
        v.line("    end");
        v.line("endmodule");
        return v.toString();
    }
}
