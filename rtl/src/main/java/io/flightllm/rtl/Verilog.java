package io.flightllm.rtl;

import java.util.Locale;

/** A Verilog text being written: formatted lines with indentation. */
final class Verilog {
    private final StringBuilder text = new StringBuilder();

    Verilog line(String format, Object... args) {
        text.append(args.length == 0 ? format : String.format(Locale.ROOT, format, args)).append('\n');
        return this;
    }

    Verilog blank() {
        text.append('\n');
        return this;
    }

    Verilog append(String raw) {
        text.append(raw);
        return this;
    }

    @Override
    public String toString() {
        return text.toString();
    }

    /** {@code [w-1:0]} for a width, the empty string for one bit. */
    static String range(int width) {
        return width == 1 ? "" : "[" + (width - 1) + ":0] ";
    }
}
