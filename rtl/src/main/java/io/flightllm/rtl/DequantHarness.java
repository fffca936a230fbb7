package io.flightllm.rtl;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.mpe.Dequantizer;

/** Co-simulation of the dequantizer: a line of b-bit codes in, one INT8 per lane out. */
final class DequantHarness extends Harness {
    private final int lanes;

    DequantHarness(HardwareConfig config) {
        super(config, RtlUnit.DEQUANT, new BusLayout().add("in_bits", 4).add("in_line", lanes(config) * 8),
                new BusLayout().add("out_w", lanes(config) * 8));
        lanes = lanes(config);
    }

    private static int lanes(HardwareConfig config) {
        return DequantGenerator.lanes(RtlUnit.DEQUANT.plan(config));
    }

    int lanes() {
        return lanes;
    }

    @Override
    int latency() {
        return 1;
    }

    Stimulus stimulus(String label, int bits, byte[] line) {
        BusLayout.Value iv = in().value().set("in_bits", bits);
        for (int i = 0; i < line.length; i++) {
            iv.set("in_line", i, 8, line[i]);
        }
        byte[] w = Dequantizer.unpack(line, bits, lanes);
        BusLayout.Value ov = out().value();
        for (int i = 0; i < lanes; i++) {
            ov.set("out_w", i, 8, w[i]);
        }
        return new Stimulus(label, iv.bits(), ov.bits());
    }
}
