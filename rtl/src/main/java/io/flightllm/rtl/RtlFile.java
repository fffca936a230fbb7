package io.flightllm.rtl;

/** One generated Verilog file. */
public record RtlFile(String name, String text) {
}
