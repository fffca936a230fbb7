package io.flightllm.arch.container;

import java.util.List;

/**
 * The framing shared by the project's binary containers (docs/containers.md): a 64-byte header (4-byte magic, u32
 * version, u64 manifest offset, u64 manifest length, u32 manifest CRC32C, zero padding), payloads at 64-byte aligned
 * offsets in file order, and the JSON manifest last; the manifest lists every payload as {name, offset, length,
 * crc32c}. All integers little-endian.
 */
public record ContainerLayout(byte[] magic, int version, long maxManifestBytes, List<Integer> readableVersions) {
    public static final int HEADER_BYTES = 64;
    public static final int ALIGN = 64;

    /**
     * @param version          the version written
     * @param readableVersions the versions a reader accepts (the written one among them)
     */
    public ContainerLayout {
        if (magic.length != 4) {
            throw new IllegalArgumentException("magic must be 4 bytes");
        }
        magic = magic.clone();
        readableVersions = List.copyOf(readableVersions);
        if (!readableVersions.contains(version)) {
            throw new IllegalArgumentException("version " + version + " must be among the readable versions "
                    + readableVersions);
        }
    }

    /** A format that reads only the version it writes. */
    public ContainerLayout(byte[] magic, int version, long maxManifestBytes) {
        this(magic, version, maxManifestBytes, List.of(version));
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
