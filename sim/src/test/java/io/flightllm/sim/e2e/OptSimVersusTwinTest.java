package io.flightllm.sim.e2e;

import io.flightllm.arch.program.FlpReader;
import io.flightllm.compiler.CompileOptions;
import io.flightllm.compiler.Compiler;
import io.flightllm.compiler.pack.WeightFeed;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.OptWriter;
import io.flightllm.sim.FunctionalSim;
import io.flightllm.twin.FastTwin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Verification level 3 for OPT: random OPT checkpoints in Hugging Face layout (6 heads of 12, padded to 16; widths 72
 * and 200, not multiples of 16; pre-norm, post-norm, and post-norm with project_in/out folded by compress),
 * compressed, compiled and run on the simulator, give the CPU twin's logits bit for bit: LayerNorm with its bias (in
 * place after the residual for post-norm), the linear biases, ReLU in fc1's output stage and the host's position rows.
 */
class OptSimVersusTwinTest {
    static final int MAX_CONTEXT = 48;
    static final int BUCKET = 16;
    private static final Map<String, CompressedModel> MODELS = new ConcurrentHashMap<>();

    @TempDir
    static Path dir;
    private final List<Arena> arenas = new ArrayList<>();

    static CompressedModel opt(String profile) {
        return opt(profile, "pre");
    }

    /**
     * {@code variant}: "pre" (pre-norm, as OPT-6.7B), "post" (post-norm, no final norm) or "post-proj" (post-norm with
     * project_in/out from a 48-wide embedding, as opt-350m; compress folds the projections).
     */
    static CompressedModel opt(String profile, String variant) {
        return MODELS.computeIfAbsent(profile + "/" + variant, k -> {
            Path hf = dir.resolve("opt-hf-" + variant);
            if (!hf.resolve("config.json").toFile().exists()) {
                OptWriter.Spec spec = new OptWriter.Spec(72, 200, 2, 6, 64, 72, true, true, 60, 5, "model.", 7);
                spec = switch (variant) {
                    case "pre" -> spec;
                    case "post" -> spec.postLn();
                    case "post-proj" -> spec.postLn().embedDim(48);
                    default -> throw new IllegalArgumentException(variant);
                };
                OptWriter.write(spec, hf);
            }
            try (Model m = ModelLoader.load(hf)) {
                assertThat(m.config().family()).isEqualTo(ModelConfig.Family.OPT);
                return new ModelCompressor(CompressionProfile.named(profile), LinearCompressor.roundToNearest(),
                        "rtn").toModel(new ModelWeightSource(m), null, (l, kind, d, t) -> { });
            }
        });
    }

    private FunctionalSim load(CompressedModel cm, WeightFeed feed, String target) {
        Arena arena = Arena.ofConfined();
        arenas.add(arena);
        Compiler c = new Compiler(ModelShape.of(cm), new CompileOptions(Setups.hw(target), MAX_CONTEXT, BUCKET, BUCKET,
                false));
        Path flp = dir.resolve("opt-" + target + "-" + arenas.size() + ".flp");
        c.write(feed, flp, Compiler.Progress.NONE);
        FlpReader r = FlpReader.open(flp, arena);
        return FunctionalSim.load(r.program(), r);
    }

    private static int[] prompt(int n, int vocab, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] p = new int[n];
        p[0] = 2; // </s> starts an OPT prompt
        for (int i = 1; i < n; i++) {
            p[i] = 3 + rnd.nextInt(vocab - 3);
        }
        return p;
    }

    @ParameterizedTest(name = "{2} OPT {0} on {1}")
    @CsvSource({"w8, u280, pre", "w4s8, vhk158, pre", "mixed, u280x2, pre", "w8, vhk158, post",
            "w4s8, u280, post-proj", "mixed, vhk158, post-proj"})
    void logitsAreBitIdenticalAtEveryPosition(String profile, String target, String variant) {
        CompressedModel cm = opt(profile, variant);
        FunctionalSim sim = load(cm, WeightFeed.of(cm), target);
        SimHost host = new SimHost(sim, cm);
        int[] prompt = prompt(20, cm.config().vocabSize(), 5);
        try (FastTwin twin = new FastTwin(cm, 1, MAX_CONTEXT)) {
            SimVersusTwinTest.promptThenGreedy(host, twin, prompt, MAX_CONTEXT, variant + " ");
        }
    }

    /**
     * The test of the test: a program packed from weights with fc1's biases shifted, or one changed LayerNorm bias,
     * no longer matches the twin of the unchanged model (the bias paths are really exercised).
     */
    @Test
    void aChangedBiasInTheWeightImageBreaksTheMatch() {
        CompressedModel cm = opt("w8");
        WeightFeed good = WeightFeed.of(cm);
        WeightFeed badLinear = new WeightFeed() {
            @Override
            public CompressedLinear linear(int layer, LinearKind kind) {
                CompressedLinear l = good.linear(layer, kind);
                if (layer != 1 || kind != LinearKind.W1) {
                    return l;
                }
                float[] bias = l.bias().clone();
                for (int r = 0; r < bias.length; r++) { // every row: relu may hide a single one
                    bias[r] += 0.5f;
                }
                return new CompressedLinear(l.name(), l.rows(), l.cols(), l.bits(), l.groupSize(), l.blockDensities(),
                        l.values(), l.positions(), l.scaleBits(), bias, l.indexEncoding());
            }

            @Override
            public float[] norm(int index) {
                return good.norm(index);
            }

            @Override
            public float[] normBias(int index) {
                return good.normBias(index);
            }
        };
        WeightFeed badNorm = new WeightFeed() {
            @Override
            public CompressedLinear linear(int layer, LinearKind kind) {
                return good.linear(layer, kind);
            }

            @Override
            public float[] norm(int index) {
                return good.norm(index);
            }

            @Override
            public float[] normBias(int index) {
                float[] b = good.normBias(index).clone();
                if (index == 2) {
                    b[0] += 0.25f;
                }
                return b;
            }
        };
        int[] prompt = prompt(5, cm.config().vocabSize(), 9);
        float[] expected;
        try (FastTwin twin = new FastTwin(cm, 1, MAX_CONTEXT)) {
            float[] last = null;
            for (int pos = 0; pos < prompt.length; pos++) {
                last = twin.forward(prompt[pos], pos);
            }
            expected = last.clone();
        }
        assertThat(last(load(cm, good, "u280"), cm, prompt)).as("the unchanged image").isEqualTo(expected);
        assertThat(Arrays.equals(last(load(cm, badLinear, "u280"), cm, prompt), expected)).as("fc1 bias changed")
                .isFalse();
        assertThat(Arrays.equals(last(load(cm, badNorm, "u280"), cm, prompt), expected)).as("a LayerNorm bias changed")
                .isFalse();
    }

    private static float[] last(FunctionalSim sim, CompressedModel cm, int[] prompt) {
        List<float[]> l = new SimHost(sim, cm).prefill(prompt, 0);
        return l.get(l.size() - 1);
    }

    @AfterEach
    void closeArena() {
        arenas.forEach(Arena::close);
        arenas.clear();
    }
}
