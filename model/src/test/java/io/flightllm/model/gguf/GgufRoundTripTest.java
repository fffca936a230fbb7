package io.flightllm.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.DType;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.model.loader.MappedFile;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import io.flightllm.model.tokenizer.Llama2cTokenizerFile;
import io.flightllm.model.tokenizer.Tokenizer;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** llama2.c checkpoints written as GGUF F32 load back as the same model and generate the same bytes. */
class GgufRoundTripTest {
    static final String PROMPT = "Once upon a time, Lily met a cat";

    @TempDir
    Path dir;

    @Test
    void storiesAsGgufF32GeneratesExactlyWhatRunCPrinted() throws Exception {
        Path gguf = GgufTestModels.write("stories260K.bin", "tok512.bin", DType.F32, dir);
        assertThat(ModelLoader.detect(gguf)).isEqualTo(ModelLoader.Format.GGUF);
        try (Model bin = ModelLoader.load(SharedData.model("stories260K.bin"));
             Model g = ModelLoader.load(gguf)) {
            Tokenizer binTok = Llama2cTokenizerFile.read(SharedData.model("tok512.bin"), 512);
            assertThat(g.tokenizer()).as("tokenizer from the GGUF metadata").isNotNull();
            assertThat(ModelLoader.tokenizer(g, null)).isSameAs(g.tokenizer());
            byte[] expected = Files.readAllBytes(SharedData.reference("stories260K_n256_empty.stdout"));
            assertThat(GgufTestModels.greedy(g, g.tokenizer(), "", 256)).isEqualTo(expected);
            assertThat(GgufTestModels.greedy(bin, binTok, "", 256)).isEqualTo(expected);
            byte[] withPrompt = GgufTestModels.greedy(g, g.tokenizer(), PROMPT, 256);
            assertThat(withPrompt).isEqualTo(GgufTestModels.greedy(bin, binTok, PROMPT, 256));
            assertThat(new String(withPrompt, java.nio.charset.StandardCharsets.UTF_8)).startsWith(PROMPT);
        }
    }

    @Test
    void storiesAsGgufF32HasTheSameConfigAndBitIdenticalTensors() throws Exception {
        Path gguf = GgufTestModels.write("stories260K.bin", "tok512.bin", DType.F32, dir);
        try (Model bin = ModelLoader.load(SharedData.model("stories260K.bin"));
             Model g = ModelLoader.load(gguf)) {
            // the written vocabulary brings llama.cpp's EOS (2); llama2.c checkpoints have no EOS metadata
            ModelConfig c = bin.config();
            assertThat(g.config()).isEqualTo(new ModelConfig(c.family(), c.dim(), c.hiddenDim(), c.nLayers(),
                    c.nHeads(), c.nKvHeads(), c.vocabSize(), c.seqLen(), c.headSize(), c.normEps(), c.ropeTheta(),
                    c.norm(), c.mlp(), c.positions(), false, false, true, 1, List.of(2)));
            assertSameTensors(bin, g);
            assertThat(g.format()).isEqualTo("GGUF v3 (F32)");
            assertThat(g.weights().all().stream().map(Tensor::name).toList()).startsWith("token_embd.weight",
                    "blk.0.attn_norm.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight",
                    "blk.0.attn_output.weight", "blk.0.ffn_norm.weight", "blk.0.ffn_gate.weight",
                    "blk.0.ffn_down.weight", "blk.0.ffn_up.weight").endsWith("output_norm.weight");
            assertThat(g.weights().classifier()).isSameAs(g.weights().tokenEmbedding());
        }
    }

    static void assertSameTensors(Model a, Model b) {
        List<Tensor> ta = a.weights().all();
        List<Tensor> tb = b.weights().all();
        assertThat(tb).hasSameSizeAs(ta);
        for (int i = 0; i < ta.size(); i++) {
            Tensor x = ta.get(i);
            Tensor y = tb.get(i);
            assertThat(y.type()).isEqualTo(DType.F32);
            assertThat(new long[] {y.rows(), y.cols()}).as(y.name()).containsExactly(x.rows(), x.cols());
            assertThat(y.data().mismatch(x.data())).as("%s vs %s", y.name(), x.name()).isEqualTo(-1L);
        }
    }

