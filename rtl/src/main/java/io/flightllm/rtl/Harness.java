package io.flightllm.rtl;

import io.flightllm.arch.hw.HardwareConfig;
import java.math.BigInteger;
import java.util.List;

/**
 * A unit under co-simulation: its Verilog, the flat input and output buses, and the wrapper that connects the buses
 * to the unit's ports (each non-pad bus field drives or reads the port of the same name).
 */
abstract class Harness {
    final HardwareConfig config;
    final RtlUnit unit;
    private final BusLayout in;
    private final BusLayout out;

    Harness(HardwareConfig config, RtlUnit unit, BusLayout in, BusLayout out) {
        this.config = config;
        this.unit = unit;
        this.in = in.seal();
        this.out = out.seal();
    }

    final BusLayout in() {
        return in;
    }

    final BusLayout out() {
        return out;
    }

    /** Edges from sampling an input to showing its output. */
    abstract int latency();

    /** A readable account of where two output bus values differ, for mismatch reports. */
    String describe(BigInteger expected, BigInteger actual) {
        StringBuilder sb = new StringBuilder();
        for (BusLayout.Field f : out().fields()) {
            if (f.name().equals("pad")) {
                continue;
            }
            BigInteger mask = BigInteger.ONE.shiftLeft(f.width()).subtract(BigInteger.ONE);
            BigInteger e = expected.shiftRight(f.offset()).and(mask);
            BigInteger a = actual.shiftRight(f.offset()).and(mask);
            if (!e.equals(a)) {
                sb.append(f.name()).append(": expected ").append(e.toString(16)).append(", RTL ")
                        .append(a.toString(16)).append("; ");
            }
        }
        return sb.toString();
    }

    List<RtlFile> sources() {
        return unit.files(config);
    }

    /** Instance {@code k} of the unit inside the co-simulation top: its buses are {@code in_bus} and {@code out_k}. */
    String instance(int k) {
        BusLayout in = in();
        BusLayout out = out();
        Verilog v = new Verilog();
        v.line("    wire out_valid_%d;", k);
        v.line("    wire [%d:0] out_%d;", out.width() - 1, k);
        StringBuilder ports = new StringBuilder();
        for (BusLayout.Field f : in.fields()) {
            if (!f.name().equals("pad")) {
                ports.append(", .").append(f.name()).append("(").append(in.slice("in_bus", f.name())).append(")");
            }
        }
        for (BusLayout.Field f : out.fields()) {
            if (f.name().equals("pad")) {
                v.line("    assign %s = %d'd0;", out.slice("out_" + k, "pad"), f.width());
            } else {
                ports.append(", .").append(f.name()).append("(").append(out.slice("out_" + k, f.name())).append(")");
            }
        }
        v.line("    %s dut_%d (.clk(clk), .rst(rst), .in_valid(in_valid && sel == 8'd%d), .out_valid(out_valid_%d)%s);",
                unit.module(config), k, k, k, ports);
        return v.toString();
    }
}
