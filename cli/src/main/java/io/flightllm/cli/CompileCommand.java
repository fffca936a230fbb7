package io.flightllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.compiler.CompileOptions;
import io.flightllm.compiler.Compiler;
import io.flightllm.compiler.StorageReport;
import io.flightllm.compiler.pack.WeightFeed;
import io.flightllm.compiler.shape.ModelShape;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code flightllm compile}: a {@code .flm} (or a built-in shape) to a {@code .flp} for a hardware target. */
@Command(name = "compile", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compile a compressed model for an accelerator configuration: one instruction stream per core",
                "per length bucket, the weight image per HBM channel and the ABI, written as a .flp. Prints the",
                "instruction storage against the artifact-style unrolled baseline."})
final class CompileCommand implements Callable<Integer> {
    private final Console console;

    CompileCommand(Console console) {
        this.console = console;
    }

    @Option(names = {"-m", "--model"}, paramLabel = "M", defaultValue = "llama2-7b",
            description = "a .flm file, or a built-in shape (${COMPLETION-CANDIDATES:-llama2-7b}) compiled with "
                    + "random weights in compressed form (default: llama2-7b)")
    String model;

    @Option(names = "--profile", paramLabel = "P", defaultValue = "paper",
            description = "compression profile of a built-in shape: w8, w4, w3, w2, w4s8, mixed, paper (default)")
    String profile;

    @Option(names = {"-t", "--target"}, paramLabel = "T", defaultValue = HardwareConfigs.DEFAULT,
            description = "u280, vhk158, or a JSON/YAML hardware config file (default: u280)")
    String target;

    @Option(names = {"-o", "--out"}, paramLabel = "F.flp", description = "the program to write (default: "
            + "<model>-<target>.flp in the current directory)")
    Path out;

    @Option(names = "--context", paramLabel = "N", defaultValue = "2048",
            description = "longest context served (capped by the model's; default 2048)")
    int context;

    @Option(names = "--prefill-bucket", paramLabel = "N", defaultValue = "128",
            description = "context granularity of the prefill programs (default 128)")
    int prefillBucket;

    @Option(names = "--decode-bucket", paramLabel = "N", defaultValue = "32",
            description = "context granularity of the decode-step programs, a multiple of 16 (default 32)")
    int decodeBucket;

    @Option(names = "--shapes-only", description = "emit streams, ABI and density maps without a weight image")
    boolean shapesOnly;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "seed of the random weights of a built-in shape (default 1)")
    long seed;

    @Option(names = "--json", description = "print the storage report as one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        HardwareConfig hw = HardwareConfigs.resolve(target);
        if (context < 1 || prefillBucket < 1 || decodeBucket < 1) {
            throw new Main.UserInputException("--context, --prefill-bucket and --decode-bucket must be positive");
        }
        ModelShapes m = ModelShapes.resolve(model, profile, shapesOnly, seed);
        ModelShape shape = m.shape();
        WeightFeed feed = m.feed();
        String name = m.name();
        String weightsId = m.weightsId();
        Path target = out != null ? out : Path.of(name + "-" + hw.name() + ".flp");
        Compiler c = new Compiler(shape, new CompileOptions(hw, context, prefillBucket, decodeBucket, shapesOnly));
        Options.noteContextCap(console, "flightllm compile", context, c);
        StorageReport r;
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("compile").setInitialMax(100)
                .setStyle(ProgressBarStyle.ASCII).continuousUpdate()
                .setConsumer(new ConsoleProgressBarConsumer(console.err())).build()) {
            r = c.write(feed, weightsId, target, (phase, done, total) -> {
                bar.setExtraMessage(phase);
                bar.maxHint(total);
                bar.stepTo(done);
            });
        }
        PrintStream o = new PrintStream(console.out(), true, StandardCharsets.UTF_8);
        if (json) {
            ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode n = om.createObjectNode();
            n.put("program", target.toString());
            n.put("target", hw.name());
            n.put("total_instruction_bytes", r.totalInstructionBytes());
            n.put("total_instructions", r.totalInstructions());
            n.set("per_length_instruction_bytes", om.valueToTree(r.perLengthInstructionBytes()));
            n.put("baseline_instruction_bytes", r.baselineBytes());
            n.put("reduction", r.reduction());
            n.put("compile_seconds", r.compileSeconds());
            n.set("buckets", om.valueToTree(r.buckets()));
            n.put("weight_image_bytes", r.weightImageBytes());
            n.put("prefill_chunk_rows", r.prefillChunkRows());
            o.println(om.writeValueAsString(n));
        } else {
            o.printf(Locale.ROOT, "wrote %s for %s: %d buckets, prefill chunks of %d rows%n", target, hw.name(),
                    r.buckets().size(), r.prefillChunkRows());
            o.printf(Locale.ROOT, "weight image: %,d bytes%n", r.weightImageBytes());
            o.printf(Locale.ROOT, "instructions: %,d in %,d bytes (all buckets, all cores)%n", r.totalInstructions(),
                    r.totalInstructionBytes());
            o.printf(Locale.ROOT, "artifact-style unrolled baseline: %,d bytes; reduction %.0fx%n", r.baselineBytes(),
                    r.reduction());
            o.printf(Locale.ROOT, "compile time: %.1f s%n", r.compileSeconds());
        }
        return 0;
    }
}
