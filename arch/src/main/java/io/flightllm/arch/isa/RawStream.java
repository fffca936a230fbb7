package io.flightllm.arch.isa;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The raw stream file: one core's instruction words, 32-bit little-endian, back to back, no header. It is the
 * interim exchange format of {@code flightllm asm} and {@code disasm} until the {@code .flp} container exists.
 */
public final class RawStream {
    /** Largest stream file read (words are decoded into records; 256 MiB is far above any program). */
    public static final long MAX_BYTES = 256L << 20;

    private RawStream() {
    }

    public static int[] readWords(Path file) throws IOException {
        long size = Files.size(file);
        if (size % 4 != 0) {
            throw new InstructionException(file + ": " + size + " bytes is not a whole number of 32-bit words");
        }
        if (size > MAX_BYTES) {
            throw new InstructionException(file + ": " + size + " bytes, expected at most " + MAX_BYTES);
        }
        ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int[] w = new int[(int) (size / 4)];
        bb.asIntBuffer().get(w);
        return w;
    }

    /** Reads and decodes a stream; errors name the file, the instruction, the word and the field. */
    public static List<Instruction> read(Path file) throws IOException {
        int[] w = readWords(file);
        try {
            return Isa.decode(w);
        } catch (InstructionException e) {
            throw new InstructionException(file + ": " + e.getMessage());
        }
    }

    /** Encodes and writes a stream (to a temporary file, then renamed over {@code file}). */
    public static void write(Path file, List<? extends Instruction> stream) throws IOException {
        int[] w = Isa.encode(stream);
        ByteBuffer bb = ByteBuffer.allocate(w.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asIntBuffer().put(w);
        Path abs = file.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, bb.array());
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
