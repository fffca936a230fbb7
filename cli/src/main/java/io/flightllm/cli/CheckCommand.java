package io.flightllm.cli;

import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.isa.check.CheckReport;
import io.flightllm.arch.isa.check.ProgramChecker;
import io.flightllm.arch.isa.check.Violation;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flightllm check P.flp} or {@code flightllm check core0.bin ... --target T}: the static checker of
 * docs/isa.md over every bucket (no deadlock for any timing, no access outside a buffer or channel).
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Statically check a .flp's buckets, or raw stream files (one per core), for token deadlocks,",
                "underflows, leftover tokens, barrier mismatches and accesses outside a buffer, channel or memory."})
final class CheckCommand implements Callable<Integer> {
    /** Violations printed per bucket; the rest are counted. */
    static final int SHOWN = 20;

    private final Console console;

    CheckCommand(Console console) {
        this.console = console;
    }

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "a .flp, or raw stream files, one per core")
    List<Path> files;

    @Option(names = "--bucket", paramLabel = "KIND:LEN", description = "of a .flp, only this bucket (e.g. decode:512)")
    String bucket;

    @Option(names = {"-t", "--target"}, paramLabel = "T", defaultValue = HardwareConfigs.DEFAULT,
            description = "raw streams: u280, vhk158 or a hardware config file (default: u280; a .flp names its own)")
    String target;

    @Option(names = "--context", paramLabel = "N", defaultValue = "2048",
            description = "raw streams: pos < N and ctx_len <= N (default 2048)")
    int context;

    @Option(names = "--rows", paramLabel = "R", defaultValue = "128",
            description = "raw streams: n_valid_rows <= R (default 128)")
    int rows;

    @Override
    public Integer call() throws IOException {
        if (context < 1 || rows < 1) {
            throw new Main.UserInputException("--context and --rows must be positive");
        }
        List<StreamSource.Launch> launches = StreamSource.load(files, bucket,
                StreamSource.isFlp(files) ? null : HardwareConfigs.resolve(target), context, rows);
        PrintStream out = new PrintStream(console.out(), true, StandardCharsets.UTF_8);
        int failed = 0;
        for (StreamSource.Launch l : launches) {
            CheckReport r = ProgramChecker.check(l.streams(), l.limits());
            long n = l.streams().cores().stream().mapToLong(List::size).sum();
            if (r.ok()) {
                out.printf(Locale.ROOT, "%s: ok (%d cores, %,d instructions)%n", l.label(), l.streams().coreCount(),
                        n);
                continue;
            }
            failed++;
            out.printf(Locale.ROOT, "%s: %d violation(s)%n", l.label(), r.violations().size());
            for (Violation v : r.violations().subList(0, Math.min(SHOWN, r.violations().size()))) {
                out.println("  " + v);
            }
            if (r.violations().size() > SHOWN) {
                out.printf(Locale.ROOT, "  ... and %d more%n", r.violations().size() - SHOWN);
            }
        }
        if (failed > 0) {
            throw new Main.UserInputException(String.join(" ", files.stream().map(Path::toString).toList()) + ": "
                    + failed + " of " + launches.size() + " launch(es) failed the check");
        }
        return 0;
    }
}