    @Test
    void theWrittenFileFollowsTheLayout() {
        Path gguf = GgufTestModels.write("stories260K.bin", "tok512.bin", DType.Q8_0, dir);
        try (Arena arena = Arena.ofConfined()) {
            GgufFile g = GgufFile.read(MappedFile.map(gguf, arena));
            assertThat(g.version()).isEqualTo(3);
            assertThat(g.alignment()).isEqualTo(32);
            assertThat(g.dataStart() % 32).isZero();
            long end = 0;
            for (GgufTensorInfo t : g.tensors()) {
                assertThat(t.offset() % 32).as(t.name()).isZero();
                assertThat(t.offset()).as("%s follows the previous tensor", t.name()).isGreaterThanOrEqualTo(end);
                end = t.offset() + t.byteSize();
            }
            assertThat(g.dataStart() + end).isEqualTo(gguf.toFile().length());
            assertThat(g.string("general.architecture")).isEqualTo("llama");
            assertThat(g.integer("general.file_type", 0, 100)).isEqualTo(7); // llama.cpp's MOSTLY_Q8_0
            assertThat(g.integer("llama.embedding_length", 0, 1 << 20)).isEqualTo(64);
            assertThat(g.integer("llama.feed_forward_length", 0, 1 << 20)).isEqualTo(172);
            assertThat(g.integer("llama.block_count", 0, 1 << 20)).isEqualTo(5);
            assertThat(g.integer("llama.attention.head_count", 0, 1 << 20)).isEqualTo(8);
            assertThat(g.integer("llama.attention.head_count_kv", 0, 1 << 20)).isEqualTo(4);
            assertThat(g.integer("llama.context_length", 0, 1 << 20)).isEqualTo(512);
            assertThat(g.integer("llama.rope.dimension_count", 0, 1 << 20)).isEqualTo(8);
            assertThat(g.float32("llama.attention.layer_norm_rms_epsilon")).isEqualTo(1e-5f);
            assertThat(g.float32("llama.rope.freq_base")).isEqualTo(10000f);
            // llama.cpp's rule: quantize 2-D tensors whose rows are multiples of 32; norms and 172-wide rows stay F32
            assertThat(g.tensor("blk.0.attn_q.weight").dtype()).isEqualTo(DType.Q8_0);
            assertThat(g.tensor("blk.0.attn_q.weight").ne()).containsExactly(64, 64);
            assertThat(g.tensor("blk.0.attn_k.weight").ne()).containsExactly(64, 32);
            assertThat(g.tensor("blk.0.ffn_gate.weight").dtype()).isEqualTo(DType.Q8_0);
            assertThat(g.tensor("blk.0.ffn_gate.weight").ne()).containsExactly(64, 172);
            assertThat(g.tensor("blk.0.ffn_down.weight").dtype()).isEqualTo(DType.F32);
            assertThat(g.tensor("blk.0.ffn_down.weight").ne()).containsExactly(172, 64);
            assertThat(g.tensor("token_embd.weight").dtype()).isEqualTo(DType.Q8_0);
            assertThat(g.tensor("blk.0.attn_norm.weight").dtype()).isEqualTo(DType.F32);
            assertThat(g.tensor("blk.0.attn_norm.weight").ne()).containsExactly(64);
            assertThat(g.tensor("output.weight")).isNull();
        }
    }

    @Test
    void f16AppliesToEvery2DTensorAndNormsStayF32() {
        Path gguf = GgufTestModels.write("stories260K.bin", null, DType.F16, dir);
        try (Model g = ModelLoader.load(gguf)) {
            for (Tensor t : g.weights().all()) {
                assertThat(t.type()).as(t.name()).isEqualTo(t.rows() == 1 ? DType.F32 : DType.F16);
            }
            assertThat(g.tokenizer()).isNull();
            assertThat(g.config().eosIds()).isEmpty();
        }
    }

