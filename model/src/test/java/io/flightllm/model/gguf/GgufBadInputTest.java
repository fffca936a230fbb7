package io.flightllm.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.model.DType;
import io.flightllm.model.ModelFormatException;
import io.flightllm.model.loader.GgufLoader;
import io.flightllm.model.loader.MappedFile;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deliberately broken copies of a valid GGUF (stories260K + tok512 written as F32): every one must fail with a
 * {@link ModelFormatException} naming the file and the field, never with another exception or an out-of-memory.
 */
class GgufBadInputTest {
    @TempDir
    static Path shared;
    static byte[] valid;
    static long dataStart;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeValidFile() throws Exception {
        Path p = GgufTestModels.write("stories260K.bin", "tok512.bin", DType.F32, shared);
        valid = Files.readAllBytes(p);
        try (Arena arena = Arena.ofConfined()) {
            dataStart = GgufFile.read(MappedFile.map(p, arena)).dataStart();
        }
        ModelLoader.load(p).close(); // the unbroken file is fine
    }

    // ---- locating fields in the valid file ----

    /** Offset of the length field of the first GGUF string equal to {@code s}. */
    static int stringAt(byte[] file, String s) {
        byte[] body = s.getBytes(StandardCharsets.UTF_8);
        byte[] pattern = ByteBuffer.allocate(8 + body.length).order(ByteOrder.LITTLE_ENDIAN).putLong(body.length)
                .put(body).array();
        for (int i = 0; i + pattern.length <= file.length; i++) {
            if (Arrays.equals(file, i, i + pattern.length, pattern, 0, pattern.length)) {
                return i;
            }
        }
        throw new AssertionError("no string " + s);
    }

    /** Offset of the value of metadata key {@code key} (after its type). */
    static int valueOf(byte[] file, String key) {
        return stringAt(file, key) + 8 + key.length() + 4;
    }

    /** Offset of the n_dims field of tensor {@code name}'s info. */
    static int tensorInfo(byte[] file, String name) {
        return stringAt(file, name) + 8 + name.length();
    }

    static byte[] copy() {
        return valid.clone();
    }

    static void putU32(byte[] b, int at, int v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
    }

    static void putU64(byte[] b, int at, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
    }

    static void rename(byte[] b, String from, String to) {
        assertThat(to).hasSameSizeAs(from);
        int at = stringAt(b, from) + 8;
        System.arraycopy(to.getBytes(StandardCharsets.UTF_8), 0, b, at, to.length());
    }

    Path file(byte[] bytes) throws Exception {
        Path p = dir.resolve("broken.gguf");
        Files.write(p, bytes);
        return p;
    }

    /** Loading must fail with a ModelFormatException whose message names the file and every given fragment. */
    AbstractThrowableAssert<?, ?> fails(byte[] bytes, String... fragments) throws Exception {
        Path p = file(bytes);
        var a = assertThatThrownBy(() -> GgufLoader.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(p.toString());
        for (String f : fragments) {
            a.hasMessageContaining(f);
        }
        return a;
    }

    // ---- the cases ----

    @Test
    void truncatedFilesFailCleanlyAtEveryCutPoint() throws Exception {
        int tokens = stringAt(valid, GgufVocab.TOKENS);
        int firstTensor = stringAt(valid, "token_embd.weight");
        List<Long> cuts = List.of(0L, 3L, 4L, 8L, 23L, 24L, 30L, (long) tokens + 20, (long) tokens + 3000,
                (long) firstTensor, (long) firstTensor + 30, dataStart - 1, dataStart, dataStart + 1000,
                (long) valid.length - 1);
        for (long cut : cuts) {
            Path p = file(Arrays.copyOf(valid, (int) cut));
            assertThatThrownBy(() -> GgufLoader.load(p)).as("cut at %d", cut)
                    .isInstanceOf(ModelFormatException.class).hasMessageStartingWith(p.toString())
                    .message().containsAnyOf("truncated", "past the end", "at most");
        }
    }

    @Test
    void truncatedDataNamesTheTensorThatDoesNotFit() throws Exception {
        fails(Arrays.copyOf(valid, valid.length - 1), "tensor output_norm.weight offset", "data section");
    }

    @Test
    void wrongMagic() throws Exception {
        byte[] b = copy();
        b[3] = 'X';
        fails(b, "magic is 0x58554747", "expected 0x46554747 (\"GGUF\")");
        // ModelLoader then does not take it for GGUF at all
        assertThat(ModelLoader.detect(file(b))).isEqualTo(ModelLoader.Format.LLAMA2C);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4, 0x03000000})
    void unsupportedVersion(int version) throws Exception {
        byte[] b = copy();
        putU32(b, 4, version);
        fails(b, "version is " + version, "expected 2 or 3");
    }

