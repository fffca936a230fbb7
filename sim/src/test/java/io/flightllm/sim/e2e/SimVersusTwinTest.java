package io.flightllm.sim.e2e;

import io.flightllm.arch.program.FlpReader;
import io.flightllm.compress.CompressedModel;
import io.flightllm.sim.FunctionalSim;
import io.flightllm.twin.FastTwin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Verification level 3 of DESIGN.md: the simulator running the compiled program gives the CPU twin's logits bit for
 * bit at every position, and so the same greedy tokens. Each case runs a prompt that crosses a prefill bucket
 * boundary, then decodes greedily to the program's maximum context (crossing every decode bucket).
 */
class SimVersusTwinTest {
    static final int MAX_CONTEXT = 48;
    static final int BUCKET = 16;

    @TempDir
    Path dir;
    private final List<Arena> arenas = new java.util.ArrayList<>();

    @ParameterizedTest(name = "{0} {1} on {2}")
    @CsvSource({
            "stories260K.bin, w8, u280",
            "stories260K.bin, w4s8, vhk158",
            "stories260K.bin, mixed, u280x2",
            "aidreams260K.bin, w8, vhk158",
            "aidreams260K.bin, w4s8, u280x2",
            "aidreams260K.bin, mixed, u280",
            "synthetic/synth_tiny_unshared_gqa4.bin, w8, u280x2",
            "synthetic/synth_tiny_unshared_gqa4.bin, w4s8, u280",
            "synthetic/synth_tiny_unshared_gqa4.bin, mixed, vhk158"})
    void logitsAreBitIdenticalAtEveryPosition(String file, String profile, String target) {
        CompressedModel cm = Setups.model(file, profile);
        Arena arena = Arena.ofConfined();
        arenas.add(arena);
        FlpReader r = Setups.compile(cm, Setups.hw(target), MAX_CONTEXT, BUCKET, BUCKET, dir, arena);
        FunctionalSim sim = FunctionalSim.load(r.program(), r);
        SimHost host = new SimHost(sim, cm);
        try (FastTwin twin = new FastTwin(cm, 1, MAX_CONTEXT)) {
            int[] prompt = {1, 403, 407, 261, 378, 375, 285, 1, 49, 310, 345, 2, 260, 264, 341, 437, 300, 430, 282, 262};
            promptThenGreedy(host, twin, prompt, MAX_CONTEXT, "");
        }
        // a second prompt over the same device: the cache positions are overwritten from 0
        try (FastTwin twin = new FastTwin(cm, 1, MAX_CONTEXT)) {
            int[] prompt = {1, 290, 2, 33, 300};
            List<float[]> simLogits = host.prefill(prompt, 0);
            for (int pos = 0; pos < prompt.length; pos++) {
                assertBitIdentical(simLogits.get(pos), twin.forward(prompt[pos], pos).clone(), "prompt 2", pos);
            }
            int token = SimHost.argmax(simLogits.get(prompt.length - 1));
            for (int pos = prompt.length; pos < prompt.length + 3; pos++) {
                float[] s = host.decode(token, pos);
                assertBitIdentical(s, twin.forward(token, pos).clone(), "prompt 2 decode", pos);
                token = SimHost.argmax(s);
            }
        }
    }

    /**
     * A block-sparse prefill mask (16-position blocks, one sink, a band of one block): prompt rows are masked on the
     * simulator (MISC mask=block) exactly as on the twin, decode steps stay dense, over 4- and 8-row prefill chunks.
     */
    @ParameterizedTest(name = "masked stories260K w8 on {0}")
    @CsvSource({"u280", "vhk158"})
    void aMaskedPromptIsBitIdenticalToTheTwinsPromptRows(String target) {
        CompressedModel cm = Setups.model("stories260K.bin", "w8")
                .withAttentionMask(new io.flightllm.compress.algo.AttentionMask(16, 1, 1));
        Arena arena = Arena.ofConfined();
        arenas.add(arena);
        int context = 64;
        FlpReader r = Setups.compile(cm, Setups.hw(target), context, BUCKET, BUCKET, dir, arena);
        FunctionalSim sim = FunctionalSim.load(r.program(), r);
        SimHost host = new SimHost(sim, cm);
        int[] prompt = new int[56];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(11);
        prompt[0] = 1;
        for (int i = 1; i < prompt.length; i++) {
            prompt[i] = 3 + rnd.nextInt(500);
        }
        try (FastTwin twin = new FastTwin(cm, 1, context); FastTwin dense = new FastTwin(
                cm.withAttentionMask(null), 1, context)) {
            List<float[]> simLogits = host.prefill(prompt, 0);
            boolean differs = false;
            for (int pos = 0; pos < prompt.length; pos++) {
                float[] t = twin.prefill(new int[] {prompt[pos]}, pos).clone();
                assertBitIdentical(simLogits.get(pos), t, "masked prompt", pos);
                differs |= !java.util.Arrays.equals(t, dense.prefill(new int[] {prompt[pos]}, pos));
            }
            assertThat(differs).as("the mask hides keys 16..47 from the last rows: their logits change").isTrue();
            int token = SimHost.argmax(simLogits.get(prompt.length - 1));
            for (int pos = prompt.length; pos < context; pos++) {
                float[] s = host.decode(token, pos);
                assertBitIdentical(s, twin.forward(token, pos).clone(), "decode after a masked prompt", pos);
                token = SimHost.argmax(s);
            }
        }
    }

    /**
     * The prompt in the simulator's prefill chunks against the twin position by position, then greedy decode steps up
     * to position {@code until}: bit-identical logits everywhere, so the same tokens.
     */
    static void promptThenGreedy(SimHost host, FastTwin twin, int[] prompt, int until, String label) {
        List<float[]> simLogits = host.prefill(prompt, 0);
        for (int pos = 0; pos < prompt.length; pos++) {
            assertBitIdentical(simLogits.get(pos), twin.forward(prompt[pos], pos).clone(), label + "prompt", pos);
        }
        int token = SimHost.argmax(simLogits.get(prompt.length - 1));
        for (int pos = prompt.length; pos < until; pos++) {
            float[] s = host.decode(token, pos);
            float[] t = twin.forward(token, pos).clone();
            assertBitIdentical(s, t, label + "decode", pos);
            assertThat(SimHost.argmax(s)).isEqualTo(SimHost.argmax(t));
            token = SimHost.argmax(s);
        }
    }

    @AfterEach
    void closeArena() {
        arenas.forEach(Arena::close);
        arenas.clear();
    }

    static void assertBitIdentical(float[] sim, float[] twin, String phase, int pos) {
        assertThat(sim.length).as("%s logits length at pos %d", phase, pos).isEqualTo(twin.length);
        for (int i = 0; i < sim.length; i++) {
            if (Float.floatToRawIntBits(sim[i]) != Float.floatToRawIntBits(twin[i])) {
                throw new AssertionError(phase + " pos " + pos + ": logit " + i + " is " + sim[i] + " on the simulator, "
                        + twin[i] + " on the twin (first of the differing logits)");
            }
        }
    }
}
