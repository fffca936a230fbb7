package io.flightllm.cli;

import io.flightllm.arch.isa.Asm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flightllm disasm core0.bin [core1.bin ...]} or {@code flightllm disasm P.flp [--bucket decode:512]}: raw
 * stream files or a program's buckets to ISA text.
 */
@Command(name = "disasm", mixinStandardHelpOptions = true,
        description = "Disassemble a .flp's buckets, or raw stream files (one per core, in core order), into ISA text "
                + "(docs/isa.md).")
final class DisasmCommand implements Callable<Integer> {
    private final Console console;

    DisasmCommand(Console console) {
        this.console = console;
    }

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "a .flp, or raw stream files (32-bit "
            + "little-endian words), one per core")
    List<Path> files;

    @Option(names = "--offsets", description = "end each line with a comment giving the instruction's first word")
    boolean offsets;

    @Option(names = "--bucket", paramLabel = "KIND:LEN", description = "of a .flp, only this bucket (e.g. "
            + "decode:512, prefill:128); its text assembles back with flightllm asm")
    String bucket;

    @Override
    public Integer call() throws IOException {
        List<StreamSource.Launch> launches = StreamSource.load(files, bucket, null, 0, 0);
        StringBuilder text = new StringBuilder();
        for (StreamSource.Launch l : launches) {
            if (StreamSource.isFlp(files) && launches.size() > 1) {
                text.append("# bucket ").append(l.label()).append('\n');
            }
            text.append(Asm.format(l.streams(), offsets));
        }
        try {
            console.out().write(text.toString().getBytes(StandardCharsets.UTF_8));
            console.out().flush();
        } catch (IOException e) {
            if ("Broken pipe".equals(e.getMessage())) {
                return 0; // the reader (e.g. head) stopped reading: not an error
            }
            throw e;
        }
        return 0;
    }
}
