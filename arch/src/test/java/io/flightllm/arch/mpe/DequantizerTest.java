package io.flightllm.arch.mpe;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.arch.numerics.WeightQuantizer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DequantizerTest {
    @Test
    void theFlmExampleUnpacks() {
        // docs/flm.md: b = 3, a row 1, -1, 3, -3 packs to F9 0A.
        byte[] line = {(byte) 0xF9, 0x0A};
        assertThat(Dequantizer.unpack(line, 3, 4)).containsExactly(1, -1, 3, -3);
        assertThat(Dequantizer.pack(new byte[] {1, -1, 3, -3}, 3, 2)).containsExactly(0xF9, 0x0A);
    }

    @Test
    void everyCodeSignExtendsAndRoundTrips() {
        SplittableRandom r = new SplittableRandom(3);
        for (int bits : WeightQuantizer.BITS) {
            int qmax = WeightQuantizer.qmax(bits);
            for (int t = 0; t < 200; t++) {
                byte[] v = new byte[16];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (byte) r.nextInt(-qmax, qmax + 1);
                }
                assertThat(Dequantizer.unpack(Dequantizer.pack(v, bits, 16), bits, 16)).containsExactly(v);
            }
            // The pattern 1 followed by zeros is the most negative code: -2^(b-1) (outside the contract).
            byte[] line = new byte[16];
            line[0] = (byte) (1 << (bits - 1));
            assertThat(Dequantizer.unpack(line, bits, 1)[0]).isEqualTo((byte) -(1 << (bits - 1)));
        }
    }
}