    @Test
    void version2IsAccepted() throws Exception {
        byte[] b = copy();
        putU32(b, 4, 2);
        try (var m = GgufLoader.load(file(b))) {
            assertThat(m.format()).isEqualTo("GGUF v2 (F32)");
        }
    }

    @Test
    void hugeTensorCount() throws Exception {
        byte[] b = copy();
        putU64(b, 8, 1_000_000_000_000L);
        fails(b, "tensor_count is 1000000000000; expected at most");
    }

    @Test
    void hugeKvCount() throws Exception {
        byte[] b = copy();
        putU64(b, 16, -1L);
        fails(b, "kv_count is 18446744073709551615; expected at most");
    }

    @Test
    void hugeStringLength() throws Exception {
        byte[] b = copy();
        putU64(b, 24, 1L << 60); // the first key
        fails(b, "key of KV pair 0 length is 1152921504606846976; expected at most");
        b = copy();
        putU64(b, valueOf(b, "general.architecture"), 1L << 60); // a string value
        fails(b, "general.architecture length is 1152921504606846976; expected at most");
    }

    @Test
    void hugeArrayLength() throws Exception {
        byte[] b = copy();
        putU64(b, valueOf(b, GgufVocab.TOKENS) + 4, 1L << 40);
        fails(b, "tokenizer.ggml.tokens array length is 1099511627776; expected at most");
    }

    @Test
    void tensorOffsetPastTheEnd() throws Exception {
        byte[] b = copy();
        putU64(b, tensorInfo(b, "output_norm.weight") + 4 + 8 + 4, 1L << 40);
        fails(b, "tensor output_norm.weight offset is 1099511627776", "expected the tensor to end within");
    }

    @Test
    void misalignedTensorOffset() throws Exception {
        byte[] b = copy();
        int at = tensorInfo(b, "output_norm.weight") + 4 + 8 + 4;
        putU64(b, at, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(at) + 4);
        fails(b, "output_norm.weight offset", "expected a multiple of the alignment 32");
    }

    @Test
    void unsupportedTensorType() throws Exception {
        byte[] b = copy();
        putU32(b, tensorInfo(b, "blk.0.attn_q.weight") + 4 + 16, 12); // ne has 2 dims
        fails(b, "type of tensor blk.0.attn_q.weight is Q4_K", "expected one of F32, F16, BF16, Q8_0, Q4_0");
    }

    @Test
    void tensorDimsInconsistentWithMetadata() throws Exception {
        byte[] b = copy();
        putU32(b, valueOf(b, "llama.feed_forward_length"), 176);
        fails(b, "tensor blk.0.ffn_gate.weight ne is [64, 172]", "expected [64, 176] (from the metadata)");
        b = copy();
        putU64(b, tensorInfo(b, "blk.2.attn_k.weight") + 4 + 8, 16); // ne[1] 32 -> 16
        fails(b, "tensor blk.2.attn_k.weight ne is [64, 16]", "expected [64, 32]");
    }

    @Test
    void rowLengthNotAMultipleOfTheBlockSize() throws Exception {
        byte[] b = copy();
        int info = tensorInfo(b, "blk.0.ffn_down.weight");
        putU32(b, info + 4 + 16, GgmlType.Q8_0); // ne[0] = 172, not a multiple of 32
        fails(b, "blk.0.ffn_down.weight ne[0] is 172", "expected a multiple of the Q8_0 block size 32");
    }

    @Test
    void elementCountOverflow() throws Exception {
        byte[] b = copy();
        int info = tensorInfo(b, "blk.0.attn_v.weight");
        putU64(b, info + 4, 1L << 40);
        putU64(b, info + 12, 1L << 40);
        fails(b, "blk.0.attn_v.weight shape is [1099511627776, 1099511627776]", "fewer than 2^63 elements");
    }

    @Test
    void badDimensionCounts() throws Exception {
        byte[] b = copy();
        putU32(b, tensorInfo(b, "blk.1.attn_q.weight"), 5);
        fails(b, "blk.1.attn_q.weight n_dims is 5", "expected in [1, 4]");
        b = copy();
        putU64(b, tensorInfo(b, "blk.1.attn_q.weight") + 4, 0);
        fails(b, "blk.1.attn_q.weight ne[0] is 0", "expected a positive dimension");
    }

