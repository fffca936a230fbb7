package io.flightllm.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.model.ModelFormatException;
import io.flightllm.model.loader.GgufLoader;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import io.flightllm.model.tokenizer.Llama2cTokenizerFile;
import io.flightllm.model.tokenizer.SentencePieceTokenizer;
import io.flightllm.model.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * llama.cpp's tokenizer vectors for the LLaMA SentencePiece vocabulary: the vocabulary read from GGUF metadata and
 * the same vocabulary from llama2.c's tokenizer.bin both encode every case exactly (BOS off) and decode it back.
 */
class GgufVocabTest {
    static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    record Case(int index, String text, int[] ids) {
        @Override
        public String toString() {
            return "#" + index + " (" + text.getBytes(StandardCharsets.UTF_8).length + " bytes)";
        }
    }

    /**
     * The .inp file is the strings, each followed by the separator (so splitting leaves one empty tail, which is not
     * a case); the .out file is one line per string, ids separated by spaces (with a leading space; empty for "").
     */
    static List<Case> cases() throws Exception {
        String inp = Files.readString(SharedData.model("ggml-vocab-llama-spm.gguf.inp"), StandardCharsets.UTF_8);
        String out = Files.readString(SharedData.model("ggml-vocab-llama-spm.gguf.out"), StandardCharsets.UTF_8);
        assertThat(inp).endsWith(SEPARATOR);
        assertThat(out).endsWith("\n");
        String[] texts = inp.substring(0, inp.length() - SEPARATOR.length()).split(SEPARATOR, -1);
        String[] lines = out.substring(0, out.length() - 1).split("\n", -1);
        assertThat(lines).hasSameSizeAs(texts);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            String line = lines[i].strip();
            int[] ids = line.isEmpty() ? new int[0]
                    : Arrays.stream(line.split(" +")).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(i, texts[i], ids));
        }
        return cases;
    }

    static SentencePieceTokenizer ggufVocab() {
        return GgufLoader.loadTokenizer(SharedData.model("ggml-vocab-llama-spm.gguf"));
    }

    static SentencePieceTokenizer binVocab() {
        return Llama2cTokenizerFile.read(SharedData.model("tokenizer.bin"), 32000);
    }

    static Stream<Arguments> vectors() throws Exception {
        SentencePieceTokenizer gguf = ggufVocab();
        SentencePieceTokenizer bin = binVocab();
        return cases().stream().flatMap(c -> Stream.of(Arguments.of("gguf", gguf, c), Arguments.of("bin", bin, c)));
    }

    @Test
    void theVectorFilesHold46Cases() throws Exception {
        // 47 parts when split on the separator, the last of which is the empty tail after the final separator
        assertThat(cases()).hasSize(46);
        assertThat(cases().get(2).text()).isEmpty();
        assertThat(cases().get(2).ids()).isEmpty();
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("vectors")
    void encodesExactlyAndDecodesBack(String vocab, Tokenizer tok, Case c) {
        int[] ids = tok.encode(c.text(), false, false);
        assertThat(ids).as("ids of %s", c).containsExactly(c.ids());
        // "Decodes back": run.c's decode with the BOS rule. With BOS as the previous token of the first id, the
        // dummy-prefix space (the first piece always starts with it) is dropped and the bytes equal the input ...
        assertThat(decode(tok, tok.bosId(), ids)).as("decode after BOS of %s", c)
                .isEqualTo(c.text().getBytes(StandardCharsets.UTF_8));
        // ... and without BOS before it, the output is the input with the one dummy-prefix space in front.
        if (ids.length > 0) {
            assertThat(decode(tok, -1, ids)).isEqualTo((" " + c.text()).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Concatenates decode(prev, tok) over the ids, starting from {@code first} as the previous token. */
    static byte[] decode(Tokenizer tok, int first, int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = first;
        for (int id : ids) {
            out.writeBytes(tok.decode(prev, id));
            prev = id;
        }
        return out.toByteArray();
    }

    @Test
    void ggufAndBinVocabulariesAgree() {
        SentencePieceTokenizer gguf = ggufVocab();
        SentencePieceTokenizer bin = binVocab();
        assertThat(gguf.vocabSize()).isEqualTo(32000);
        assertThat(gguf.bosId()).isEqualTo(1);
        assertThat(gguf.eosId()).isEqualTo(2);
        for (int i = 3; i < 32000; i++) {
            assertThat(gguf.pieceBytes(i)).as("piece %d", i).isEqualTo(bin.pieceBytes(i));
        }
        for (int i = 0; i < 32000; i++) {
            assertThat(gguf.score(i)).as("score %d", i).isEqualTo(bin.score(i));
        }
        assertThat(gguf.piece(1)).isEqualTo("<s>");
        assertThat(gguf.piece(29871)).isEqualTo(" "); // U+2581 became a space
        assertThat(gguf.piece(3)).isEqualTo("<0x00>");
    }

    @Test
    void modelLoaderFindsTheGgufTokenizerByMagic() {
        Tokenizer t = ModelLoader.loadTokenizer(SharedData.model("ggml-vocab-llama-spm.gguf"), 32000);
        assertThat(t.vocabSize()).isEqualTo(32000);
        assertThat(t.encode("Hello world", true, false)).containsExactly(1, 15043, 3186);
    }

    @Test
    void aWrittenVocabularyReadsBackAsTheSame(@TempDir Path dir) {
        SentencePieceTokenizer tok512 = Llama2cTokenizerFile.read(SharedData.model("tok512.bin"), 512);
        Path p = dir.resolve("vocab.gguf");
        new GgufFileWriter(32).put("general.architecture", GgufValue.str("llama"))
                .putAll(GgufVocab.metadata(tok512)).write(p);
        SentencePieceTokenizer back = GgufLoader.loadTokenizer(p);
        assertThat(back.vocabSize()).isEqualTo(512);
        assertThat(back.piece(1)).isEqualTo("<s>"); // tok512.bin spells it "\n<s>\n"; GGUF uses llama.cpp's spelling
        assertThat(tok512.piece(1)).isEqualTo("\n<s>\n");
        for (int i = 3; i < 512; i++) {
            assertThat(back.pieceBytes(i)).isEqualTo(tok512.pieceBytes(i));
            assertThat(back.score(i)).isEqualTo(tok512.score(i));
        }
        String text = "Once upon a time, Lily saw a big red ball. \u00c4pfel \u2603";
        assertThat(back.encode(text, true, false)).containsExactly(tok512.encode(text, true, false));
    }

    @Test
    void aNonLlamaTokenizerIsRefusedByName(@TempDir Path dir) {
        SentencePieceTokenizer tok512 = Llama2cTokenizerFile.read(SharedData.model("tok512.bin"), 512);
        Path p = dir.resolve("gpt2.gguf");
        var meta = new java.util.LinkedHashMap<>(GgufVocab.metadata(tok512));
        meta.put(GgufVocab.MODEL, GgufValue.str("gpt2"));
        new GgufFileWriter(32).putAll(meta).write(p);
        assertThatThrownBy(() -> GgufLoader.loadTokenizer(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("tokenizer.ggml.model")
                .hasMessageContaining("\"gpt2\"").hasMessageContaining("expected \"llama\"");
    }
}
