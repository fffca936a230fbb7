package io.flightllm.arch.container;

/**
 * The framing shared by the project's binary containers (docs/containers.md): a 64-byte header (4-byte magic, u32
 * version, u64 manifest offset, u64 manifest length, u32 manifest CRC32C, zero padding), payloads at 64-byte aligned
 * offsets in file order, and the JSON manifest last; the manifest lists every payload as {name, offset, length,
 * crc32c}. All integers little-endian.
 */
public record ContainerLayout(byte[] magic, int version, long maxManifestBytes) {
    public static final int HEADER_BYTES = 64;
    public static final int ALIGN = 64;

    public ContainerLayout {
        if (magic.length != 4) {
            throw new IllegalArgumentException("magic must be 4 bytes");
        }
        magic = magic.clone();
    }

    @Override
    public byte[] magic() {
        return magic.clone();
    }

    public static long align(long offset) {
        return (offset + ALIGN - 1) / ALIGN * ALIGN;
    }

    String magicText() {
        return new String(magic, java.nio.charset.StandardCharsets.US_ASCII);
    }
}
