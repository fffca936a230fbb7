package io.flightllm.cli;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.isa.CoreStreams;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.InstructionException;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.RawStream;
import io.flightllm.arch.isa.check.Limits;
import io.flightllm.arch.program.Bucket;
import io.flightllm.arch.program.FlpReader;
import io.flightllm.arch.program.Program;
import io.flightllm.arch.program.Region;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The instruction streams {@code disasm} and {@code check} work on: every bucket of a {@code .flp} (with the limits
 * of its target and ABI), or raw stream files, one per core (limits only when a target is given).
 */
final class StreamSource {
    /** One launch's streams; {@code limits} is null when unknown. */
    record Launch(String label, CoreStreams streams, Limits limits) {
    }

    private StreamSource() {
    }

    static boolean isFlp(List<Path> files) {
        return files.size() == 1 && files.getFirst().getFileName().toString().toLowerCase(Locale.ROOT)
                .endsWith(".flp");
    }

    /**
     * The launches of the files: a single {@code .flp} gives its buckets ({@code bucket} "decode:512" or
     * "prefill:128" selects one, null all); otherwise every file is one core's raw stream, checked against
     * {@code target} (null: no limits) with contexts up to {@code maxContext} and up to {@code rows} rows.
     */
    static List<Launch> load(List<Path> files, String bucket, HardwareConfig target, int maxContext, int rows)
            throws IOException {
        if (isFlp(files)) {
            return flp(files.getFirst(), bucket);
        }
        if (bucket != null) {
            throw new Main.UserInputException("--bucket selects a bucket of a .flp; " + files + " are raw streams");
        }
        for (Path f : files) {
            if (f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".flp")) {
                throw new Main.UserInputException(f + ": a .flp is read alone, not with other files");
            }
        }
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
        // Raw streams carry no DDR size: DDR accesses are bounded by the 32-bit address only.
        Limits limits = target == null ? null
                : Limits.of(target, 1L << 32, Limits.ranges(maxContext, rows));
        return List.of(new Launch("raw streams", new CoreStreams(cores), limits));
    }

    private static List<Launch> flp(Path file, String bucket) {
        List<Launch> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            FlpReader r = open(file, arena);
            Program p = r.program();
            long ddr = 0;
            for (Region reg : p.regions()) {
                if (reg.mem().equals(Mem.DDR.name())) {
                    ddr = Math.max(ddr, reg.address() + reg.bytes());
                }
            }
            if (p.ddrImage() != null) {
                ddr = Math.max(ddr, r.payload(p.ddrImage()).byteSize());
            }
            for (Bucket b : p.buckets()) {
                String label = b.kind().name().toLowerCase(Locale.ROOT) + ":" + b.length();
                if (bucket != null && !bucket.equalsIgnoreCase(label)) {
                    continue;
                }
                List<List<Instruction>> cores = new ArrayList<>();
                for (Bucket.Stream s : b.streams()) {
                    try {
                        cores.add(Isa.decode(r.words(s)));
                    } catch (InstructionException e) {
                        throw new Main.UserInputException(file + ": bucket " + label + " core " + s.core() + ": "
                                + e.getMessage());
                    }
                }
                int rows = b.kind() == Bucket.Kind.DECODE ? 1 : b.length();
                Limits limits = Limits.of(p.target(), ddr, Limits.ranges(p.model().maxContext(), rows));
                out.add(new Launch(label, new CoreStreams(cores), limits));
            }
            if (out.isEmpty()) {
                throw new Main.UserInputException(file + ": no bucket " + bucket + " (buckets: " + String.join(", ",
                        p.buckets().stream().map(b -> b.kind().name().toLowerCase(Locale.ROOT) + ":" + b.length())
                                .toList()) + ")");
            }
        }
        return out;
    }

    private static FlpReader open(Path file, Arena arena) {
        if (!java.nio.file.Files.exists(file)) {
            throw new Main.UserInputException(file + ": not found");
        }
        return FlpReader.open(file, arena);
    }
}
