package io.flightllm.arch.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Streams payloads into a temporary file beside the target, then writes the manifest and the header and renames the
 * file over the target. Until {@link #finish} succeeds the target is untouched; {@link #close} removes the temporary
 * file of an unfinished write.
 */
public final class ContainerWriter implements AutoCloseable {
    private final ContainerLayout layout;
    private final Path target;
    private final Path temp;
    private final FileChannel ch;
    private final ArrayNode payloads;
    private final Set<String> names = new LinkedHashSet<>();
    private final ObjectMapper json = new ObjectMapper();
    private long position = ContainerLayout.HEADER_BYTES;
    private boolean committed;

    private ContainerWriter(ContainerLayout layout, Path target) throws IOException {
        this.layout = layout;
        this.target = target.toAbsolutePath();
        this.temp = Files.createTempFile(this.target.getParent(), "." + this.target.getFileName() + ".", ".tmp");
        this.ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        this.payloads = json.createArrayNode();
        ch.position(ContainerLayout.HEADER_BYTES);
    }

    public static ContainerWriter create(ContainerLayout layout, Path target) {
        try {
            return new ContainerWriter(layout, target);
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot create a temporary file beside it: " + e.getMessage(), e);
        }
    }

    /** One payload from consecutive buffers (each consumed); returns its name. */
    public String payload(String name, ByteBuffer... parts) {
        if (!names.add(name)) {
            throw new IllegalArgumentException("payload '" + name + "' written twice");
        }
        long offset = ContainerLayout.align(position);
        pad(offset);
        CRC32C crc = new CRC32C();
        long length = 0;
        for (ByteBuffer p : parts) {
            length += p.remaining();
            crc.update(p.duplicate());
            write(p);
        }
        ObjectNode e = payloads.addObject();
        e.put("name", name).put("offset", offset).put("length", length).put("crc32c", crc.getValue());
        return name;
    }

    /** One payload of bytes. */
    public String payload(String name, byte[] bytes) {
        return payload(name, ByteBuffer.wrap(bytes));
    }

    /** One payload of little-endian FP32 values, written in chunks so a large array is never copied whole. */
    public String floats(String name, float[] values) {
        if (!names.add(name)) {
            throw new IllegalArgumentException("payload '" + name + "' written twice");
        }
        long offset = ContainerLayout.align(position);
        pad(offset);
        CRC32C crc = new CRC32C();
        int chunk = 1 << 20;
        for (int i = 0; i < values.length; i += chunk) {
            int n = Math.min(chunk, values.length - i);
            ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values, i, n);
            crc.update(b.duplicate());
            write(b);
        }
        ObjectNode e = payloads.addObject();
        e.put("name", name).put("offset", offset).put("length", 4L * values.length).put("crc32c", crc.getValue());
        return name;
    }

    /** One payload of little-endian 32-bit words. */
    public String words(String name, int[] words) {
        ByteBuffer b = ByteBuffer.allocate(4 * words.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(words);
        return payload(name, b);
    }

    /**
     * Writes {@code manifest} (plus the payload table under "payloads", which replaces any "payloads" entry in place) and
     * the header, and commits the file.
     */
    public void finish(ObjectNode manifest) {
        try {
            manifest.set("payloads", payloads);
            byte[] text = json.writeValueAsBytes(manifest);
            if (text.length > layout.maxManifestBytes()) {
                throw new IllegalStateException("manifest of " + text.length + " bytes exceeds the format's limit of "
                        + layout.maxManifestBytes());
            }
            long manifestOffset = ContainerLayout.align(position);
            pad(manifestOffset);
            write(ByteBuffer.wrap(text));
            CRC32C crc = new CRC32C();
            crc.update(text);
            ByteBuffer h = ByteBuffer.allocate(ContainerLayout.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            h.put(layout.magic()).putInt(layout.version()).putLong(manifestOffset).putLong(text.length)
                    .putInt((int) crc.getValue());
            h.position(0);
            ch.position(0);
            while (h.hasRemaining()) {
                ch.write(h);
            }
            ch.force(true);
            ch.close();
            readableByAll(temp);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            committed = true;
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** A temporary file is created owner-only; the finished file gets the usual rw-r--r-- where POSIX allows. */
    private static void readableByAll(Path file) throws IOException {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private void pad(long to) {
        if (to > position) {
            write(ByteBuffer.allocate((int) (to - position)));
        }
    }

    private void write(ByteBuffer b) {
        try {
            while (b.hasRemaining()) {
                position += ch.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(temp + ": cannot write: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (committed) {
            return;
        }
        try {
            ch.close();
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            throw new UncheckedIOException(temp + ": cannot delete the unfinished file: " + e.getMessage(), e);
        }
    }
}
