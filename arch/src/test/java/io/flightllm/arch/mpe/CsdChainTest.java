package io.flightllm.arch.mpe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.arch.hw.HardwareConfigException;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.hw.Mpe;
import io.flightllm.arch.numerics.IntDot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bit-accurate CSD chain equals the exact integer dot product for contract operands, in every mode. */
class CsdChainTest {
    private static final Mpe U280 = HardwareConfigs.preset("u280").mpe();

    static Mpe mpe(Map<String, String> overrides) {
        return HardwareConfigs.withOverrides(HardwareConfigs.preset("u280"), overrides).mpe();
    }

    /** Chains the generator accepts: the preset, a 32-slice chain, groups of 1, 4 and 8. */
    static List<ChainPlan> plans() {
        return List.of(ChainPlan.sparse(U280), ChainPlan.dense(U280),
                ChainPlan.sparse(mpe(Map.of("mpe.chainLength", "32"))),
                ChainPlan.dense(mpe(Map.of("mpe.chainLength", "48"))),
                ChainPlan.sparse(mpe(Map.of("mpe.dspGroupSize", "1"))),
                ChainPlan.sparse(mpe(Map.of("mpe.dspGroupSize", "4", "mpe.sparseModes", "[0,4,8,16]"))),
                ChainPlan.sparse(mpe(Map.of("mpe.dspGroupSize", "8", "mpe.sparseModes", "[8,16]",
                        "mpe.chainLength", "32"))));
    }

    /** Random contract operands; positions unique and ascending per segment as the .flm stores them. */
    static VpuInput random(SplittableRandom r, ChainPlan plan, int n, boolean mm, int max) {
        int d = plan.chainLength();
        byte[] w = new byte[d];
        byte[] idx = new byte[d];
        for (int s = 0; s < d; s += n) {
            int[] chosen = r.ints(0, 16).distinct().limit(n).sorted().toArray();
            for (int k = 0; k < n; k++) {
                idx[s + k] = (byte) (plan.sparse() ? chosen[k] : (s + k) % 16);
            }
        }
        for (int i = 0; i < d; i++) {
            w[i] = (byte) r.nextInt(-max, max + 1);
        }
        byte[] a0 = new byte[16];
        byte[] a1 = new byte[16];
        for (int i = 0; i < 16; i++) {
            a0[i] = (byte) r.nextInt(-max, max + 1);
            a1[i] = (byte) r.nextInt(-max, max + 1);
        }
        return new VpuInput(n, mm, w, idx, a0, a1);
    }

    /** Mismatches between the chain's valid ports and the exact dot of each row segment (0 when equal). */
    static List<String> mismatches(CsdChain chain, VpuInput in) {
        VpuOutput out = chain.run(in);
        ChainPlan plan = chain.plan();
        List<String> bad = new ArrayList<>();
        int j = 0;
        for (int k = 0; k < plan.ports(); k++) {
            boolean ends = (plan.portStage(k) + 1) % in.n() == 0;
            if (out.valid()[k] != ends) {
                bad.add("port " + k + " valid " + out.valid()[k]);
            }
            if (!ends) {
                continue;
            }
            int from = j * in.n();
            int want0 = IntDot.sparseDot(in.w(), in.idx(), from, in.n(), in.act0(), 0);
            int want1 = in.mm() ? IntDot.sparseDot(in.w(), in.idx(), from, in.n(), in.act1(), 0) : 0;
            if (out.lo()[k] != want0 || out.hi()[k] != want1) {
                bad.add("segment " + j + ": lanes " + out.lo()[k] + "/" + out.hi()[k] + ", exact " + want0 + "/"
                        + want1);
            }
            j++;
        }
        assertThat(j).isEqualTo(plan.outputsPerCycle(in.n()));
        return bad;
    }

    @Test
    void randomVectorsEqualTheExactDotInEveryMode() {
        SplittableRandom r = new SplittableRandom(7);
        for (ChainPlan plan : plans()) {
            CsdChain chain = new CsdChain(plan);
            for (int n : plan.modes()) {
                for (boolean mm : new boolean[] {false, true}) {
                    for (int v = 0; v < 2000; v++) {
                        VpuInput in = random(r, plan, n, mm, 127);
                        assertThat(mismatches(chain, in)).as("%s N=%d mm=%s", plan, n, mm).isEmpty();
                    }
                }
            }
        }
    }

    @Test
    void edgeVectorsAtTheOverflowLimitAreExact() {
        for (ChainPlan plan : plans()) {
            CsdChain chain = new CsdChain(plan);
            int d = plan.chainLength();
            for (int n : plan.modes()) {
                for (int[] pattern : new int[][] {{127, 127}, {-127, 127}, {127, -127}, {-127, -127}, {0, 0}}) {
                    for (int alt = 0; alt < 2; alt++) {
                        byte[] w = new byte[d];
                        byte[] idx = new byte[d];
                        byte[] a0 = new byte[16];
                        byte[] a1 = new byte[16];
                        for (int i = 0; i < d; i++) {
                            int sign = alt == 1 && i % 2 == 1 ? -1 : 1;
                            w[i] = (byte) (sign * pattern[0]);
                            idx[i] = (byte) (plan.sparse() ? (16 - n) + i % n : i % 16);
                        }
                        for (int i = 0; i < 16; i++) {
                            a0[i] = (byte) pattern[1];
                            a1[i] = (byte) -pattern[1];
                        }
                        for (boolean mm : new boolean[] {false, true}) {
                            assertThat(mismatches(chain, new VpuInput(n, mm, w, idx, a0, a1)))
                                    .as("%s N=%d pattern %d/%d alt %d", plan, n, pattern[0], pattern[1], alt)
                                    .isEmpty();
                        }
                    }
                }
            }
        }
    }

