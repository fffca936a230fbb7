package io.flightllm.arch.container;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Opens a container and validates its framing before anything is used: header (magic, version, reserved bytes,
 * manifest place and CRC32C), strict JSON manifest, and the payload table (names unique, offsets aligned, in file
 * order, inside the payload area). Payload CRCs are checked by {@link #verifyAll} or per payload by {@link #payload}.
 * The file is memory-mapped in the caller's arena.
 */
public final class ContainerReader {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One entry of the payload table. */
    public record Payload(String name, long offset, long length, long crc32c) {
    }

    private final Path file;
    private final MemorySegment seg;
    private final JsonNode manifest;
    private final int version;
    private final Map<String, Payload> payloads = new LinkedHashMap<>();

    private ContainerReader(Path file, MemorySegment seg, ContainerLayout layout) {
        this.file = file;
        this.seg = seg;
        long size = seg.byteSize();
        if (size < ContainerLayout.HEADER_BYTES) {
            throw ContainerFormatException.field(file, "file size", size + " bytes",
                    "at least " + ContainerLayout.HEADER_BYTES + " (the header)");
        }
        byte[] magic = seg.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE);
        if (!Arrays.equals(magic, layout.magic())) {
            throw ContainerFormatException.field(file, "magic", hex(magic), hex(layout.magic()) + " (\""
                    + layout.magicText() + "\")");
        }
        version = seg.get(I32, 4);
        if (!layout.readableVersions().contains(version)) {
            throw ContainerFormatException.field(file, "format version", Integer.toUnsignedString(version),
                    layout.readableVersions().size() == 1 ? layout.version() + " (the only version this build reads)"
                            : "one of " + layout.readableVersions() + " (the versions this build reads)");
        }
        long manifestOffset = seg.get(I64, 8);
        long manifestLength = seg.get(I64, 16);
        long crc = Integer.toUnsignedLong(seg.get(I32, 24));
        for (int i = 28; i < ContainerLayout.HEADER_BYTES; i++) {
            if (seg.get(ValueLayout.JAVA_BYTE, i) != 0) {
                throw ContainerFormatException.field(file, "header byte " + i, seg.get(ValueLayout.JAVA_BYTE, i),
                        "0 (reserved)");
            }
        }
        if (manifestLength <= 0 || manifestLength > layout.maxManifestBytes()) {
            throw ContainerFormatException.field(file, "manifest length", manifestLength,
                    "in [1, " + layout.maxManifestBytes() + "]");
        }
        if (manifestOffset < ContainerLayout.HEADER_BYTES || manifestOffset % ContainerLayout.ALIGN != 0
                || manifestOffset != size - manifestLength) {
            throw ContainerFormatException.field(file, "manifest offset", manifestOffset, "file size " + size
                    + " - manifest length " + manifestLength + " = " + (size - manifestLength)
                    + ", 64-byte aligned and at least 64 (the file is truncated or padded)");
        }
        byte[] json = seg.asSlice(manifestOffset, manifestLength).toArray(ValueLayout.JAVA_BYTE);
        CRC32C c = new CRC32C();
        c.update(json);
        if (c.getValue() != crc) {
            throw ContainerFormatException.field(file, "manifest crc32c", hex32(c.getValue()),
                    hex32(crc) + " (from the header): the manifest is corrupt");
        }
        try {
            manifest = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(json);
        } catch (JacksonException e) {
            throw new ContainerFormatException(file + ": manifest is not valid JSON (" + e.getOriginalMessage()
                    + "); expected a JSON object", e);
        } catch (IOException e) {
            throw new ContainerFormatException(file + ": cannot parse the manifest: " + e.getMessage(), e);
        }
        if (manifest == null || !manifest.isObject()) {
            throw ContainerFormatException.field(file, "manifest", "not an object", "a JSON object");
        }
        readPayloadTable(manifestOffset);
    }

    /** Maps and validates {@code file} in {@code arena}. */
    public static ContainerReader open(Path file, ContainerLayout layout, Arena arena) {
        if (Files.isDirectory(file)) {
            throw new ContainerFormatException(file + ": is a directory; expected a file");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0)
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new ContainerReader(file, seg, layout);
        } catch (NoSuchFileException e) {
            throw new ContainerFormatException(file + ": file not found");
        } catch (IOException e) {
            throw new ContainerFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private void readPayloadTable(long manifestOffset) {
        JsonNode table = manifest.get("payloads");
        if (table == null || !table.isArray()) {
            throw ContainerFormatException.field(file, "manifest field payloads", table == null ? "missing" : table,
                    "an array of {name, offset, length, crc32c}");
        }
        long end = ContainerLayout.HEADER_BYTES;
        for (int i = 0; i < table.size(); i++) {
            JsonNode e = table.get(i);
            String at = "payloads[" + i + "]";
            String name = text(e, "name", at);
            long offset = number(e, "offset", at);
            long length = number(e, "length", at);
            long crc = number(e, "crc32c", at);
            at += " (" + name + ")";
            if (offset % ContainerLayout.ALIGN != 0) {
                throw ContainerFormatException.field(file, at + " offset", offset, "a multiple of 64");
            }
            if (offset < end) {
                throw ContainerFormatException.field(file, at + " offset", offset, "at least " + end
                        + " (after the header and the previous payload; payloads are listed in file order)");
            }
            if (length > manifestOffset - offset) {
                throw ContainerFormatException.field(file, at + " length", length, "at most "
                        + (manifestOffset - offset) + " (the payload must end before the manifest at "
                        + manifestOffset + ")");
            }
            if (crc > 0xffffffffL) {
                throw ContainerFormatException.field(file, at + " crc32c", crc, "a 32-bit value");
            }
            if (payloads.put(name, new Payload(name, offset, length, crc)) != null) {
                throw ContainerFormatException.field(file, at + " name", name, "a name used once");
            }
            end = offset + length;
        }
    }

    private String text(JsonNode e, String field, String at) {
        JsonNode v = e == null ? null : e.get(field);
        if (v == null || !v.isTextual()) {
            throw ContainerFormatException.field(file, at + "." + field, v == null ? "missing" : v, "a string");
        }
        return v.asText();
    }

    private long number(JsonNode e, String field, String at) {
        JsonNode v = e.get(field);
        if (v == null || !v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0) {
            throw ContainerFormatException.field(file, at + "." + field, v == null ? "missing" : v,
                    "a non-negative integer");
        }
        return v.asLong();
    }

    public Path file() {
        return file;
    }

    public JsonNode manifest() {
        return manifest;
    }

    /** The header's format version (one of the layout's readable versions). */
    public int version() {
        return version;
    }

    /** The whole mapped file, read-only; payload bounds are validated, their CRCs only by {@link #verifyAll}. */
    public MemorySegment fileSegment() {
        return seg.asReadOnly();
    }

    public Map<String, Payload> payloads() {
        return java.util.Collections.unmodifiableMap(payloads);
    }

    /** Checks every payload's CRC32C. */
    public void verifyAll() {
        for (Payload p : payloads.values()) {
            verify(p);
        }
    }

    /** The bytes of payload {@code name}, after checking its CRC32C and, if {@code expectedLength >= 0}, its length. */
    public MemorySegment payload(String name, long expectedLength, String what) {
        Payload p = payloads.get(name);
        if (p == null) {
            throw ContainerFormatException.field(file, what, "a reference to missing payload '" + name + "'",
                    "one of the payload table's names");
        }
        if (expectedLength >= 0 && p.length() != expectedLength) {
            throw ContainerFormatException.field(file, "payload " + name + " length", p.length(),
                    expectedLength + " (from " + what + ")");
        }
        verify(p);
        return seg.asSlice(p.offset(), p.length());
    }

    private void verify(Payload p) {
        CRC32C c = new CRC32C();
        long chunk = 1L << 30; // a ByteBuffer view holds at most 2^31 - 1 bytes
        for (long o = 0; o < p.length(); o += chunk) {
            c.update(seg.asSlice(p.offset() + o, Math.min(chunk, p.length() - o)).asByteBuffer());
        }
        if (c.getValue() != p.crc32c()) {
            throw ContainerFormatException.field(file, "payload " + p.name() + " crc32c", hex32(c.getValue()),
                    hex32(p.crc32c()) + " (from the manifest): the payload is corrupt");
        }
    }

    private static String hex32(long v) {
        return String.format("0x%08x", v);
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x ", x & 0xff));
        }
        return s.toString().trim();
    }
}
