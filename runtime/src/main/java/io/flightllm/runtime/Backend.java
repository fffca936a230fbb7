package io.flightllm.runtime;

import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.flm.FlmLayout;
import io.flightllm.compress.flm.FlmReader;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.bench.DecodeBench;
import io.flightllm.model.forward.Forward;
import io.flightllm.model.forward.DecoderForward;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.twin.TwinForward;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code --model} opened for {@code --backend}: the fp32 reference over a checkpoint (.bin, .gguf, HF directory) or
 * the CPU twin over a compressed {@code .flm}. One place decides which files go with which backend. The weights are
 * loaded once; every {@link #forward} is an independent executor (its own KV cache and kernel threads) over them, so
 * several generations can run at once.
 */
public sealed interface Backend extends AutoCloseable permits Backend.Reference, Backend.Twin, SimBackend {
    /** Every name {@code --backend} knows. */
    List<String> NAMES = List.of("ref", "twin", "sim");

    ModelConfig config();

    /** The file or directory the weights came from. */
    Path source();

    Tokenizer tokenizer(Path explicit);

    /** A fresh executor holding {@code contextLength} positions, with its own state and threads (close it). */
    Forward forward(int contextLength);

    long weightBytesPerToken();

    long kvBytesPerPosition();

    @Override
    void close();

    /**
     * @param kernels the reference's matrix kernels ({@link Kernels#NAMES})
     * @param threads threads per executor (null = all cores)
     * @param program a compiled {@code .flp} (only the simulator runs one), or null
     */
    static Backend open(String backend, Path model, String kernels, Integer threads, Path program) {
        boolean flm = isFlm(model);
        if ("sim".equals(backend) || program != null) {
            if (!flm) {
                throw new InputException(model + ": --backend sim and --program take the compressed .flm the "
                        + "program was compiled from (its embeddings and tokenizer live there)");
            }
            if (program == null) {
                throw new InputException("--backend sim runs a compiled program: give --program P.flp "
                        + "(flightllm compile --model " + model + ")");
            }
            if (!"sim".equals(backend) && !"twin".equals(backend)) {
                throw new InputException("--program runs with --backend sim or twin, not " + backend);
            }
            return SimBackend.open(model, program, "sim".equals(backend), Kernels.threads(threads));
        }
        return switch (backend) {
            case "ref" -> {
                if (flm) {
                    throw new InputException(model + ": a compressed .flm runs with --backend twin");
                }
                Kernels.threads(threads);
                Kernels.matVec(kernels, 1).close(); // reject a bad --kernels before loading the weights
                yield new Reference(ModelLoader.load(model), kernels, threads);
            }
            case "twin" -> {
                if (!flm) {
                    throw new InputException(model + ": --backend twin runs a compressed .flm; make one "
                            + "with 'flightllm compress --model " + model + " --out M.flm'");
                }
                yield new Twin(model, FlmReader.read(model), Kernels.threads(threads));
            }
            default -> throw new InputException("--backend is '" + backend + "'; expected one of " + NAMES);
        };
    }

    static Backend open(String backend, Path model, String kernels, Integer threads) {
        return open(backend, model, kernels, threads, null);
    }

    /** True when {@code p} is a file starting with the .flm magic. */
    static boolean isFlm(Path p) {
        if (!Files.isRegularFile(p)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(p)) {
            return Arrays.equals(in.readNBytes(4), FlmLayout.MAGIC);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The reference's KV cache is two FP32 arrays of [positions][kv_dim] per layer on the heap, one per executor. A
     * file may declare a context its weights do not bound (v1/v2 store no per-position data), so check before
     * allocating, not after an OOM.
     */
    static void checkContextFits(ModelConfig c, int positions, int executors) {
        long perLayer = (long) positions * c.kvDim();
        long bytes = 2L * c.nLayers() * perLayer * Float.BYTES * executors;
        Runtime rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (perLayer > Integer.MAX_VALUE - 16 || bytes > available * 0.9) {
            throw new InputException(String.format(Locale.ROOT, "the KV cache for %d positions%s needs %,d MiB but "
                    + "the JVM has %,d MiB available; use a smaller context (--steps, --context) or a larger -Xmx in "
                    + "FLIGHTLLM_JAVA_OPTS", positions, executors > 1 ? " x " + executors + " workers" : "",
                    bytes >> 20, available >> 20));
        }
    }

    /** The fp32 reference with the chosen matrix kernels; each executor gets its own kernel instance. */
    final class Reference implements Backend {
        private final Model model;
        private final String kernels;
        private final Integer threads;

        Reference(Model model, String kernels, Integer threads) {
            this.model = model;
            this.kernels = kernels;
            this.threads = threads;
        }

        @Override
        public ModelConfig config() {
            return model.config();
        }

        @Override
        public Path source() {
            return model.source();
        }

        @Override
        public Tokenizer tokenizer(Path explicit) {
            return ModelLoader.tokenizer(model, explicit);
        }

        @Override
        public Forward forward(int contextLength) {
            checkContextFits(model.config(), contextLength, 1);
            MatVec mv = Kernels.matVec(kernels, threads);
            return new KernelOwner(DecoderForward.create(model.config(), model.weights(), mv, contextLength), mv);
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
            model.close();
        }
    }

    /** A reference executor that closes its kernels (and their threads) with it. */
    final class KernelOwner extends DelegatingForward {
        private final MatVec mv;

        KernelOwner(Forward f, MatVec mv) {
            super(f);
            this.mv = mv;
        }

        @Override
        public void close() {
            super.close();
            mv.close();
        }
    }

    /** The CPU twin over a .flm. */
    final class Twin implements Backend {
        private final Path file;
        private final CompressedModel model;
        private final int threads;

        Twin(Path file, CompressedModel model, int threads) {
            this.file = file;
            this.model = model;
            this.threads = threads;
        }

        @Override
        public ModelConfig config() {
            return model.config();
        }

        @Override
        public Path source() {
            return file;
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

        @Override
        public long kvBytesPerPosition() {
            return TwinForward.kvBytesPerPosition(model);
        }

        @Override
        public void close() {
        }
    }
}
