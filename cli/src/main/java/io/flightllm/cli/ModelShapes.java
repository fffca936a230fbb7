package io.flightllm.cli;

import io.flightllm.compiler.pack.RandomWeights;
import io.flightllm.compiler.pack.WeightFeed;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.flm.FlmReader;
import io.flightllm.model.BuiltinModels;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The {@code --model} argument of {@code compile}, {@code simulate} and {@code sweep}: a built-in shape compressed with
 * a profile (random weights when weights are wanted), or a {@code .flm} file.
 *
 * @param feed      the weights, or null when only shapes were asked for
 * @param name      a file-name-friendly name ("llama2-7b-paper", the .flm's stem)
 * @param weightsId what the weights are (the .flm's digest, or how random weights were made; "" for shapes only), so
 *                  a runtime can refuse a program compiled from other weights
 */
record ModelShapes(ModelShape shape, WeightFeed feed, String name, String weightsId) {

    static ModelShapes resolve(String model, String profile, boolean shapesOnly, long seed) {
        if (BuiltinModels.has(model)) {
            if (!CompressionProfile.NAMES.contains(profile)) {
                throw new Main.UserInputException("--profile " + profile + " is unknown; expected one of "
                        + CompressionProfile.NAMES);
            }
            ModelShape shape = ModelShape.fromProfile(BuiltinModels.get(model), CompressionProfile.named(profile));
            String name = model.toLowerCase(Locale.ROOT) + "-" + profile;
            return new ModelShapes(shape, shapesOnly ? null : new RandomWeights(shape, seed), name,
                    shapesOnly ? "" : "random:" + name + ":seed=" + seed);
        }
        Path p = Path.of(model);
        if (!Files.exists(p)) {
            throw new Main.UserInputException("--model " + model + ": no such file and not a built-in shape "
                    + BuiltinModels.names());
        }
        CompressedModel cm = FlmReader.read(p);
        String f = p.getFileName().toString();
        return new ModelShapes(ModelShape.of(cm), shapesOnly ? null : WeightFeed.of(cm),
                f.endsWith(".flm") ? f.substring(0, f.length() - 4) : f, io.flightllm.compress.flm.FlmDigest.of(p));
    }
}
