package io.flightllm.arch.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ContainerTest {
    private static final ContainerLayout LAYOUT = new ContainerLayout("TST1".getBytes(StandardCharsets.US_ASCII), 3,
            1 << 20);

    private static Path write(Path dir) {
        Path f = dir.resolve("x.tst");
        try (ContainerWriter w = ContainerWriter.create(LAYOUT, f)) {
            w.payload("a", new byte[]{1, 2, 3});
            w.words("b", new int[]{7, -1});
            w.floats("c", new float[]{1.5f, -0.0f, Float.NaN});
            ObjectNode m = new ObjectMapper().createObjectNode().put("hello", "world");
            w.finish(m);
        }
        return f;
    }

    @Test
    void roundTripKeepsPayloadsAlignedAndChecked(@TempDir Path dir) {
        Path f = write(dir);
        try (Arena arena = Arena.ofConfined()) {
            ContainerReader r = ContainerReader.open(f, LAYOUT, arena);
            r.verifyAll();
            assertThat(r.manifest().get("hello").asText()).isEqualTo("world");
            assertThat(r.payload("a", 3, "test").toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 2, 3);
            var b = r.payload("b", 8, "test").asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
            assertThat(b.get(0)).isEqualTo(7);
            assertThat(b.get(1)).isEqualTo(-1);
            var c = r.payload("c", 12, "test").asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            assertThat(Float.floatToRawIntBits(c.get(1))).isEqualTo(Float.floatToRawIntBits(-0.0f));
            assertThat(c.get(0)).isEqualTo(1.5f);
            assertThat(c.get(2)).isNaN();
            assertThat(r.payloads().values()).allMatch(p -> p.offset() % 64 == 0);
        }
    }

    @Test
    void theFinishedFileIsReadableByAllAndNoTemporaryFileIsLeft(@TempDir Path dir) throws IOException {
        Path f = write(dir);
        if (f.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                    .isEqualTo("rw-r--r--");
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("x.tst");
        }
    }

    @Test
    void aFlippedPayloadByteIsCaughtByItsCrc(@TempDir Path dir) throws IOException {
        Path f = write(dir);
        byte[] bytes = Files.readAllBytes(f);
        bytes[64] ^= 1; // the first payload starts right after the header
        Files.write(f, bytes);
        try (Arena arena = Arena.ofConfined()) {
            ContainerReader r = ContainerReader.open(f, LAYOUT, arena);
            assertThatThrownBy(r::verifyAll).isInstanceOf(ContainerFormatException.class)
                    .hasMessageContaining("payload a crc32c");
        }
    }

    @Test
    void truncationWrongVersionAndLyingManifestsAreRefused(@TempDir Path dir) throws IOException {
        Path f = write(dir);
        byte[] good = Files.readAllBytes(f);

        assertRefused(dir, Arrays.copyOf(good, good.length - 5), "manifest offset");
        assertRefused(dir, Arrays.copyOf(good, 10), "file size");
        byte[] v = good.clone();
        ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 4);
        assertRefused(dir, v, "format version is 4; expected 3");
        byte[] magic = good.clone();
        magic[0] = 'X';
        assertRefused(dir, magic, "magic");
        byte[] reserved = good.clone();
        reserved[40] = 1;
        assertRefused(dir, reserved, "header byte 40");
        // a manifest that lies about a payload length (CRC of the manifest recomputed so only the lie is left)
        String text = new String(good, StandardCharsets.UTF_8);
        int at = text.indexOf("\"length\":3");
        assertThat(at).isPositive();
        byte[] lie = good.clone();
        lie[at + 9] = '9';
        fixManifestCrc(lie);
        try (Arena arena = Arena.ofConfined()) {
            Path g = dir.resolve("lie.tst");
            Files.write(g, lie);
            ContainerReader r = ContainerReader.open(g, LAYOUT, arena);
            assertThatThrownBy(() -> r.payload("a", 3, "the test's shape")).hasMessageContaining("payload a length is 9");
        }
    }

    @Test
    void anUnfinishedWriteLeavesNothingBehind(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("never.tst");
        try (ContainerWriter w = ContainerWriter.create(LAYOUT, f)) {
            w.payload("a", new byte[100]);
        }
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    private static void fixManifestCrc(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int off = (int) b.getLong(8);
        int len = (int) b.getLong(16);
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(file, off, len);
        b.putInt(24, (int) c.getValue());
    }

    private static void assertRefused(Path dir, byte[] content, String fragment) throws IOException {
        Path g = dir.resolve("bad.tst");
        Files.write(g, content);
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> ContainerReader.open(g, LAYOUT, arena).verifyAll())
                    .isInstanceOf(ContainerFormatException.class).hasMessageContaining(g.toString())
                    .hasMessageContaining(fragment);
        }
    }
}
