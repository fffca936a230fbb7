package io.flightllm.arch.isa;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.arch.numerics.Sfu;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The output stage over any K tiling gives the numerics contract's linear output, bit for bit. */
class OutputStageTest {
    private static float runTiled(int[] blocks, int group, float[] groupScale, float aScale, List<Integer> cuts,
                                  boolean viaRecord) {
        OutputStage s = new OutputStage();
        int start = 0;
        for (int t = 0; t <= cuts.size(); t++) {
            int end = t < cuts.size() ? cuts.get(t) : blocks.length;
            int k0 = start;
            int first = group == 0 ? 0 : k0 / group;
            s.tile(k0, group, Arrays.copyOfRange(blocks, start, end), j -> groupScale[first + j], aScale,
                    end == blocks.length);
            if (viaRecord && end < blocks.length) {
                ByteBuffer rec = ByteBuffer.allocate(Isa.PSUM_BYTES + 8).position(8);
                s.write(rec);
                s = OutputStage.read(rec);
            }
            start = end;
        }
        return s.result();
    }

    @Test
    void everyTilingGivesTheLinearOutputBits() {
        SplittableRandom r = new SplittableRandom(17);
        int[] groupsInBlocks = {0, 1, 2, 3, 8, 13};
        for (int trial = 0; trial < 3000; trial++) {
            int k = 1 + r.nextInt(300);
            int group = groupsInBlocks[r.nextInt(groupsInBlocks.length)];
            int[] blocks = new int[k];
            for (int j = 0; j < k; j++) {
                blocks[j] = r.nextInt(-16 * 127 * 127, 16 * 127 * 127 + 1);
            }
            int groups = group == 0 ? 1 : (k + group - 1) / group;
            int[] acc = new int[groups];
            float[] ws = new float[groups];
            for (int g = 0; g < groups; g++) {
                ws[g] = Float.float16ToFloat(Float.floatToFloat16((float) r.nextDouble(1e-4, 1e-1)));
            }
            for (int j = 0; j < k; j++) {
                acc[group == 0 ? 0 : j / group] += blocks[j];
            }
            float aScale = (float) r.nextDouble(1e-3, 1);
            float golden = Sfu.linearOutput(acc, ws, groups, aScale);

            List<Integer> cuts = new ArrayList<>();
            for (int j = 1; j < k; j++) {
                if (r.nextInt(8) == 0) {
                    cuts.add(j);
                }
            }
            assertThat(Float.floatToRawIntBits(runTiled(blocks, group, ws, aScale, List.of(), false)))
                    .isEqualTo(Float.floatToRawIntBits(golden));
            assertThat(Float.floatToRawIntBits(runTiled(blocks, group, ws, aScale, cuts, trial % 2 == 0)))
                    .as("k %d, G %d, cuts %s", k, group, cuts).isEqualTo(Float.floatToRawIntBits(golden));
        }
    }

    /** The test of the test: a running FP32 sum (the rule the ISA forbids) differs on some rows. */
    @Test
    void aRunningFp32SumWouldDiffer() {
        SplittableRandom r = new SplittableRandom(3);
        int differ = 0;
        for (int trial = 0; trial < 200; trial++) {
            int groups = 40;
            int[] acc = new int[groups];
            float[] ws = new float[groups];
            for (int g = 0; g < groups; g++) {
                acc[g] = r.nextInt(-100000, 100000);
                ws[g] = (float) r.nextDouble(1e-3, 1);
            }
            float running = 0;
            for (int g = 0; g < groups; g++) {
                running += (ws[g] * 0.5f) * (float) acc[g];
            }
            if (Float.floatToRawIntBits(running) != Float.floatToRawIntBits(Sfu.linearOutput(acc, ws, groups, 0.5f))) {
                differ++;
            }
        }
        assertThat(differ).isGreaterThan(20);
    }

    @Test
    void theRecordIsEightyBytesLittleEndianWithZeroTail() {
        OutputStage s = new OutputStage();
        s.tile(0, 1, new int[] {5, -7}, j -> 2.0f, 0.5f, false);
        ByteBuffer rec = ByteBuffer.allocate(Isa.PSUM_BYTES);
        Arrays.fill(rec.array(), (byte) 0x55);
        s.write(rec);
        byte[] b = rec.array();
        // p[0] = (2 x 0.5) x 5 = 5.0f = 0x40a00000, p[1] = -7.0f = 0xc0e00000, acc = 0.
        assertThat(Arrays.copyOfRange(b, 0, 8)).containsExactly(0, 0, (byte) 0xa0, 0x40, 0, 0, (byte) 0xe0,
                (byte) 0xc0);
        assertThat(Arrays.copyOfRange(b, 8, 80)).containsOnly(0);
        assertThat(s.finish(true, -3f, true)).isEqualTo(0.0f);
        assertThat(s.finish(true, -3f, false)).isEqualTo(-5.0f);
    }
}
