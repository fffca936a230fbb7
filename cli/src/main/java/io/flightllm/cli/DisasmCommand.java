package io.flightllm.cli;

import io.flightllm.arch.isa.Asm;
import io.flightllm.arch.isa.CoreStreams;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.InstructionException;
import io.flightllm.arch.isa.RawStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flightllm disasm core0.bin [core1.bin ...]}: raw stream files to ISA text. The streams are loaded by
 * {@link #load}, the one place a {@code .flp} reader will plug in.
 */
@Command(name = "disasm", mixinStandardHelpOptions = true,
        description = "Disassemble raw stream files (one per core, in core order) into ISA text (docs/isa.md).")
final class DisasmCommand implements Callable<Integer> {
    private final Console console;

    DisasmCommand(Console console) {
        this.console = console;
    }

    @Parameters(arity = "1..*", paramLabel = "STREAM", description = "raw stream file: 32-bit little-endian words")
    List<Path> files;

    @Option(names = "--offsets", description = "end each line with a comment giving the instruction's first word")
    boolean offsets;

    @Override
    public Integer call() throws IOException {
        String text = Asm.format(load(files), offsets);
        console.out().write(text.getBytes(StandardCharsets.UTF_8));
        console.out().flush();
        return 0;
    }

    /** The per-core streams of the given files; errors name the file, the instruction, the word and the field. */
    static CoreStreams load(List<Path> files) throws IOException {
        List<List<Instruction>> cores = new ArrayList<>();
        for (Path f : files) {
            try {
                cores.add(RawStream.read(f));
            } catch (NoSuchFileException e) {
                throw new Main.UserInputException(f + ": not found");
            } catch (InstructionException e) {
                throw new Main.UserInputException(e.getMessage());
            }
        }
        return new CoreStreams(cores);
    }
}
