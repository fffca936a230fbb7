package io.flightllm.model.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.model.Model;
import io.flightllm.model.ModelFormatException;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.HfWriter;
import io.flightllm.model.testing.SharedData;
import io.flightllm.model.tokenizer.Llama2cTokenizerFile;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken HF directories fail with a ModelFormatException naming the file and the field, never with a crash. */
class HfBadInputTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    Path good;

    @BeforeEach
    void writeGoodDirectory() {
        good = tmp.resolve("good");
        try (Model m = ModelLoader.load(SharedData.model("stories260K.bin"))) {
            HfWriter.write(m, Llama2cTokenizerFile.read(SharedData.model("tok512.bin"), 512), good,
                    HfWriter.Options.defaults());
        }
        try (Model m = ModelLoader.load(good)) {
            assertThat(m.config().vocabSize()).isEqualTo(512); // the unbroken copy loads
        }
    }

    AbstractThrowableAssert<?, ? extends Throwable> loading(Path dir) {
        return assertThatThrownBy(() -> ModelLoader.load(dir).close()).isInstanceOf(ModelFormatException.class);
    }

    Path copy(String name) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        try (var files = Files.list(good)) {
            for (Path p : files.toList()) {
                Files.copy(p, dir.resolve(p.getFileName()));
            }
        }
        return dir;
    }

    Path withConfig(String name, Consumer<ObjectNode> edit) throws Exception {
        Path dir = copy(name);
        ObjectNode cfg = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        edit.accept(cfg);
        JSON.writeValue(dir.resolve("config.json").toFile(), cfg);
        return dir;
    }

    @Test
    void missingConfig() throws Exception {
        Path dir = copy("noconfig");
        Files.delete(dir.resolve("config.json"));
        loading(dir).hasMessageContaining("config.json").hasMessageContaining("file not found");
    }

    @Test
    void malformedConfigJson() throws Exception {
        Path dir = copy("badjson");
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 64, \"num_hidden_layers\": ");
        loading(dir).hasMessageContaining("config.json").hasMessageContaining("malformed JSON at line 1");
        Files.writeString(dir.resolve("config.json"), "[1, 2]");
        loading(dir).hasMessageContaining("config.json").hasMessageContaining("top level")
                .hasMessageContaining("a JSON object");
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"a\": 1, \"a\": 2}");
        loading(dir).hasMessageContaining("config.json").hasMessageContaining("Duplicate field 'a'");
    }

    @Test
    void configFieldsAreChecked() throws Exception {
        loading(withConfig("novocab", c -> c.remove("vocab_size")))
                .hasMessageContaining("config.json: vocab_size is missing; expected an integer");
        loading(withConfig("strdim", c -> c.put("hidden_size", "64")))
                .hasMessageContaining("config.json: hidden_size is \"64\"; expected a 32-bit integer");
        loading(withConfig("mistral", c -> c.put("model_type", "mistral")))
                .hasMessageContaining("config.json: model_type is \"mistral\"; expected \"llama\"");
        loading(withConfig("scaling", c -> c.putObject("rope_scaling").put("rope_type", "linear").put("factor", 2.0)))
                .hasMessageContaining("config.json: rope_scaling.rope_type is \"linear\"")
                .hasMessageContaining("not supported");
        loading(withConfig("yarn", c -> c.putObject("rope_parameters").put("rope_type", "yarn")
                .put("rope_theta", 10000.0))).hasMessageContaining("config.json: rope_parameters.rope_type is \"yarn\"");
        loading(withConfig("theta2", c -> c.putObject("rope_parameters").put("rope_theta", 500000.0)))
                .hasMessageContaining("rope_parameters.rope_theta is 500000.0")
                .hasMessageContaining("top-level rope_theta = 10000.0");
        loading(withConfig("kv3", c -> c.put("num_key_value_heads", 3)))
                .hasMessageContaining("config.json: n_kv_heads is 3; expected a divisor of n_heads = 8");
        loading(withConfig("eos", c -> c.putArray("eos_token_id").add(2).add(999)))
                .hasMessageContaining("config.json: eos_token_id is 999");
        loading(withConfig("bias", c -> c.put("attention_bias", true)))
                .hasMessageContaining("config.json: attention_bias is true");
    }

    @Test
    void configAcceptsItsOptionalForms() throws Exception {
        Path dir = withConfig("optional", c -> {
            c.remove("num_key_value_heads"); // defaults to the number of heads: not this checkpoint's 4
            c.remove("head_dim");
            c.putNull("rope_scaling");
            c.putArray("eos_token_id").add(2).add(5);
        });
        loading(dir).hasMessageContaining("k_proj.weight\" shape is [32, 64]; expected [64, 64]")
                .hasMessageContaining("num_key_value_heads * head_dim, hidden_size from config.json");
        Path ok = withConfig("optional2", c -> {
            c.remove("head_dim");
            c.remove("rope_theta");
            c.putArray("eos_token_id").add(2).add(5);
        });
        try (Model m = ModelLoader.load(ok)) {
            assertThat(m.config().headSize()).isEqualTo(8);
            assertThat(m.config().ropeTheta()).isEqualTo(10000.0f);
            assertThat(m.config().eosIds()).containsExactly(2, 5);
        }
    }

    @Test
    void shapeMismatchWithConfig() throws Exception {
        loading(withConfig("ffn", c -> c.put("intermediate_size", 170)))
                .hasMessageContaining("model.safetensors: tensor \"model.layers.0.mlp.gate_proj.weight\" shape is "
                        + "[172, 64]; expected [170, 64] (intermediate_size, hidden_size from config.json)");
    }

    @Test
    void missingShardAndBadIndex() throws Exception {
        Path dir = tmp.resolve("sharded");
        try (Model m = ModelLoader.load(SharedData.model("stories260K.bin"))) {
            HfWriter.write(m, null, dir, HfWriter.Options.defaults().shards(2));
        }
        try (Model m = ModelLoader.load(dir)) {
            assertThat(m.format()).contains("2 shards");
        }
        Path index = dir.resolve("model.safetensors.index.json");
        String text = Files.readString(index);
        Files.move(dir.resolve("model-00002-of-00002.safetensors"), dir.resolve("moved.safetensors"));
        loading(dir).hasMessageContaining("model.safetensors.index.json: weight_map[\"")
                .hasMessageContaining("is \"model-00002-of-00002.safetensors\"; expected an existing shard file");
        Files.writeString(index, text.replace("model-00002-of-00002.safetensors", "../moved.safetensors"));
        loading(dir).hasMessageContaining("model.safetensors.index.json: weight_map[\"")
                .hasMessageContaining("a file name inside the model directory");
        Files.writeString(index, text.replace("model-00002-of-00002.safetensors", "model-00001-of-00002.safetensors"));
        loading(dir).hasMessageContaining("expected the shard that holds the tensor");
        Files.writeString(index, "{\"metadata\": {}}");
        loading(dir).hasMessageContaining("model.safetensors.index.json: weight_map is missing; expected a JSON object");
        Files.delete(index);
        loading(dir).hasMessageContaining("no model.safetensors and no model.safetensors.index.json");
    }

    static void putHeaderLength(Path file, long n) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array());
        }
    }

    @Test
    void hugeOrShortHeaderLength() throws Exception {
        Path dir = copy("huge");
        Path st = dir.resolve("model.safetensors");
        putHeaderLength(st, 1L << 62);
        loading(dir).hasMessageContaining("model.safetensors: header length is 4611686018427387904; expected at "
                + "least 2 and at most");
        putHeaderLength(st, -1L);
        loading(dir).hasMessageContaining("header length is 18446744073709551615");
        putHeaderLength(st, Files.size(st) - 7);
        loading(dir).hasMessageContaining("model.safetensors: header length is " + (Files.size(st) - 7));
        Files.write(st, new byte[] {1, 2, 3});
        loading(dir).hasMessageContaining("model.safetensors: header length (first 8 bytes) at offset 0 (8 bytes) is "
                + "past the end of the file (3 bytes)");
    }

    /** Entries of one F32 tensor of 4 floats, with the given header fields. */
    static void writeOne(Path file, String dtype, String shape, String offsets, int dataBytes) throws Exception {
        String header = "{\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets
                + "}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        HfWriter.writeRaw(file, h.length, h, List.of(new byte[dataBytes]));
    }

    @Test
    void offsetsAndShapesAreCheckedAgainstTheFileSize() throws Exception {
        Path dir = copy("offsets");
        Path st = dir.resolve("model.safetensors");
        long size = Files.size(st);
        try (RandomAccessFile f = new RandomAccessFile(st.toFile(), "rw")) {
            f.setLength(size - 4); // the last tensor now ends past the end
        }
        loading(dir).hasMessageContaining("model.safetensors: tensor \"model.norm.weight\" data_offsets is [")
                .hasMessageContaining("expected 0 <= begin <= end <= ");
        // hand-written single-tensor files exercise SafetensorsFile directly
        Path one = tmp.resolve("one.safetensors");
        Object[][] cases = {
                {"F32", "[4]", "[0, 1000000]", 16, "tensor \"t\" data_offsets is [0, 1000000]; expected 0 <= begin"},
                {"F32", "[4]", "[8, 4]", 16, "data_offsets is [8, 4]"},
                {"F32", "[5]", "[0, 16]", 16, "data_offsets is [0, 16] (16 bytes); expected 20 bytes for F32 [5]"},
                {"F32", "[4611686018427387904, 4]", "[0, 16]", 16, "shape[0] is 4611686018427387904"},
                {"F32", "[4, -1]", "[0, 16]", 16, "shape[1] is -1"},
                {"F32", "[2, 2]", "[0, 16]", 24, "the tensors cover 16 bytes of the data buffer; expected all 24"},
                {"F33", "[4]", "[0, 16]", 16, "tensor \"t\" dtype is \"F33\"; expected a safetensors dtype"},
                {"F32", "\"4\"", "[0, 16]", 16, "tensor \"t\" shape is \"4\""},
        };
        for (Object[] c : cases) {
            writeOne(one, (String) c[0], (String) c[1], (String) c[2], (Integer) c[3]);
            assertThatThrownBy(() -> SafetensorsFile.open(one, java.lang.foreign.Arena.ofAuto()))
                    .isInstanceOf(ModelFormatException.class).hasMessageContaining("one.safetensors: ")
                    .hasMessageContaining((String) c[4]);
        }
    }

    @Test
    void unsupportedDtypeNamesTheTensor() throws Exception {
        Path dir = copy("dtype");
        Path st = dir.resolve("model.safetensors");
        try (Model m = ModelLoader.load(SharedData.model("stories260K.bin"))) {
            List<HfWriter.Entry> entries = new ArrayList<>();
            for (var e : HfWriter.entries(m, HfWriter.Options.defaults())) {
                boolean target = e.name().equals("model.layers.1.self_attn.v_proj.weight");
                entries.add(target ? new HfWriter.Entry(e.name(), "I32", e.shape(), e.data()) : e);
            }
            HfWriter.writeSafetensors(st, entries, Map.of());
        }
        loading(dir).hasMessageContaining("model.safetensors: tensor \"model.layers.1.self_attn.v_proj.weight\" "
                + "dtype is \"I32\"; expected F32, F16 or BF16");
    }

    @Test
    void missingTensorNamesTheFile() throws Exception {
        Path dir = copy("missing");
        try (Model m = ModelLoader.load(SharedData.model("stories260K.bin"))) {
            List<HfWriter.Entry> entries = new ArrayList<>(HfWriter.entries(m, HfWriter.Options.defaults()));
            entries.removeIf(e -> e.name().equals("model.layers.4.mlp.up_proj.weight"));
            HfWriter.writeSafetensors(dir.resolve("model.safetensors"), entries, Map.of());
        }
        loading(dir).hasMessageContaining("model.safetensors: tensor \"model.layers.4.mlp.up_proj.weight\" of shape "
                + "[172, 64] (intermediate_size, hidden_size from config.json) is missing");
    }

    @Test
    void malformedHeaderJson() throws Exception {
        Path one = tmp.resolve("bad.safetensors");
        byte[] h = "{\"t\": {\"dtype\": \"F32\",".getBytes(StandardCharsets.UTF_8);
        HfWriter.writeRaw(one, h.length, h, List.of(new byte[4]));
        assertThatThrownBy(() -> SafetensorsFile.open(one, java.lang.foreign.Arena.ofAuto()))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("bad.safetensors header: malformed JSON");
    }
}
