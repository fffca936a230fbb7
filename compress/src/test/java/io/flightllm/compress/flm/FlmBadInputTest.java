package io.flightllm.compress.flm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.IndexChoice;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.RandomWeightSource;
import io.flightllm.compress.WeightSource;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FlmBadInputTest {
    @TempDir
    Path dir;
    Path good;
    Path f;

    @BeforeEach
    void writeGoodFile() throws IOException {
        good = dir.resolve("good.flm");
        FlmWriter.write(FlmTestFiles.tinyModel("w4s8", IndexChoice.POSITIONS4), good);
        f = dir.resolve("bad.flm");
        Files.copy(good, f);
        FlmReader.read(good); // the original is valid
    }

    private AbstractThrowableAssert<?, ? extends Throwable> refused() {
        return assertThatThrownBy(() -> FlmReader.read(f)).isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(f.toString()).hasMessageContaining("expected");
    }

    private void edit(Consumer<ObjectNode> e) throws IOException {
        FlmTestFiles.editManifest(f, e);
    }

    private static ObjectNode linear(ObjectNode m, int layer, int k) {
        return (ObjectNode) m.get("layers").get(layer).get("linears").get(k);
    }

    private long manifestOffset() throws IOException {
        byte[] b = Files.readAllBytes(f);
        return java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(8);
    }

    @Test
    void aFlippedPayloadByteFailsItsCrc() throws IOException {
        ObjectNode p = FlmTestFiles.payload(FlmTestFiles.manifest(f), "layers.1.w2.values");
        byte[] b = Files.readAllBytes(f);
        b[(int) (p.get("offset").asLong() + p.get("length").asLong() / 2)] ^= 0x10;
        Files.write(f, b);
        refused().hasMessageContaining("payload layers.1.w2.values crc32c")
                .hasMessageContaining(String.format("0x%08x", p.get("crc32c").asLong()));
    }

    @Test
    void aFlippedManifestByteFailsTheManifestCrc() throws IOException {
        byte[] b = Files.readAllBytes(f);
        int at = (int) manifestOffset() + (b.length - (int) manifestOffset()) / 2;
        b[at] ^= 0x01;
        Files.write(f, b);
        refused().hasMessageContaining("manifest crc32c");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 10, 63, 64, 65, 1000, -2, -1}) // negative: bytes short of the whole file
    void truncatedFilesAreRefused(int keep) throws IOException {
        byte[] b = Files.readAllBytes(f);
        int n = keep >= 0 ? keep : b.length + keep;
        Files.write(f, Arrays.copyOf(b, n));
        if (n < 64) {
            refused().hasMessageContaining("file size is " + n + " bytes");
        } else {
            refused().hasMessageContaining("manifest offset");
        }
    }

    @Test
    void truncationInsideAPayloadOrAtTheManifestIsRefused() throws IOException {
        long mo = manifestOffset();
        byte[] b = Files.readAllBytes(f);
        for (long n : new long[] {mo / 2, mo, mo + 1}) {
            Files.write(f, Arrays.copyOf(b, (int) n));
            refused().hasMessageContaining("manifest offset");
        }
    }

    @Test
    void wrongVersionMagicAndReservedBytesAreRefused() throws IOException {
        byte[] b = Files.readAllBytes(f);
        byte[] v = b.clone();
        v[4] = 5;
        Files.write(f, v);
        refused().hasMessageContaining("format version is 5; expected one of [1, 2, 3, 4]");
        byte[] m = b.clone();
        m[3] = '2';
        Files.write(f, m);
        refused().hasMessageContaining("magic is 46 4c 4d 32");
        byte[] r = b.clone();
        r[40] = 1;
        Files.write(f, r);
        refused().hasMessageContaining("header byte 40");
    }

    @Test
    void manifestThatIsNotJsonIsRefused() throws IOException {
        FlmTestFiles.replaceManifest(f, "{\"format\": ".getBytes(StandardCharsets.UTF_8));
        refused().hasMessageContaining("manifest is not valid JSON");
        // a key given twice, or a second value after the object, is refused rather than silently resolved
        String json = new String(FlmTestFiles.manifestBytes(good), StandardCharsets.UTF_8);
        FlmTestFiles.replaceManifest(f, json.replaceFirst("\\{", "{\"recipe\": \"other\", ")
                .getBytes(StandardCharsets.UTF_8));
        refused().hasMessageContaining("manifest is not valid JSON").hasMessageContaining("recipe");
        FlmTestFiles.replaceManifest(f, (json + " {}").getBytes(StandardCharsets.UTF_8));
        refused().hasMessageContaining("manifest is not valid JSON");
    }

    @Test
    void lyingDimensionsAreRefused() throws IOException {
        // q rows are 4 heads x 16 (8-wide heads padded to 16)
        edit(m -> linear(m, 0, 0).put("rows", 32));
        refused().hasMessageContaining("manifest field layers[0].linears[0].rows is 32; expected 64");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> ((ObjectNode) m.get("classifier")).put("rows", 63));
        refused().hasMessageContaining("manifest field classifier.rows is 63; expected 64");
    }

    @Test
    void lyingRowsColsAndCountsAreRefused() throws IOException {
        edit(m -> linear(m, 1, 5).put("cols", 32));
        refused().hasMessageContaining("layers[1].linears[5].cols is 32; expected 48");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> ((ObjectNode) m.get("config")).put("n_layers", 3));
        refused().hasMessageContaining("layers is 2 layers; expected 3");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> ((ObjectNode) m.get("config")).put("dim", 48));
        refused().hasMessageContaining("payload token_embedding length is 8192; expected 12288");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> m.put("padded_head_size", 8));
        refused().hasMessageContaining("padded_head_size is 8; expected 16");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> linear(m, 0, 2).put("bits", 5));
        refused().hasMessageContaining("layers[0].linears[2].bits is 5; expected one of [2, 3, 4, 8]");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> linear(m, 0, 2).put("group_size", 24));
        refused().hasMessageContaining("group_size is 24; expected a positive multiple of 16");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> linear(m, 0, 2).put("kind", "o"));
        refused().hasMessageContaining("layers[0].linears[2].kind is o; expected v");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> m.put("format_version", 7));
        refused().hasMessageContaining("format_version is 7; expected one of [1, 2, 3, 4]");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        toVersionOneManifest(m -> { }); // a valid version 1 manifest, but the header still says 4
        refused().hasMessageContaining("format_version is 1; expected 4 (the header's format version)");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> linear(m, 0, 2).put("index_encoding", "bitmap"));
        refused().hasMessageContaining("layers[0].linears[2].index_encoding is \"bitmap\"; expected one of "
                + "[positions4, mask16]");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> linear(m, 0, 2).remove("index_encoding"));
        refused().hasMessageContaining("layers[0].linears[2].index_encoding is missing");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> m.remove("recipe"));
        refused().hasMessageContaining("manifest field recipe is missing; expected present");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> ((ObjectNode) m.get("config")).put("family", "GPT"));
        refused().hasMessageContaining("config.family is \"GPT\"; expected one of [LLAMA, OPT]");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> ((ObjectNode) m.get("config")).put("family", "OPT"));
        // OPT is readable since version 4, but not with LLaMA's RMSNorm (FlmOptTest covers OPT files)
        refused().hasMessageContaining("config.norm is RMS_NORM; expected LAYER_NORM for OPT");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> ((ObjectNode) m.get("config")).put("n_kv_heads", 3));
        refused().hasMessageContaining("n_kv_heads is 3; expected a divisor of n_heads = 4");
    }

    @Test
    void lyingOffsetsAndLengthsAreRefused() throws IOException {
        long mo = manifestOffset();
        edit(m -> ((ObjectNode) m.get("payloads").get(3)).put("offset", m.get("payloads").get(3).get("offset")
                .asLong() + 1));
        refused().hasMessageContaining("payloads[3]").hasMessageContaining("offset").hasMessageContaining(
                "a multiple of 64");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> {
            ArrayNode ps = (ArrayNode) m.get("payloads");
            ((ObjectNode) ps.get(ps.size() - 1)).put("offset", mo + 64 * 1000);
        });
        refused().hasMessageContaining("must end before the manifest");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> ((ObjectNode) m.get("payloads").get(0)).put("length", 1L << 40));
        refused().hasMessageContaining("payloads[0] (token_embedding) length is 1099511627776");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> ((ObjectNode) m.get("payloads").get(2)).put("offset", 64)); // overlaps payload 0
        refused().hasMessageContaining("payloads[2]").hasMessageContaining("expected at least");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> ((ObjectNode) m.get("payloads").get(0)).put("offset", -64));
        refused().hasMessageContaining("payloads[0].offset is -64");
    }

    @Test
    void brokenReferencesAreRefused() throws IOException {
        edit(m -> linear(m, 0, 1).put("scales", "layers.0.wq.scales")); // used twice
        refused().hasMessageContaining("a payload no other field refers to");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> linear(m, 0, 1).put("values", "nowhere"));
        refused().hasMessageContaining("layers[0].linears[1].values is \"nowhere\"; expected the name of a payload");
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> linear(m, 0, 1).putNull("positions")); // the payload then is left unreferenced
        refused().hasMessageContaining("payload layers.0.wk.positions is unreferenced");
    }

    @Test
    void payloadContentsThatContradictTheShapesAreRefused() throws IOException {
        // a density of 3 (re-signed so the CRC passes)
        FlmTestFiles.patchPayload(f, "layers.0.wq.densities", 0, (byte) 3);
        refused().hasMessageContaining("payload layers.0.wq.densities block (0, 0) is 3; expected one of "
                + "[0, 2, 4, 8, 16]");
        // a valid density that implies other payload lengths
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        FlmTestFiles.patchPayload(f, "layers.0.wq.densities", 0, (byte) 16);
        refused().hasMessageContaining("payload layers.0.wq.values length").hasMessageContaining(
                "from the block densities and bit width");
        // a 4-bit value of -8 (1000), outside [-7, 7]
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        FlmTestFiles.patchPayload(f, "layers.1.w1.values", 0, (byte) 0x88);
        refused().hasMessageContaining("linear layers.1.w1 is inconsistent").hasMessageContaining("-8 outside");
        // two equal positions in a segment
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        FlmTestFiles.patchPayload(f, "layers.0.w3.positions", 0, (byte) 0x11);
        refused().hasMessageContaining("linear layers.0.w3 is inconsistent").hasMessageContaining("positions");
    }

    @Test
    void aFailedWriteLeavesNoFileAndKeepsTheOldOne() throws IOException {
        ModelCompressor mc = new ModelCompressor(CompressionProfile.named("w4"), LinearCompressor.roundToNearest(),
                "rtn");
        RandomWeightSource random = new RandomWeightSource(FlmTestFiles.TINY, 5);
        WeightSource failing = new WeightSource() {
            @Override
            public ModelConfig config() {
                return random.config();
            }

            @Override
            public float[] tokenEmbedding() {
                return random.tokenEmbedding();
            }

            @Override
            public float[] attnNorm(int layer) {
                return random.attnNorm(layer);
            }

            @Override
            public float[] ffnNorm(int layer) {
                return random.ffnNorm(layer);
            }

            @Override
            public float[] finalNorm() {
                return random.finalNorm();
            }

            @Override
            public float[] matrix(int layer, LinearKind kind) {
                if (layer == 1 && kind == LinearKind.W2) {
                    throw new IllegalStateException("source failed");
                }
                return random.matrix(layer, kind);
            }

            @Override
            public String describe() {
                return "failing";
            }
        };
        Path fresh = dir.resolve("fresh.flm");
        assertThatThrownBy(() -> {
            try (FlmWriter w = FlmWriter.create(fresh)) {
                mc.run(failing, null, w, (l, k, d, t) -> { });
            }
        }).hasMessage("source failed");
        assertThat(fresh).doesNotExist();
        byte[] before = Files.readAllBytes(good);
        assertThatThrownBy(() -> {
            try (FlmWriter w = FlmWriter.create(good)) {
                mc.run(failing, null, w, (l, k, d, t) -> { });
            }
        }).hasMessage("source failed");
        assertThat(Files.readAllBytes(good)).isEqualTo(before);
        // only the files this test made: no temporary leftovers
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("good.flm", "bad.flm");
        // a failure inside the writer itself (a layer it cannot store) is cleaned up the same way
        CompressedLayer l0 = FlmTestFiles.tinyModel("w4").layers().get(0);
        CompressedLayer withBias = new CompressedLayer(l0.attnNorm(), new float[32], l0.wq(), l0.wk(), l0.wv(),
                l0.wo(), l0.ffnNorm(), null, l0.w1(), l0.w2(), l0.w3());
        assertThatThrownBy(() -> {
            try (FlmWriter w = FlmWriter.create(fresh)) {
                w.begin(FlmTestFiles.TINY, 16, "x", new float[64 * 32]);
                w.layer(0, withBias);
            }
        }).hasMessageContaining("norm biases");
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("good.flm", "bad.flm");
    }
    /** A version 1 file (no index_encoding: 4-bit positions throughout) still loads, and equals its version 2 twin. */
    @Test
    void versionOneFilesStillLoad() throws IOException {
        toVersionOne(m -> { });
        FlmTestFiles.assertSameModel(FlmReader.read(good), FlmReader.read(f));
        Files.copy(good, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        toVersionOne(m -> linear(m, 0, 1).put("index_encoding", "positions4"));
        refused().hasMessageContaining("layers[0].linears[1].index_encoding is \"positions4\"; expected absent in "
                + "format_version 1");
    }

    private void toVersionOne(Consumer<ObjectNode> extra) throws IOException {
        toVersionOneManifest(extra);
        byte[] b = Files.readAllBytes(f);
        b[4] = 1; // the header's version (not covered by the manifest CRC)
        Files.write(f, b);
    }

    private void toVersionOneManifest(Consumer<ObjectNode> extra) throws IOException {
        edit(m -> {
            m.put("format_version", 1);
            for (var layer : m.get("layers")) {
                for (var l : layer.get("linears")) {
                    ((ObjectNode) l).remove("index_encoding");
                }
            }
            ((ObjectNode) m.get("classifier")).remove("index_encoding");
            extra.accept(m);
        });
    }

    /** A mask with another bit count than its block's N, and a mask payload of the wrong length. */
    @Test
    void badMasksAreRefused() throws IOException {
        Path masks = dir.resolve("masks.flm");
        FlmWriter.write(FlmTestFiles.tinyModel("w4s8", IndexChoice.MASK16), masks);
        FlmReader.read(masks);
        Files.copy(masks, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        FlmTestFiles.patchPayload(f, "layers.0.w3.masks", 0, (byte) 0xFF, (byte) 0x01); // 9 bits set, N = 8
        refused().hasMessageContaining("payload layers.0.w3.masks (mask16) is row 0 block 0: mask 0x1ff has 9 bits "
                + "set; expected 8");
        Files.copy(masks, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> linear(m, 0, 6).put("index_encoding", "positions4")); // w3: the mask bytes read as positions
        refused().hasMessageContaining("payload layers.0.w3.masks length").hasMessageContaining("expected");
    }

    /** A block-sparse prefill mask round-trips; a bad one, or one in an older format version, is refused. */
    @Test
    void attentionMasksRoundTripAndBadOnesAreRefused() throws IOException {
        Path masked = dir.resolve("masked.flm");
        var mask = new io.flightllm.compress.algo.AttentionMask(64, 1, 4);
        FlmWriter.write(FlmTestFiles.tinyModel("w4s8", IndexChoice.POSITIONS4).withAttentionMask(mask), masked);
        assertThat(FlmReader.read(masked).attentionMask()).isEqualTo(mask);
        assertThat(FlmReader.read(good).attentionMask()).isNull();
        Files.copy(masked, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> ((ObjectNode) m.get("attention_mask")).put("block_size", 40));
        refused().hasMessageContaining("attention_mask.block_size is 40; expected a multiple of 16");
        Files.copy(masked, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> ((ObjectNode) m.get("attention_mask")).put("local_blocks", 0));
        refused().hasMessageContaining("attention_mask.local_blocks is 0; expected an integer in [1, ");
        Files.copy(masked, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> ((ObjectNode) m.get("attention_mask")).remove("sink_blocks"));
        refused().hasMessageContaining("attention_mask.sink_blocks is missing");
        Files.copy(masked, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        edit(m -> m.put("format_version", 2));
        byte[] b = Files.readAllBytes(f);
        b[4] = 2; // header version 2 as well: the mask field did not exist then
        Files.write(f, b);
        refused().hasMessageContaining("attention_mask is present in format version 2; expected absent before "
                + "version 3");
    }
}