    @Test
    void missingRequiredTensor() throws Exception {
        byte[] b = copy();
        rename(b, "blk.3.ffn_up.weight", "blk.3.ffn_uq.weight");
        fails(b, "tensor blk.3.ffn_up.weight is missing", "expected a tensor of ne [64, 172]");
        // a real vocabulary-only GGUF is a tokenizer, not a model
        Path vocab = SharedData.model("ggml-vocab-llama-spm.gguf");
        assertThatThrownBy(() -> ModelLoader.load(vocab)).isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(vocab.toString())
                .hasMessageContaining("tensor token_embd.weight is missing; expected a tensor of ne [4096, 32000]");
    }

    @Test
    void missingRequiredKey() throws Exception {
        byte[] b = copy();
        rename(b, "llama.block_count", "llama.block_cxunt");
        fails(b, "metadata key llama.block_count is missing", "expected an integer in [1, 4096]");
        b = copy();
        rename(b, "llama.attention.layer_norm_rms_epsilon", "llama.attention.layer_norm_rms_epsilxn");
        fails(b, "metadata key llama.attention.layer_norm_rms_epsilon is missing", "expected a float32");
        b = copy();
        rename(b, "general.architecture", "general.architecturx");
        fails(b, "metadata key general.architecture is missing", "expected a string");
    }

    @Test
    void wrongArchitectureOrKeyType() throws Exception {
        byte[] b = copy();
        System.arraycopy("qwen2".getBytes(StandardCharsets.US_ASCII), 0, b, valueOf(b, "general.architecture") + 8, 5);
        fails(b, "general.architecture is \"qwen2\"", "expected \"llama\"");
        b = copy();
        putU32(b, valueOf(b, "llama.block_count") - 4, GgufType.FLOAT32.id()); // same width, wrong type
        fails(b, "llama.block_count is FLOAT32", "expected an integer in [1, 4096]");
    }

    @Test
    void vocabularySizesThatDisagree() throws Exception {
        byte[] b = copy();
        putU32(b, valueOf(b, "llama.vocab_size"), 500);
        fails(b, "llama.vocab_size is 500", "expected 512 (the length of tokenizer.ggml.tokens)");
    }

    @Test
    void unknownValueType() throws Exception {
        byte[] b = copy();
        putU32(b, valueOf(b, "general.architecture") - 4, 13);
        fails(b, "type of general.architecture is 13", "expected a GGUF value type id in [0, 12]");
    }

    @Test
    void badAlignment() throws Exception {
        Path p = dir.resolve("align.gguf");
        new GgufFileWriter(32).put(GgufFile.ALIGNMENT_KEY, GgufValue.u32(24)).write(p);
        assertThatThrownBy(() -> GgufLoader.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(p.toString())
                .hasMessageContaining("general.alignment is 24; expected a power of two");
    }

    @Test
    void deeplyNestedArrays() throws Exception {
        GgufValue v = GgufValue.array(GgufType.INT32, List.of(GgufValue.i32(1)));
        for (int i = 1; i < GgufFile.MAX_ARRAY_NESTING; i++) {
            v = GgufValue.array(GgufType.ARRAY, List.of(v));
        }
        Path ok = dir.resolve("nested8.gguf");
        new GgufFileWriter(32).put("deep", v).write(ok);
        try (Arena arena = Arena.ofConfined()) {
            GgufValue back = GgufFile.read(MappedFile.map(ok, arena)).get("deep");
            for (int i = 1; i < GgufFile.MAX_ARRAY_NESTING; i++) {
                back = ((GgufArray) back).get(0);
            }
            assertThat(((GgufArray) back).get(0)).isEqualTo(GgufValue.i32(1));
        }
        Path p = dir.resolve("nested9.gguf");
        new GgufFileWriter(32).put("deep", GgufValue.array(GgufType.ARRAY, List.of(v))).write(p);
        assertThatThrownBy(() -> GgufLoader.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(p.toString())
                .hasMessageContaining("deep[0][0][0][0][0][0][0][0] nests arrays 9 deep; expected at most 8");
    }

    @Test
    void aDuplicateTensorName() throws Exception {
        byte[] b = copy();
        rename(b, "blk.1.ffn_up.weight", "blk.0.ffn_up.weight");
        fails(b, "tensor blk.0.ffn_up.weight appears twice; expected once");
    }
}
