package io.flightllm.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.DType;
import io.flightllm.model.Tensor;
import io.flightllm.model.loader.MappedFile;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GGUF container itself: byte layout of written files, every value type, alignment, version 2. */
class GgufFileTest {
    @TempDir
    Path dir;

    /** Little-endian byte builder for hand-made files (independent of GgufFileWriter). */
    static final class Bytes {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes u32(long v) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
            return this;
        }

        Bytes u64(long v) {
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
            return this;
        }

        Bytes f32(float v) {
            return u32(Float.floatToRawIntBits(v));
        }

        Bytes str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.writeBytes(b);
            return this;
        }

        Bytes raw(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Bytes padTo(int alignment) {
            while (out.size() % alignment != 0) {
                out.write(0);
            }
            return this;
        }

        byte[] array() {
            return out.toByteArray();
        }
    }

    GgufFile read(Path p, Arena arena) {
        return GgufFile.read(MappedFile.map(p, arena));
    }

    @Test
    void theWriterProducesTheSpecifiedBytes() throws Exception {
        Path p = dir.resolve("one.gguf");
        float[] values = {1.5f, -2f};
        new GgufFileWriter(32).put("k", GgufValue.u32(7))
                .tensor("t", new long[] {2}, GgmlType.F32, 8, ch -> ch.write(ByteBuffer.allocate(8)
                        .order(ByteOrder.LITTLE_ENDIAN).putFloat(values[0]).putFloat(values[1]).flip()))
                .write(p);
        byte[] expected = new Bytes().raw('G', 'G', 'U', 'F').u32(3).u64(1).u64(1)
                .str("k").u32(4).u32(7)                       // key, UINT32, value
                .str("t").u32(1).u64(2).u32(0).u64(0)         // name, n_dims, ne[0], F32, offset
                .padTo(32).f32(1.5f).f32(-2f).array();
        assertThat(Files.readAllBytes(p)).isEqualTo(expected);
    }

    @Test
    void everyValueTypeRoundTrips() {
        Path p = dir.resolve("values.gguf");
        GgufValue nested = GgufValue.array(GgufType.ARRAY, List.of(
                GgufValue.array(GgufType.STRING, List.of(GgufValue.str("a"), GgufValue.str("\u2581b\u00e9"))),
                GgufValue.array(GgufType.STRING, List.of())));
        new GgufFileWriter(32)
                .put("u8", new GgufValue.Int(GgufType.UINT8, 255))
                .put("i8", new GgufValue.Int(GgufType.INT8, -128))
                .put("u16", new GgufValue.Int(GgufType.UINT16, 65535))
                .put("i16", new GgufValue.Int(GgufType.INT16, -32768))
                .put("u32", GgufValue.u32(0xFFFF_FFFFL))
                .put("i32", GgufValue.i32(Integer.MIN_VALUE))
                .put("u64", new GgufValue.Int(GgufType.UINT64, -1L))
                .put("i64", new GgufValue.Int(GgufType.INT64, Long.MIN_VALUE))
                .put("f32", GgufValue.f32(1e-5f))
                .put("f64", new GgufValue.F64(Math.PI))
                .put("yes", GgufValue.bool(true))
                .put("no", GgufValue.bool(false))
                .put("s", GgufValue.str("h\u00e9llo \u2603"))
                .put("empty", GgufValue.str(""))
                .put("u8s", GgufValue.array(GgufType.UINT8, List.of(new GgufValue.Int(GgufType.UINT8, 200))))
                .put("i16s", GgufValue.array(GgufType.INT16, List.of(new GgufValue.Int(GgufType.INT16, -5),
                        new GgufValue.Int(GgufType.INT16, 7))))
                .put("u64s", GgufValue.array(GgufType.UINT64, List.of(new GgufValue.Int(GgufType.UINT64, 1L << 40))))
                .put("f64s", GgufValue.array(GgufType.FLOAT64, List.of(new GgufValue.F64(-0.25))))
                .put("bools", GgufValue.array(GgufType.BOOL, List.of(GgufValue.bool(false), GgufValue.bool(true))))
                .put("nested", nested)
                .write(p);
        try (Arena arena = Arena.ofConfined()) {
            GgufFile g = read(p, arena);
            assertThat(g.metadata().keySet()).containsExactly("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64",
                    "f32", "f64", "yes", "no", "s", "empty", "u8s", "i16s", "u64s", "f64s", "bools", "nested");
            assertThat(g.get("u8")).isEqualTo(new GgufValue.Int(GgufType.UINT8, 255));
            assertThat(g.get("i8")).isEqualTo(new GgufValue.Int(GgufType.INT8, -128));
            assertThat(g.get("u16")).isEqualTo(new GgufValue.Int(GgufType.UINT16, 65535));
            assertThat(g.get("i16")).isEqualTo(new GgufValue.Int(GgufType.INT16, -32768));
            assertThat(g.get("u32")).isEqualTo(new GgufValue.Int(GgufType.UINT32, 4294967295L));
            assertThat(g.get("i32")).isEqualTo(new GgufValue.Int(GgufType.INT32, Integer.MIN_VALUE));
            assertThat(g.get("u64").toString()).isEqualTo("18446744073709551615");
            assertThat(((GgufValue.Int) g.get("u64")).fitsLong()).isFalse();
            assertThat(g.get("i64")).isEqualTo(new GgufValue.Int(GgufType.INT64, Long.MIN_VALUE));
            assertThat(g.float32("f32")).isEqualTo(1e-5f);
            assertThat(g.get("f64")).isEqualTo(new GgufValue.F64(Math.PI));
            assertThat(g.get("yes")).isEqualTo(GgufValue.bool(true));
            assertThat(g.get("no")).isEqualTo(GgufValue.bool(false));
            assertThat(g.string("s")).isEqualTo("h\u00e9llo \u2603");
            assertThat(g.string("empty")).isEmpty();
            assertThat(g.array("u8s", GgufType.UINT8).get(0)).isEqualTo(new GgufValue.Int(GgufType.UINT8, 200));
            GgufArray i16s = g.array("i16s", GgufType.INT16);
            assertThat(List.of(i16s.get(0), i16s.get(1))).containsExactly(new GgufValue.Int(GgufType.INT16, -5),
                    new GgufValue.Int(GgufType.INT16, 7));
            assertThat(g.array("u64s", GgufType.UINT64).get(0)).isEqualTo(new GgufValue.Int(GgufType.UINT64, 1L << 40));
            assertThat(g.array("f64s", GgufType.FLOAT64).get(0)).isEqualTo(new GgufValue.F64(-0.25));
            GgufArray bools = g.array("bools", GgufType.BOOL);
            assertThat(List.of(bools.get(0), bools.get(1))).containsExactly(GgufValue.bool(false),
                    GgufValue.bool(true));
            GgufArray outer = g.array("nested", GgufType.ARRAY);
            assertThat(outer.size()).isEqualTo(2);
            GgufArray first = (GgufArray) outer.get(0);
            assertThat(first.elementType()).isEqualTo(GgufType.STRING);
            assertThat(first.stringBytes(1)).isEqualTo("\u2581b\u00e9".getBytes(StandardCharsets.UTF_8));
            assertThat(((GgufArray) outer.get(1)).size()).isZero();
            assertThat(g.tensors()).isEmpty();
        }
    }

    @Test
    void aHandMadeVersion2FileWithAlignment64Reads() throws Exception {
        // two tensors: F32 [3] at offset 0 and Q8_0 [32] at offset 64 (the next multiple of the alignment)
        Bytes b = new Bytes().raw('G', 'G', 'U', 'F').u32(2).u64(2).u64(1)
                .str("general.alignment").u32(4).u32(64)
                .str("v").u32(1).u64(3).u32(0).u64(0)
                .str("q").u32(2).u64(32).u64(1).u32(8).u64(64)
                .padTo(64);
        int dataStart = b.out.size();
        b.f32(1f).f32(2f).f32(-3f).padTo(64);
        b.raw(0x00, 0x38); // FP16 0.5
        for (int i = 0; i < 32; i++) {
            b.raw(i - 16);
        }
        Path p = dir.resolve("v2.gguf");
        Files.write(p, b.array());
        try (Arena arena = Arena.ofConfined()) {
            GgufFile g = read(p, arena);
            assertThat(g.version()).isEqualTo(2);
            assertThat(g.alignment()).isEqualTo(64);
            assertThat(g.dataStart()).isEqualTo(dataStart);
            GgufTensorInfo v = g.tensor("v");
            Tensor tv = Tensor.of("v", v.dtype(), v.rows(), v.cols(), g.data(v));
            assertThat(tv.toFloatArray()).containsExactly(1f, 2f, -3f);
            GgufTensorInfo q = g.tensor("q");
            assertThat(q.dtype()).isEqualTo(DType.Q8_0);
            assertThat(q.byteSize()).isEqualTo(34);
            Tensor tq = Tensor.of("q", q.dtype(), q.rows(), q.cols(), g.data(q));
            assertThat(tq.get(0, 0)).isEqualTo(-8f);
            assertThat(tq.get(0, 31)).isEqualTo(7.5f);
        }
    }

    @Test
    void theSharedVocabularyFileParses() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            GgufFile g = read(io.flightllm.model.testing.SharedData.model("ggml-vocab-llama-spm.gguf"), arena);
            assertThat(g.version()).isEqualTo(3);
            assertThat(g.metadata()).hasSize(22);
            assertThat(g.tensors()).isEmpty();
            assertThat(g.string("general.architecture")).isEqualTo("llama");
            assertThat(g.integer("llama.vocab_size", 0, 1 << 20)).isEqualTo(32000);
            assertThat(g.integer("llama.block_count", 0, 1 << 20)).isEqualTo(32);
            assertThat(g.float32("llama.attention.layer_norm_rms_epsilon")).isEqualTo(1e-5f);
            assertThat(g.get("tokenizer.ggml.add_bos_token")).isEqualTo(GgufValue.bool(true));
            assertThat(g.array(GgufVocab.TOKEN_TYPE, GgufType.INT32).get(3))
                    .isEqualTo(new GgufValue.Int(GgufType.INT32, 6)); // <0x00> is a byte token
        }
    }
}
