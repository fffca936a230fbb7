package io.flightllm.model.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file from metadata and tensor payloads (format only; {@link GgufWriter} decides what a model
 * becomes). The file is written to a temporary file in the target directory and renamed over the target atomically,
 * so readers never see a half-written file.
 */
public final class GgufFileWriter {
    /** Writes exactly the declared number of bytes of one tensor. */
    @FunctionalInterface
    public interface Payload {
        void write(FileChannel out) throws IOException;
    }

    private record Entry(String name, long[] ne, int ggmlType, long bytes, Payload payload) {
    }

    private final int alignment;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();

    public GgufFileWriter(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        }
        this.alignment = alignment;
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) {
            metadata.put(GgufFile.ALIGNMENT_KEY, GgufValue.u32(alignment));
        }
    }

    public GgufFileWriter put(String key, GgufValue value) {
        if (metadata.putIfAbsent(key, value) != null) {
            throw new IllegalArgumentException("duplicate metadata key " + key);
        }
        return this;
    }

    public GgufFileWriter putAll(Map<String, GgufValue> values) {
        values.forEach(this::put);
        return this;
    }

    /** Adds a tensor; {@code ne[0]} is the row length; {@code bytes} is what {@code payload} writes. */
    public GgufFileWriter tensor(String name, long[] ne, int ggmlType, long bytes, Payload payload) {
        tensors.add(new Entry(name, ne.clone(), ggmlType, bytes, payload));
        return this;
    }

    public void write(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, target.getFileName().toString() + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(header()));
                long dataStart = ch.position();
                for (Entry e : tensors) {
                    pad(ch, dataStart);
                    long before = ch.position();
                    e.payload().write(ch);
                    if (ch.position() - before != e.bytes()) {
                        throw new IllegalStateException(e.name() + ": wrote " + (ch.position() - before)
                                + " bytes, declared " + e.bytes());
                    }
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one to report
                }
            }
        }
    }

    /** Zero bytes up to the next multiple of the alignment after {@code origin} (the data section's start). */
    private void pad(FileChannel ch, long origin) throws IOException {
        long rel = ch.position() - origin;
        long padding = GgufFile.align(rel, alignment) - rel;
        ch.write(ByteBuffer.allocate((int) padding));
    }

    /** Header, metadata and tensor infos, padded to the alignment. */
    private byte[] header() {
        Out o = new Out();
        o.u32(GgufFile.MAGIC);
        o.u32(3);
        o.u64(tensors.size());
        o.u64(metadata.size());
        metadata.forEach((k, v) -> {
            o.string(k.getBytes(StandardCharsets.UTF_8));
            o.u32(v.type().id());
            o.value(v);
        });
        long offset = 0;
        for (Entry e : tensors) {
            offset = GgufFile.align(offset, alignment);
            o.string(e.name().getBytes(StandardCharsets.UTF_8));
            o.u32(e.ne().length);
            for (long d : e.ne()) {
                o.u64(d);
            }
            o.u32(e.ggmlType());
            o.u64(offset);
            offset += e.bytes();
        }
        while (o.size() % alignment != 0) {
            o.write(0);
        }
        return o.toByteArray();
    }

    /** Little-endian encoder of GGUF values. */
    private static final class Out extends ByteArrayOutputStream {
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void u32(long v) {
            scratch.clear();
            scratch.putInt((int) v);
            write(scratch.array(), 0, 4);
        }

        void u64(long v) {
            scratch.clear();
            scratch.putLong(v);
            write(scratch.array(), 0, 8);
        }

        void u16(long v) {
            scratch.clear();
            scratch.putShort((short) v);
            write(scratch.array(), 0, 2);
        }

        void string(byte[] bytes) {
            u64(bytes.length);
            writeBytes(bytes);
        }

        void value(GgufValue v) {
            switch (v) {
                case GgufValue.Int i -> {
                    switch (i.type().fixedBytes()) {
                        case 1 -> write((int) i.value());
                        case 2 -> u16(i.value());
                        case 4 -> u32(i.value());
                        default -> u64(i.value());
                    }
                }
                case GgufValue.F32 f -> u32(Float.floatToRawIntBits(f.value()));
                case GgufValue.F64 f -> u64(Double.doubleToRawLongBits(f.value()));
                case GgufValue.Bool b -> write(b.value() ? 1 : 0);
                case GgufValue.Str s -> string(s.bytes());
                case GgufArray a -> {
                    u32(a.elementType().id());
                    u64(a.size());
                    for (int i = 0; i < a.size(); i++) {
                        value(a.get(i));
                    }
                }
            }
        }
    }
}
