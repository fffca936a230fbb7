package io.flightllm.model.loader;

import io.flightllm.model.ModelFormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only memory mapping of a whole file with bounds-checked little-endian reads. Every read that would leave the
 * file throws a {@link ModelFormatException} naming the file and the field, so hostile files fail cleanly.
 */
public final class MappedFile {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final MemorySegment segment;

    private MappedFile(Path path, MemorySegment segment) {
        this.path = path;
        this.segment = segment;
    }

    /** Maps {@code path} into {@code arena} (which owns the mapping). */
    public static MappedFile map(Path path, Arena arena) {
        if (Files.isDirectory(path)) {
            throw new ModelFormatException(path + ": is a directory; expected a file");
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0)
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new MappedFile(path, seg);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(path + ": file not found");
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    public MemorySegment segment() {
        return segment;
    }

    public long size() {
        return segment.byteSize();
    }

    private void need(long offset, long bytes, String field) {
        if (offset < 0 || bytes < 0 || offset > size() - bytes) {
            throw new ModelFormatException(path + ": " + field + " at offset " + offset + " (" + bytes
                    + " bytes) is past the end of the file (" + size() + " bytes); the file is truncated or corrupt");
        }
    }

    public int i32(long offset, String field) {
        need(offset, 4, field);
        return segment.get(I32, offset);
    }

    public long i64(long offset, String field) {
        need(offset, 8, field);
        return segment.get(I64, offset);
    }

    public short i16(long offset, String field) {
        need(offset, 2, field);
        return segment.get(I16, offset);
    }

    public byte i8(long offset, String field) {
        need(offset, 1, field);
        return segment.get(ValueLayout.JAVA_BYTE, offset);
    }

    public float f32(long offset, String field) {
        need(offset, 4, field);
        return segment.get(F32, offset);
    }

    public double f64(long offset, String field) {
        need(offset, 8, field);
        return segment.get(F64, offset);
    }

    public byte[] bytes(long offset, int length, String field) {
        need(offset, length, field);
        byte[] out = new byte[length];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, out, 0, length);
        return out;
    }

    public String utf8(long offset, int length, String field) {
        return new String(bytes(offset, length, field), StandardCharsets.UTF_8);
    }

    /** A bounds-checked view of {@code bytes} bytes at {@code offset}. */
    public MemorySegment slice(long offset, long bytes, String field) {
        need(offset, bytes, field);
        return segment.asSlice(offset, bytes);
    }
}
