package io.flightllm.sim.e2e;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.program.FlpReader;
import io.flightllm.compiler.CompileOptions;
import io.flightllm.compiler.Compiler;
import io.flightllm.compiler.pack.WeightFeed;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.model.Model;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Compressed test models and compiled programs, made once per JVM (compression and compilation take seconds). */
final class Setups {
    static final Map<String, CompressedModel> MODELS = new ConcurrentHashMap<>();

    private Setups() {
    }

    /** A shared model file compressed with a named profile by round-to-nearest. */
    static CompressedModel model(String file, String profile) {
        return MODELS.computeIfAbsent(file + "/" + profile, k -> {
            try (Model m = ModelLoader.load(SharedData.model(file))) {
                return new ModelCompressor(CompressionProfile.named(profile), LinearCompressor.roundToNearest(), "rtn")
                        .toModel(new ModelWeightSource(m), null, (l, kind, d, t) -> { });
            }
        });
    }

    /** u280, vhk158, or "u280x2": the U280 preset with two cores. */
    static HardwareConfig hw(String name) {
        if (name.equals("u280x2")) {
            return HardwareConfigs.withOverrides(HardwareConfigs.preset("u280"), Map.of("cores", "2"));
        }
        return HardwareConfigs.preset(name);
    }

    /** Compiles {@code cm} for {@code hw} into {@code dir} and opens it. */
    static FlpReader compile(CompressedModel cm, HardwareConfig hw, int maxContext, int prefillBucket,
                             int decodeBucket, Path dir, Arena arena) {
        Compiler c = new Compiler(ModelShape.of(cm), new CompileOptions(hw, maxContext, prefillBucket, decodeBucket,
                false));
        Path flp = dir.resolve("model.flp");
        c.write(WeightFeed.of(cm), flp, Compiler.Progress.NONE);
        return FlpReader.open(flp, arena);
    }
}
