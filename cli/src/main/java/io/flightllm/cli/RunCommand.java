package io.flightllm.cli;

import io.flightllm.model.Generator;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Sampler;
import io.flightllm.model.forward.Forward;
import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.runtime.Backend;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flightllm run}: generate text exactly as llama2.c run.c prints it. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text. Standard output is byte-identical to llama2.c run.c for the same model, prompt,",
                "steps, temperature, top-p and seed; timings go to standard error."})
final class RunCommand implements Callable<Integer> {
    private final Console console;

    RunCommand(Console console) {
        this.console = console;
    }

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "M",
            description = "checkpoint: llama2.c .bin, .gguf, or a Hugging Face directory")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, paramLabel = "T",
            description = "tokenizer (.bin, .gguf or tokenizer.json); default: the model's own, else tokenizer.bin "
                    + "beside the model")
    Path tokenizer;

    @Option(names = {"-i", "--prompt"}, paramLabel = "P", description = "prompt text (default: empty)")
    String prompt;

    @Option(names = "--prompt-file", paramLabel = "F", description = "read the prompt from a UTF-8 file (at most 1 MiB)")
    Path promptFile;

    @Option(names = {"-n", "--steps"}, paramLabel = "N", defaultValue = "256",
            description = "positions to run, counting BOS and the prompt; 0 = the model's context (default: 256)")
    int steps;

    @Option(names = {"-t", "--temperature"}, paramLabel = "X", defaultValue = "1.0",
            description = "0 = greedy (default: 1.0)")
    float temperature;

    @Option(names = {"-p", "--top-p"}, paramLabel = "X", defaultValue = "0.9",
            description = "nucleus sampling threshold in [0, 1]; 0 or 1 = off (default: 0.9)")
    float topP;

    @Option(names = {"-s", "--seed"}, paramLabel = "S", defaultValue = "0",
            description = "random seed (unsigned 64-bit); 0 = time-based (default)")
    String seed;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "ref",
            description = "executor: ref (fp32 reference over a checkpoint), twin (the CPU twin over a .flm) or sim "
                    + "(the functional simulator running --program over the .flm it was compiled from)")
    String backend;

    @Option(names = "--program", paramLabel = "P", description = "a compiled .flp (flightllm compile) for --backend sim")
    Path program;

    @Option(names = "--target", paramLabel = "T", description = "with --program: the device the program must have "
            + "been compiled for (u280, vhk158 or a config file); refused when the program's target differs")
    String target;

    // exact is the default: the same bytes as golden (and run.c), with threads and the Vector API
    @Option(names = "--kernels", paramLabel = "K", defaultValue = "exact",
            description = Options.KERNELS_HELP + " (default: exact)")
    String kernels;

    @Option(names = "--threads", paramLabel = "T", description = "threads for the exact and vector kernels (default: all cores)")
    Integer threads;

    /** A program compiled for one device must not run as another's: compare the whole configuration. */
    private void checkTarget() {
        if (program == null) {
            throw new Main.UserInputException("--target checks a compiled program: give --program P.flp");
        }
        io.flightllm.arch.hw.HardwareConfig want = io.flightllm.arch.hw.HardwareConfigs.resolve(target);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            io.flightllm.arch.hw.HardwareConfig got = io.flightllm.arch.program.FlpReader.open(program, arena)
                    .program().target();
            if (!got.equals(want)) {
                throw new Main.UserInputException(program + " was compiled for " + got.name() + " ("
                        + got.cores() + " cores, " + got.hbm().channels() + " HBM channels); --target " + target
                        + " is " + want.name() + " (" + want.cores() + " cores): recompile with --target " + target);
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        if (temperature < 0 || !Float.isFinite(temperature)) {
            throw new Main.UserInputException("--temperature is " + temperature + "; expected a finite value >= 0");
        }
        if (!(topP >= 0 && topP <= 1)) {
            throw new Main.UserInputException("--top-p is " + topP + "; expected a value in [0, 1]");
        }
        if (steps < 0) {
            throw new Main.UserInputException("--steps is " + steps + "; expected >= 0 (0 = the model's context)");
        }
        long seedValue = Options.parseSeed(seed);
        String text = Options.promptText(prompt, promptFile);
        if (target != null) {
            checkTarget();
        }
        try (Backend be = Backend.open(backend, model, kernels, threads, program)) {
            ModelConfig c = be.config();
            Tokenizer tok = be.tokenizer(tokenizer);
            int[] promptTokens = tok.encode(text, true, false);
            int n = Generator.effectiveSteps(steps, c.seqLen());
            try (Forward fwd = be.forward(n)) {
                String limit = n == c.seqLen() ? "the model's context" : "--steps";
                int asked = n;
                n = Options.capToExecutor(console, "flightllm run", n, fwd, program != null ? program : fwd.name());
                if (n < asked) {
                    limit = "the program's context";
                }
                if (promptTokens.length > n) {
                    console.err().printf(Locale.ROOT, "flightllm run: warning: the prompt is %d tokens (with BOS) but "
                            + "only %d positions run (%s); the rest of the prompt is ignored, as run.c does%n",
                            promptTokens.length, n, limit);
                }
                Sampler sampler = new Sampler(c.vocabSize(), temperature, topP, seedValue);
                Generator.Result r = Generator.generate(fwd, tok, sampler, promptTokens, n, console.out());
                console.err().printf(Locale.ROOT, "prompt: %d tokens, %.1f tok/s; generation: %d tokens, %.1f tok/s "
                                + "(%s)%n", r.promptTokens(), r.promptTokensPerSecond(), r.generatedTokens(),
                        r.generatedTokensPerSecond(), fwd.name());
            }
        }
        return 0;
    }
}
