package io.flightllm.cli;

import io.flightllm.model.ModelFormatException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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
        subcommands = {RunCommand.class, InspectCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    /** Exit code of errors in inputs (files, prompts, option values). */
    public static final int EXIT_INPUT = 1;
    /** Exit code of command-line usage errors (picocli's convention). */
    public static final int EXIT_USAGE = 2;

    public static void main(String[] args) {
        redirectStderr();
        System.exit(execute(args));
    }

    /**
     * The launcher starts the JVM with its stderr filtered (to drop the incubator-module warning) and hands the real
     * stderr as another descriptor, so progress output is never held back by the filter.
     */
    private static void redirectStderr() {
        String target = System.getProperty("flightllm.stderr");
        if (target != null && !target.isEmpty()) {
            try {
                System.setErr(new PrintStream(new FileOutputStream(target), true, StandardCharsets.UTF_8));
            } catch (IOException e) {
                // keep the JVM's stderr
            }
        }
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new PrintWriter(System.out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(System.err, true, StandardCharsets.UTF_8));
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("flightllm " + c.getCommandName() + ": " + ex.getMessage());
            c.getErr().println("Try 'flightllm " + c.getCommandName() + " --help'.");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println("flightllm " + c.getCommandName() + ": error: " + describe(ex));
            if ("1".equals(System.getenv("FLIGHTLLM_DEBUG"))) {
                ex.printStackTrace(c.getErr());
            }
            c.getErr().flush();
            return EXIT_INPUT;
        });
        return cl;
    }

    static String describe(Throwable ex) {
        if (ex instanceof ModelFormatException || ex instanceof UserInputException) {
            return ex.getMessage();
        }
        if (ex instanceof UncheckedIOException u) {
            return u.getCause().getMessage();
        }
        if (ex instanceof OutOfMemoryError) {
            return "out of memory (" + ex.getMessage() + "); use a smaller context (--steps) or more -Xmx";
        }
        String m = ex.getMessage();
        return ex.getClass().getSimpleName() + (m == null ? "" : ": " + m)
                + " (an internal error; rerun with FLIGHTLLM_DEBUG=1 for details)";
    }

    /** Thrown for invalid inputs detected by a command (not by picocli's parser). */
    public static final class UserInputException extends RuntimeException {
        public UserInputException(String message) {
            super(message);
        }
    }
}
