package io.flightllm.arch.program;

import io.flightllm.arch.container.ContainerFormatException;
import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FlpFileTest {
    private static final ModelAbi MODEL = new ModelAbi("LLAMA", 64, 172, 5, 8, 4, 8, 16, 512, 512,
            Float.floatToIntBits(1e-5f), Float.floatToIntBits(10000f), "w8", "abc");

    static Path write(Path dir, HardwareConfig hw, List<Region> regions) {
        Path f = dir.resolve("p.flp");
        try (FlpWriter w = FlpWriter.create(f)) {
            List<Bucket.Stream> streams = new ArrayList<>();
            for (int c = 0; c < hw.cores(); c++) {
                streams.add(w.stream(Bucket.Kind.DECODE, 16, c, new int[]{c, 0xF0000000, 7}, 2));
            }
            String ch0 = w.channel(0, ByteBuffer.wrap(new byte[]{1, 2, 3, 4}));
            String ddr = w.ddr(ByteBuffer.allocate(12));
            String dens = w.densities("layers.0.wq", new byte[]{16, 8});
            w.finish(new Program(hw, MODEL, new ProgramOptions(128, 16, "last", false), regions,
                    List.of(new Bucket(Bucket.Kind.DECODE, 16, streams)), Map.of(0, ch0), ddr,
                    Map.of("layers.0.wq", dens)));
        }
        return f;
    }

    @Test
    void roundTrip(@TempDir Path dir) {
        HardwareConfig hw = HardwareConfigs.preset("u280");
        Region logits = new Region("logits", -1, "HBM", 0, 4096, 2048, "f32", new long[]{512});
        Path f = write(dir, hw, List.of(logits));
        try (Arena arena = Arena.ofConfined()) {
            FlpReader r = FlpReader.open(f, arena);
            Program p = r.program();
            assertThat(p.target()).isEqualTo(hw);
            assertThat(p.model()).isEqualTo(MODEL);
            assertThat(p.region("logits", -1)).isEqualTo(logits);
            Bucket b = p.bucketFor(Bucket.Kind.DECODE, 9);
            assertThat(r.words(b.streams().get(2))).containsExactly(2, 0xF0000000, 7);
            assertThat(r.payload(p.weightImage().get(0)).byteSize()).isEqualTo(4);
            assertThatThrownBy(() -> p.bucketFor(Bucket.Kind.DECODE, 17)).hasMessageContaining("largest is 16");
        }
    }

    @Test
    void aRegionOutsideItsChannelIsRefused(@TempDir Path dir) {
        HardwareConfig hw = HardwareConfigs.preset("u280");
        Region bad = new Region("kv", 0, "HBM", 3, hw.hbm().channelBytes() - 10, 64, "i8", new long[]{64});
        Path f = write(dir, hw, List.of(bad));
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> FlpReader.open(f, arena)).isInstanceOf(ContainerFormatException.class)
                    .hasMessageContaining("region kv (core 0) address");
        }
    }

    @Test
    void aProgramForAnotherCoreCountOrWithABadTargetIsRefused(@TempDir Path dir) throws IOException {
        HardwareConfig hw = HardwareConfigs.preset("u280");
        Path f = write(dir, hw, List.of());
        // the manifest says 3 cores; make the target claim 4 with the CRC fixed up, so only the lie remains
        String text = Files.readString(f, StandardCharsets.ISO_8859_1);
        String lied = text.replaceFirst("\"cores\":3", "\"cores\":4");
        assertThat(lied).isNotEqualTo(text);
        Files.writeString(f, lied, StandardCharsets.ISO_8859_1);
        fixManifestCrc(f);
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> FlpReader.open(f, arena)).hasMessageContaining("streams is 3; expected 4");
        }
        Files.writeString(f, text.replaceFirst("\"cores\":3", "\"cores\":0"), StandardCharsets.ISO_8859_1);
        fixManifestCrc(f);
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> FlpReader.open(f, arena)).hasMessageContaining("field target")
                    .hasMessageContaining("cores = 0");
        }
    }

    private static void fixManifestCrc(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        ByteBuffer h = ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int off = (int) h.getLong(8);
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(b, off, b.length - off);
        h.putLong(16, b.length - off);
        h.putInt(24, (int) c.getValue());
        Files.write(f, b);
    }
}