    @Test
    void storedValuesAreTheSourceValuesRoundedToTheStoredType() {
        try (Model bin = ModelLoader.load(SharedData.model("stories260K.bin"));
             Model f16 = ModelLoader.load(GgufTestModels.write("stories260K.bin", null, DType.F16, dir));
             Model bf16 = ModelLoader.load(GgufTestModels.write("stories260K.bin", null, DType.BF16, dir))) {
            Tensor src = bin.weights().layers().get(2).w2();
            Tensor h = f16.weights().layers().get(2).w2();
            Tensor b = bf16.weights().layers().get(2).w2();
            assertThat(b.type()).isEqualTo(DType.BF16);
            for (long r = 0; r < src.rows(); r++) {
                for (int c = 0; c < src.cols(); c++) {
                    float x = src.get(r, c);
                    assertThat(h.get(r, c)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(x)));
                    // BF16 keeps the top 16 bits; rounding moves a value by at most half a BF16 ulp (2^-8 relative)
                    assertThat(Math.abs(b.get(r, c) - x)).isLessThanOrEqualTo(Math.abs(x) * 0x1p-8f);
                }
            }
        }
    }

    @Test
    void unsharedSyntheticModelRoundTripsWithIdenticalLogits() throws Exception {
        Path gguf = GgufTestModels.write("synthetic/synth_tiny_unshared_gqa4.bin", null, DType.F32, dir);
        try (Model bin = ModelLoader.load(SharedData.model("synthetic/synth_tiny_unshared_gqa4.bin"));
             Model g = ModelLoader.load(gguf)) {
            assertThat(g.config()).isEqualTo(bin.config()); // no tokenizer written, so no EOS either
            assertThat(g.config().sharedClassifier()).isFalse();
            assertThat(g.config().kvMul()).isEqualTo(4);
            assertThat(g.weights().classifier().name()).isEqualTo("output.weight");
            assertSameTensors(bin, g);
            LlamaForward a = new LlamaForward(bin.config(), bin.weights(), new ScalarMatVec(), 128);
            LlamaForward b = new LlamaForward(g.config(), g.weights(), new ScalarMatVec(), 128);
            int token = 1;
            for (int pos = 0; pos < 128; pos++) {
                float[] la = a.forward(token, pos);
                float[] lb = b.forward(token, pos);
                assertThat(lb).as("logits at %d", pos).containsExactly(la);
                token = GgufTestModels.argmax(la);
            }
            Tokenizer tok = Llama2cTokenizerFile.read(SharedData.model("tok512.bin"), 512);
            assertThat(GgufTestModels.greedy(g, tok, PROMPT, 128))
                    .isEqualTo(GgufTestModels.greedy(bin, tok, PROMPT, 128));
        }
    }

    @Test
    void whatInspectListsIsEveryTensorOfTheFileWithItsStoredType() {
        Path gguf = GgufTestModels.write("stories260K.bin", null, DType.Q4_0, dir);
        try (Model m = ModelLoader.load(gguf); Arena arena = Arena.ofConfined()) {
            GgufFile g = GgufFile.read(MappedFile.map(gguf, arena));
            assertThat(m.format()).isEqualTo("GGUF v3 (F32, Q4_0)"); // ordered by bytes: 5 F32 ffn_down dominate
            List<Tensor> all = m.weights().all();
            assertThat(all).hasSize(g.tensors().size()).hasSize(1 + 9 * 5 + 1);
            long bytes = 0;
            for (Tensor t : all) {
                GgufTensorInfo info = g.tensor(t.name());
                assertThat(info).as(t.name()).isNotNull();
                assertThat(t.type()).isEqualTo(info.dtype());
                assertThat(t.byteSize()).isEqualTo(info.byteSize());
                bytes += t.byteSize();
            }
            assertThat(bytes).isLessThan(Files.size(gguf) - g.dataStart() + 1);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void rewritingReplacesTheFileAtomicallyAndLeavesNoTemporaryFile() throws Exception {
        Path gguf = GgufTestModels.write("stories260K.bin", null, DType.F32, dir);
        long f32Size = Files.size(gguf);
        Path again = GgufTestModels.write("stories260K.bin", null, DType.F32, dir);
        assertThat(again).isEqualTo(gguf);
        assertThat(Files.size(gguf)).isEqualTo(f32Size);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .containsExactly(gguf.getFileName().toString());
        }
    }

    @Test
    void ggufQuantizedModelsKeepTheirBytesWhenRewritten() throws Exception {
        Path q4 = GgufTestModels.write("stories260K.bin", null, DType.Q4_0, dir);
        try (Model m = ModelLoader.load(q4)) {
            Path copy = dir.resolve("copy.gguf");
            GgufWriter.write(m, null, copy, GgufWriter.uniform(DType.Q4_0));
            try (Model c = ModelLoader.load(copy)) {
                List<Tensor> a = m.weights().all();
                List<Tensor> b = c.weights().all();
                for (int i = 0; i < a.size(); i++) {
                    assertThat(b.get(i).type()).isEqualTo(a.get(i).type());
                    assertThat(b.get(i).data().mismatch(a.get(i).data())).as(a.get(i).name()).isEqualTo(-1L);
                }
            }
        }
    }
}