    @Test
    void withoutTheAdjustPathALongChainIsWrong() {
        // The same 16-slice chain with the overflow-adjust unit removed (segment = 16): the low lane of sixteen
        // 127 x 127 products (258,064) leaves its 18 bits, so both lanes come out wrong.
        ChainPlan noAdjust = new ChainPlan(16, 2, 16, List.of(16), false);
        byte[] w = new byte[16];
        byte[] idx = new byte[16];
        byte[] a = new byte[16];
        for (int i = 0; i < 16; i++) {
            w[i] = 127;
            idx[i] = (byte) i;
            a[i] = 127;
        }
        VpuInput in = new VpuInput(16, true, w, idx, a, a);
        assertThat(mismatches(new CsdChain(noAdjust), in)).isNotEmpty();
        assertThat(mismatches(new CsdChain(ChainPlan.dense(U280)), in)).isEmpty();
    }

    @Test
    void eightProductsAreTheOverflowFreeLimit() {
        assertThat(Dsp48e2.overflowFreeProducts()).isEqualTo(8);
        assertThat(ChainPlan.sparse(U280).segment()).isEqualTo(8);
        long eight = 0;
        long nine = 0;
        long minEight = 0;
        for (int i = 0; i < 9; i++) {
            long p = Dsp48e2.pack(127, 0);
            nine = Dsp48e2.mac(p, 127, nine);
            if (i < 8) {
                eight = Dsp48e2.mac(p, 127, eight);
                minEight = Dsp48e2.mac(Dsp48e2.pack(-128, 0), -128, minEight);
            }
        }
        assertThat(Dsp48e2.lowLane(eight)).isEqualTo(8 * 127 * 127);
        assertThat(Dsp48e2.lowLane(nine)).isNotEqualTo(9 * 127 * 127);
        assertThat(Dsp48e2.lowLane(minEight)).isNotEqualTo(8 * 128 * 128); // why the contract stops at 127
    }

    @Test
    void highLaneNeedsTheLowProductCorrection() {
        long p = Dsp48e2.mac(Dsp48e2.pack(-3, 5), 7, 0); // 5*7 * 2^18 + (-21)
        assertThat(Dsp48e2.lowLane(p)).isEqualTo(-21);
        assertThat(p >> Dsp48e2.LANE_BITS).isEqualTo(34); // uncorrected: one too small
        assertThat(Dsp48e2.highLane(p)).isEqualTo(35);
        assertThat(Dsp48e2.withoutLowLane(p) + Dsp48e2.lowLane(p)).isEqualTo(p);
    }

    @Test
    void throughputAndPorts() {
        ChainPlan plan = ChainPlan.sparse(U280);
        assertThat(plan.macsPerCycle(true)).isEqualTo(32);
        assertThat(plan.macsPerCycle(false)).isEqualTo(16);
        assertThat(plan.ports()).isEqualTo(8);
        assertThat(plan.outputsPerCycle(2)).isEqualTo(8);
        assertThat(plan.outputsPerCycle(16)).isEqualTo(1);
        assertThat(plan.outBits()).isEqualTo(20);
        assertThat(plan.link(7, 16)).isEqualTo(ChainPlan.Link.ADJUST);
        assertThat(plan.link(7, 8)).isEqualTo(ChainPlan.Link.CUT);
        assertThat(plan.link(6, 2)).isEqualTo(ChainPlan.Link.PASS);
        assertThat(plan.link(5, 16)).isEqualTo(ChainPlan.Link.PASS);
    }

    @Test
    void unsupportedShapesNameTheField() {
        assertThatThrownBy(() -> ChainPlan.sparse(mpe(Map.of("mpe.chainLength", "8"))))
                .isInstanceOf(HardwareConfigException.class).hasMessageContaining("mpe.chainLength = 8");
        assertThatThrownBy(() -> ChainPlan.sparse(mpe(Map.of("mpe.dspGroupSize", "16"))))
                .isInstanceOf(HardwareConfigException.class).hasMessageContaining("mpe.dspGroupSize = 16");
        assertThatThrownBy(() -> ChainPlan.sparse(mpe(Map.of("mpe.dspGroupSize", "4"))))
                .isInstanceOf(HardwareConfigException.class).hasMessageContaining("mpe.sparseModes contains 2");
        CsdChain chain = new CsdChain(ChainPlan.sparse(U280));
        VpuInput zeroN = new VpuInput(0, false, new byte[16], new byte[16], new byte[16], new byte[16]);
        assertThatThrownBy(() -> chain.run(zeroN)).hasMessageContaining("N = 0");
    }
}
