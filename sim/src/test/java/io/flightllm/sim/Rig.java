package io.flightllm.sim;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.InstructionBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A small simulated device for instruction-level tests: the U280 preset with a chosen core count. */
final class Rig {
    final Machine m;

    Rig(int cores) {
        this(cores, SimOptions.defaults());
    }

    Rig(int cores, SimOptions o) {
        HardwareConfig hw = HardwareConfigs.withOverrides(HardwareConfigs.preset("u280"),
                Map.of("cores", Integer.toString(cores)));
        m = new Machine(hw, o);
    }

    /** Runs one stream on core 0 (other cores get empty streams). */
    void run(Params p, InstructionBuilder<?, ?>... insts) {
        List<Instruction> s = new ArrayList<>();
        for (InstructionBuilder<?, ?> b : insts) {
            s.add(b.build());
        }
        List<List<Instruction>> all = new ArrayList<>();
        all.add(s);
        for (int c = 1; c < m.hw().cores(); c++) {
            all.add(List.of());
        }
        m.run(all, p);
    }

    void run(InstructionBuilder<?, ?>... insts) {
        run(new Params(0, 0, 0), insts);
    }

    void put(int core, Buffer b, long at, byte[] bytes) {
        m.writeBuffer(core, b, at, bytes);
    }

    byte[] get(int core, Buffer b, long at, int len) {
        return m.readBuffer(core, b, at, len);
    }

    void putF32(int core, Buffer b, long at, float[] v) {
        byte[] bytes = new byte[4 * v.length];
        Bytes.writeF32(bytes, 0, v, 0, v.length);
        put(core, b, at, bytes);
    }

    float[] getF32(int core, Buffer b, long at, int n) {
        float[] out = new float[n];
        Bytes.readF32(get(core, b, at, 4 * n), 0, out, 0, n);
        return out;
    }

    static void assertBits(float[] actual, float[] expected, String what) {
        if (actual.length != expected.length) {
            throw new AssertionError(what + ": " + actual.length + " values, expected " + expected.length);
        }
        for (int i = 0; i < actual.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                throw new AssertionError(what + " [" + i + "]: " + actual[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + "), expected " + expected[i]
                        + " (0x" + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ")");
            }
        }
    }
}
