package io.flightllm.cli;

import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.flm.FlmReader;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.bench.DecodeBench;
import io.flightllm.model.forward.Forward;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.twin.TwinForward;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code --model} opened for {@code --backend}: the fp32 reference over a checkpoint (.bin, .gguf, HF directory) or
 * the CPU twin over a compressed {@code .flm}. One place decides which files go with which backend.
 */
sealed interface Backend extends AutoCloseable {
    List<String> NAMES = List.of("ref", "twin");

    ModelConfig config();

    Tokenizer tokenizer(Path explicit);

    /** A fresh executor holding {@code contextLength} positions (close it). */
    Forward forward(int contextLength);

    long weightBytesPerToken();

    long kvBytesPerPosition();

    @Override
    void close();

    static Backend open(String backend, Path model, String kernels, Integer threads) {
        boolean flm = FlmInspect.isFlm(model);
        return switch (backend) {
            case "ref" -> {
                if (flm) {
                    throw new Main.UserInputException(model + ": a compressed .flm runs with --backend twin");
                }
                yield new Reference(ModelLoader.load(model), kernels, threads);
            }
            case "twin" -> {
                if (!flm) {
                    throw new Main.UserInputException(model + ": --backend twin runs a compressed .flm; make one "
                            + "with 'flightllm compress --model " + model + " --out M.flm'");
                }
                yield new Twin(model, FlmReader.read(model), threads);
            }
            default -> throw new Main.UserInputException("--backend is '" + backend + "'; expected one of " + NAMES
                    + " (sim arrives with the simulator)");
        };
    }

    /** The fp32 reference with the chosen matrix kernels. */
    final class Reference implements Backend {
        private final Model model;
        private final MatVec mv;

        Reference(Model model, String kernels, Integer threads) {
            this.model = model;
            try {
                this.mv = Options.matVec(kernels, threads);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }

        @Override
        public ModelConfig config() {
            return model.config();
        }

        @Override
        public Tokenizer tokenizer(Path explicit) {
            return ModelLoader.tokenizer(model, explicit);
        }

        @Override
        public Forward forward(int contextLength) {
            RunCommand.checkContextFits(model.config(), contextLength);
            return new LlamaForward(model.config(), model.weights(), mv, contextLength);
        }

        @Override
        public long weightBytesPerToken() {
            return DecodeBench.weightBytesPerToken(model.weights());
        }

        @Override
        public long kvBytesPerPosition() {
            return 2L * model.config().nLayers() * model.config().kvDim() * Float.BYTES;
        }

        @Override
        public void close() {
            mv.close();
            model.close();
        }
    }

    /** The CPU twin over a .flm. */
    final class Twin implements Backend {
        private final Path file;
        private final CompressedModel model;
        private final int threads;

        Twin(Path file, CompressedModel model, Integer threads) {
            this.file = file;
            this.model = model;
            this.threads = Options.threads(threads);
        }

        @Override
        public ModelConfig config() {
            return model.config();
        }

        @Override
        public Tokenizer tokenizer(Path explicit) {
            return ModelLoader.tokenizer(file, model.config().vocabSize(), null, explicit);
        }

        @Override
        public Forward forward(int contextLength) {
            return new TwinForward(model, threads, contextLength);
        }

        @Override
        public long weightBytesPerToken() {
            return TwinForward.weightBytesPerToken(model);
        }

        CompressedModel model() {
            return model;
        }

        @Override
        public long kvBytesPerPosition() {
            return TwinForward.kvBytesPerPosition(model);
        }

        @Override
        public void close() {
        }
    }
}
