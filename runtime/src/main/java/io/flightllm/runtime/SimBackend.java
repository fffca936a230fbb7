package io.flightllm.runtime;

import io.flightllm.arch.container.ContainerFormatException;
import io.flightllm.arch.program.FlpReader;
import io.flightllm.arch.program.ModelAbi;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.flm.FlmDigest;
import io.flightllm.compress.flm.FlmReader;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.forward.Forward;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.twin.TwinForward;

import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * A compiled program ({@code .flp}) with the {@code .flm} it was compiled from: executed by the functional simulator
 * ({@code --backend sim}), or by the CPU twin after checking that the pair matches ({@code --backend twin
 * --program}). The program must match the model: the same shape, and the same weights when the program recorded
 * their digest.
 */
final class SimBackend implements Backend {
    private final Path model;
    private final CompressedModel weights;
    private final Arena arena;
    private final FlpReader program;
    private final boolean simulate;
    private final int threads;

    private SimBackend(Path model, CompressedModel weights, Arena arena, FlpReader program, boolean simulate,
                       int threads) {
        this.model = model;
        this.weights = weights;
        this.arena = arena;
        this.program = program;
        this.simulate = simulate;
        this.threads = threads;
    }

    static SimBackend open(Path model, Path flp, boolean simulate, int threads) {
        CompressedModel cm = FlmReader.read(model);
        Arena arena = Arena.ofShared();
        try {
            FlpReader r = FlpReader.open(flp, arena);
            check(flp, r.program().model(), cm, model);
            if (r.program().options().shapesOnly()) {
                throw new InputException(flp + ": compiled with --shapes-only (no weight image); it can be timed "
                        + "but not executed");
            }
            return new SimBackend(model, cm, arena, r, simulate, threads);
        } catch (ContainerFormatException | InputException e) {
            arena.close();
            throw e;
        }
    }

    /** The program's ABI against the model: every dimension, and the weights' digest when the program has one. */
    static void check(Path flp, ModelAbi abi, CompressedModel cm, Path model) {
        ModelConfig c = cm.config();
        String[][] fields = {
                {"dim", "" + abi.dim(), "" + c.dim()},
                {"hidden_dim", "" + abi.hiddenDim(), "" + c.hiddenDim()},
                {"layers", "" + abi.layers(), "" + c.nLayers()},
                {"heads", "" + abi.heads(), "" + c.nHeads()},
                {"kv_heads", "" + abi.kvHeads(), "" + c.nKvHeads()},
                {"head_size", "" + abi.headSize(), "" + c.headSize()},
                {"vocab", "" + abi.vocab(), "" + c.vocabSize()},
                {"norm_eps", "" + abi.normEpsBits(), "" + Float.floatToRawIntBits(c.normEps())},
                {"rope_theta", "" + abi.ropeThetaBits(), "" + Float.floatToRawIntBits(c.ropeTheta())}};
        for (String[] f : fields) {
            if (!f[1].equals(f[2])) {
                throw new InputException(flp + ": the program's model field " + f[0] + " is " + f[1] + "; " + model
                        + " has " + f[2] + " (the program was compiled for another model)");
            }
        }
        if (!abi.weightsSha().isEmpty() && abi.weightsSha().startsWith("sha256:")) {
            String digest = FlmDigest.of(model);
            if (!digest.equals(abi.weightsSha())) {
                throw new InputException(flp + ": compiled from weights " + abi.weightsSha() + ", but " + model
                        + " is " + digest + " (recompile the program for this .flm)");
            }
        }
    }

    @Override
    public ModelConfig config() {
        return weights.config();
    }

    @Override
    public Path source() {
        return model;
    }

    @Override
    public Tokenizer tokenizer(Path explicit) {
        return ModelLoader.tokenizer(model, weights.config().vocabSize(), null, explicit);
    }

    @Override
    public Forward forward(int contextLength) {
        int ctx = Math.min(contextLength, program.program().model().maxContext());
        return simulate ? new SimForward(program, weights, ctx)
                : new TwinForward(weights, threads, ctx);
    }

    @Override
    public long weightBytesPerToken() {
        return TwinForward.weightBytesPerToken(weights);
    }

    @Override
    public long kvBytesPerPosition() {
        return TwinForward.kvBytesPerPosition(weights);
    }

    @Override
    public void close() {
        arena.close();
    }
}
