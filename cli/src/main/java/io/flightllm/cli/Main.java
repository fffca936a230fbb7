package io.flightllm.cli;

import io.flightllm.model.ModelFormatException;
import io.flightllm.runtime.InputException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code flightllm} command. Errors the user can fix (bad files, bad options) print one line naming the file or
 * field and exit non-zero; stack traces appear only with FLIGHTLLM_DEBUG=1.
 */
@Command(name = "flightllm", mixinStandardHelpOptions = true, version = "flightllm 0.1.0",
        description = "FlightLLM-J: LLaMA-family inference, compression and FPGA accelerator flow.",
        subcommands = {RunCommand.class, CompressCommand.class, EvalCommand.class, InspectCommand.class,
                BenchCommand.class, CompileCommand.class, ServeCommand.class, AsmCommand.class,
                DisasmCommand.class, CheckCommand.class, ChatCommand.class,
                RtlCommand.class, SimulateCommand.class, SweepCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    /** Exit code of errors in inputs (files, prompts, option values). */
    public static final int EXIT_INPUT = 1;
    /** Exit code of command-line usage errors (picocli's convention). */
    public static final int EXIT_USAGE = 2;

    public static void main(String[] args) {
        StderrFix.apply();
        System.exit(execute(args));
    }

    /** Runs the command line on the process's stdout and stderr; returns the exit code. */
    public static int execute(String... args) {
        return execute(Console.system(), args);
    }

    /** Runs the command line writing to {@code console} (tests pass in-memory streams); returns the exit code. */
    static int execute(Console console, String... args) {
        try {
            return commandLine(console).execute(args);
        } catch (OutOfMemoryError e) { // picocli passes Errors through; the stack has unwound, writers have cleaned up
            console.err().println("flightllm: error: " + describe(e));
            console.err().flush();
            return EXIT_INPUT;
        }
    }

    static CommandLine commandLine(Console console) {
        CommandLine cl = new CommandLine(new Main(), new ConsoleFactory(console));
        cl.setOut(new PrintWriter(new OutputStreamWriter(console.out(), StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(console.err(), StandardCharsets.UTF_8), true));
        // Errors are exactly one line (scripts and tests rely on it), naming the option, file or field.
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            String name = c.getCommandSpec().qualifiedName();
            c.getErr().println(name + ": " + oneLine(ex.getMessage()) + " (see '" + name + " --help')");
            c.getErr().flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println(c.getCommandSpec().qualifiedName() + ": error: " + oneLine(describe(ex)));
            if ("1".equals(System.getenv("FLIGHTLLM_DEBUG"))) {
                ex.printStackTrace(c.getErr());
            }
            c.getErr().flush();
            return EXIT_INPUT;
        });
        return cl;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }

    /** Creates commands with a {@code (Console)} constructor on the given console, others as picocli does. */
    private record ConsoleFactory(Console console) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                return cls.getDeclaredConstructor(Console.class).newInstance(console);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(cls);
            }
        }
    }

    static String describe(Throwable ex) {
        if (ex instanceof ModelFormatException || ex instanceof InputException
                || ex instanceof io.flightllm.compiler.CompileException
                || ex instanceof io.flightllm.arch.hw.HardwareConfigException
                || ex instanceof io.flightllm.arch.container.ContainerFormatException
                || ex instanceof io.flightllm.sim.timing.TimingException) {
            return ex.getMessage();
        }
        if (ex instanceof UncheckedIOException u) {
            return u.getCause().getMessage();
        }
        if (ex instanceof OutOfMemoryError) {
            return "out of memory (" + ex.getMessage() + "); use a smaller context (--context, --steps) or a larger "
                    + "heap (FLIGHTLLM_JAVA_OPTS=-Xmx16g; the default is a quarter of the RAM)";
        }
        String m = ex.getMessage();
        return ex.getClass().getSimpleName() + (m == null ? "" : ": " + m)
                + " (an internal error; rerun with FLIGHTLLM_DEBUG=1 for details)";
    }

    /** Thrown for invalid inputs detected by a command (not by picocli's parser). */
    public static final class UserInputException extends InputException {
        public UserInputException(String message) {
            super(message);
        }
    }
}
