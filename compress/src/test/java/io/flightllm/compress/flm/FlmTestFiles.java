package io.flightllm.compress.flm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.IndexChoice;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.RandomWeightSource;
import io.flightllm.model.ModelConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.assertj.core.api.Assertions;

/** Builds small .flm files and deliberately broken copies of them (re-signed where the test wants a lying file). */
public final class FlmTestFiles {
    /** A tiny GQA shape with 8-wide heads (padded to 16). */
    public static final ModelConfig TINY = ModelConfig.llama(32, 48, 2, 4, 2, 64, 32, false);

    private FlmTestFiles() {
    }

    public static CompressedModel tinyModel(String profile) {
        return tinyModel(profile, IndexChoice.AUTO);
    }

    public static CompressedModel tinyModel(String profile, IndexChoice index) {
        return new ModelCompressor(CompressionProfile.named(profile).withIndex(index),
                LinearCompressor.roundToNearest(), "rtn")
                .toModel(new RandomWeightSource(TINY, 5), null, (l, k, d, t) -> { });
    }

    public static ObjectNode manifest(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int off = (int) h.getLong(8);
        int len = (int) h.getLong(16);
        return (ObjectNode) new ObjectMapper().readTree(b, off, len);
    }

    public static byte[] manifestBytes(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int off = (int) h.getLong(8);
        return java.util.Arrays.copyOfRange(b, off, off + (int) h.getLong(16));
    }

    /** Replaces the manifest with {@code json} and fixes the header's length and CRC. */
    public static void replaceManifest(Path file, byte[] json) throws IOException {
        byte[] b = Files.readAllBytes(file);
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int off = (int) h.getLong(8);
        byte[] out = new byte[off + json.length];
        System.arraycopy(b, 0, out, 0, off);
        System.arraycopy(json, 0, out, off, json.length);
        CRC32C crc = new CRC32C();
        crc.update(json);
        ByteBuffer o = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        o.putLong(16, json.length);
        o.putInt(24, (int) crc.getValue());
        Files.write(file, out);
    }

    /** Edits the manifest as JSON and re-signs it, so only the lie itself can be detected. */
    public static void editManifest(Path file, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode m = manifest(file);
        edit.accept(m);
        replaceManifest(file, new ObjectMapper().writeValueAsBytes(m));
    }

    public static ObjectNode payload(ObjectNode manifest, String name) {
        for (var p : manifest.get("payloads")) {
            if (p.get("name").asText().equals(name)) {
                return (ObjectNode) p;
            }
        }
        throw new IllegalArgumentException(name);
    }

    /** Overwrites bytes of payload {@code name} at {@code at} and updates its CRC in the manifest. */
    public static void patchPayload(Path file, String name, int at, byte... bytes) throws IOException {
        ObjectNode m = manifest(file);
        ObjectNode p = payload(m, name);
        long off = p.get("offset").asLong();
        int len = p.get("length").asInt();
        byte[] b = Files.readAllBytes(file);
        System.arraycopy(bytes, 0, b, (int) off + at, bytes.length);
        Files.write(file, b);
        CRC32C crc = new CRC32C();
        crc.update(b, (int) off, len);
        p.put("crc32c", crc.getValue());
        replaceManifest(file, new ObjectMapper().writeValueAsBytes(m));
    }

    public static void assertSameModel(CompressedModel a, CompressedModel b) {
        Assertions.assertThat(b.config()).isEqualTo(a.config());
        Assertions.assertThat(b.recipe()).isEqualTo(a.recipe());
        Assertions.assertThat(b.paddedHeadSize()).isEqualTo(a.paddedHeadSize());
        Assertions.assertThat(b.tokenEmbedding()).isEqualTo(a.tokenEmbedding());
        Assertions.assertThat(b.finalNorm()).isEqualTo(a.finalNorm());
        Assertions.assertThat(b.layers()).hasSameSizeAs(a.layers());
        for (int i = 0; i < a.layers().size(); i++) {
            CompressedLayer x = a.layers().get(i);
            CompressedLayer y = b.layers().get(i);
            Assertions.assertThat(y.attnNorm()).isEqualTo(x.attnNorm());
            Assertions.assertThat(y.ffnNorm()).isEqualTo(x.ffnNorm());
        }
        Assertions.assertThat(b.linears()).hasSameSizeAs(a.linears());
        for (int i = 0; i < a.linears().size(); i++) {
            assertSameLinear(a.linears().get(i), b.linears().get(i));
        }
    }

    public static void assertSameLinear(CompressedLinear x, CompressedLinear y) {
        Assertions.assertThat(y.toString()).isEqualTo(x.toString());
        Assertions.assertThat(y.blockDensities()).as(x.name()).isEqualTo(x.blockDensities());
        Assertions.assertThat(y.values()).as(x.name()).isEqualTo(x.values());
        Assertions.assertThat(y.positions()).as(x.name()).isEqualTo(x.positions());
        Assertions.assertThat(y.indexEncoding()).as(x.name()).isEqualTo(x.indexEncoding());
        Assertions.assertThat(y.scaleBits()).as(x.name()).isEqualTo(x.scaleBits());
        Assertions.assertThat(y.bias()).as(x.name()).isEqualTo(x.bias());
    }
}
