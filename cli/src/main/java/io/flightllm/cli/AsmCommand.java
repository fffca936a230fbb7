package io.flightllm.cli;

import io.flightllm.arch.isa.Asm;
import io.flightllm.arch.isa.CoreStreams;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.InstructionException;
import io.flightllm.arch.isa.RawStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flightllm asm TEXT -o core0.bin [-o core1.bin ...]}: ISA text to raw stream files (docs/isa.md). */
@Command(name = "asm", mixinStandardHelpOptions = true,
        description = "Assemble ISA text (docs/isa.md) into raw stream files, one per core.")
final class AsmCommand implements Callable<Integer> {
    /** Largest text file read. */
    static final long MAX_TEXT_BYTES = 256L << 20;

    private final Console console;

    AsmCommand(Console console) {
        this.console = console;
    }

    @Parameters(index = "0", paramLabel = "TEXT", description = "assembler text (.core N sections for several cores)")
    Path input;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE",
            description = "raw stream file (32-bit little-endian words); one per core, in core order")
    List<Path> out;

    @Override
    public Integer call() throws IOException {
        CoreStreams p;
        try {
            p = Asm.parse(readText(input), input.toString());
        } catch (InstructionException e) {
            throw new Main.UserInputException(e.getMessage());
        }
        if (p.coreCount() != out.size()) {
            throw new Main.UserInputException(input + ": " + p.coreCount() + " core stream(s), but " + out.size()
                    + " -o file(s); expected one -o per core");
        }
        for (int c = 0; c < out.size(); c++) {
            Path f = out.get(c);
            Path parent = f.toAbsolutePath().getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                throw new Main.UserInputException(f + ": the output directory does not exist");
            }
            RawStream.write(f, p.core(c));
            console.err().printf(Locale.ROOT, "core %d: %d instructions, %d words -> %s%n", c, p.core(c).size(),
                    Isa.encode(p.core(c)).length, f);
        }
        return 0;
    }

    /** The file as UTF-8 text; errors name the file. */
    static String readText(Path file) throws IOException {
        try {
            long size = Files.size(file);
            if (size > MAX_TEXT_BYTES) {
                throw new Main.UserInputException(file + ": " + size + " bytes, expected at most " + MAX_TEXT_BYTES);
            }
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (NoSuchFileException e) {
            throw new Main.UserInputException(file + ": not found");
        } catch (CharacterCodingException e) {
            throw new Main.UserInputException(file + ": not UTF-8 text");
        }
    }
}
