package io.flightllm.model.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.model.ModelFormatException;
import io.flightllm.model.loader.HfTokenizerLoader;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.HfWriter;
import io.flightllm.model.testing.HfWriter.TokenizerStyle;
import io.flightllm.model.testing.SharedData;
import io.flightllm.model.tokenizer.BpeTokenizer;
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
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tokenizer.json: a rank-BPE tokenizer whose merges are derived from a llama2.c vocabulary encodes exactly as llama2.c's
 * score BPE does, decodes to the same bytes, and round-trips any text through byte fallback.
 */
class HfTokenizerTest {
    @TempDir
    Path tmp;

    BpeTokenizer written(String vocab, TokenizerStyle style) throws Exception {
        SentencePieceTokenizer sp = Llama2cTokenizerFile.read(SharedData.model(vocab), -1);
        Path file = tmp.resolve(vocab + "." + style + ".json");
        HfWriter.writeTokenizer(sp, file, style);
        return HfTokenizerLoader.load(file);
    }

    /** Texts for the comparison: the reference outputs, their pieces, random substrings and random piece soups. */
    static List<String> corpus(SentencePieceTokenizer sp, int randomCount) throws Exception {
        List<String> out = new ArrayList<>(List.of("", "a", " ", "  ", "   x", "Hello world", " Hello world",
                "Hello  world  ", "\t\n\r tabs\tand\nnewlines\n", "héllo wörld, ça va? Ünïcödé",
                "日本語のテキスト", "emoji 😀🎉👍🏽 and 👨‍👩‍👧", "Привет мир", "مرحبا", "🙂", "x\u0000y",
                "Once upon a time, there was a little girl named Lily.", "1234567890 3.14159 $100 #tag @user",
                "!!!???...,,,;;;:::", "once upon a time upon a time a time time"));
        for (String ref : new String[] {"stories260K_n256_empty.stdout", "stories260K_t1.0_p0.9_s133742_n256.stdout"}) {
            String text = Files.readString(SharedData.reference(ref));
            out.add(text);
            out.addAll(Arrays.asList(text.split("\n")));
            out.addAll(Arrays.asList(text.split("[.!?] ")));
        }
        Random rnd = new Random(20260526);
        List<String> base = new ArrayList<>(out);
        for (int i = 0; i < randomCount; i++) {
            String s = base.get(rnd.nextInt(base.size()));
            int a = s.isEmpty() ? 0 : rnd.nextInt(s.length());
            int b = a + rnd.nextInt(Math.min(40, s.length() - a) + 1);
            out.add(s.substring(a, b));
        }
        for (int i = 0; i < randomCount; i++) {
            StringBuilder sb = new StringBuilder();
            int parts = 1 + rnd.nextInt(8);
            for (int k = 0; k < parts; k++) {
                int id = 3 + 256 + rnd.nextInt(sp.vocabSize() - 259);
                sb.append(new String(sp.pieceBytes(id), StandardCharsets.UTF_8));
                if (rnd.nextInt(4) == 0) {
                    sb.append(" ,.é😀\n".charAt(rnd.nextInt(7)));
                }
            }
            out.add(sb.toString());
        }
        // lone surrogates are not text; both tokenizers would see "?" only after different conversions
        out.replaceAll(s -> s.replaceAll("[\\uD800-\\uDFFF](?![\\uDC00-\\uDFFF])", "x"));
        return out;
    }

    /** Strings the two algorithms are defined to agree on (added tokens are split out only by tokenizer.json). */
    static boolean comparable(String s, TokenizerStyle style) {
        boolean special = s.contains("<s>") || s.contains("</s>") || s.contains("<unk>");
        // Metaspace (newer style) does not add a second "▁" before text that already starts with a space
        boolean leadingSpace = style == TokenizerStyle.METASPACE_PAIR_MERGES && s.startsWith(" ");
        return !special && !leadingSpace;
    }

    void assertSameIdsAsLlama2c(String vocab, TokenizerStyle style, int randomCount) throws Exception {
        SentencePieceTokenizer sp = Llama2cTokenizerFile.read(SharedData.model(vocab), -1);
        BpeTokenizer bpe = written(vocab, style);
        assertThat(bpe.vocabSize()).isEqualTo(sp.vocabSize());
        assertThat(bpe.bosId()).isEqualTo(1);
        assertThat(bpe.eosId()).isEqualTo(2);
        int compared = 0;
        List<String> mismatches = new ArrayList<>();
        for (String s : corpus(sp, randomCount)) {
            if (!comparable(s, style)) {
                continue;
            }
            compared++;
            if (!Arrays.equals(bpe.encode(s, true, false), sp.encode(s, true, false))) {
                mismatches.add(s);
            }
        }
        System.out.printf("%s %s: %d merges, %d strings compared, %d mismatches%n", vocab, style, bpe.mergeCount(),
                compared, mismatches.size());
        assertThat(compared).isGreaterThan(randomCount);
        assertThat(mismatches).isEmpty();
    }

    @Test
    void tok512DerivedMergesReproduceScoreBpe() throws Exception {
        assertSameIdsAsLlama2c("tok512.bin", TokenizerStyle.NORMALIZER_STRING_MERGES, 3000);
    }

    @Test
    void tok512MetaspaceStyleReproducesScoreBpe() throws Exception {
        assertSameIdsAsLlama2c("tok512.bin", TokenizerStyle.METASPACE_PAIR_MERGES, 3000);
    }

    @Test
    void tok4096AndAidreamsVocabulariesToo() throws Exception {
        assertSameIdsAsLlama2c("tok4096.bin", TokenizerStyle.NORMALIZER_STRING_MERGES, 1000);
        assertSameIdsAsLlama2c("aidreams_tok512.bin", TokenizerStyle.NORMALIZER_STRING_MERGES, 1000);
    }

    /** The 32000-piece LLaMA vocabulary against llama.cpp's test vectors (ids without BOS). */
    @Test
    void llamaVocabularyMatchesLlamaCppTestVectors() throws Exception {
        BpeTokenizer bpe = written("tokenizer.bin", TokenizerStyle.NORMALIZER_STRING_MERGES);
        String[] inputs = Files.readString(SharedData.model("ggml-vocab-llama-spm.gguf.inp"))
                .split("\n__ggml_vocab_test__\n", -1);
        String[] outputs = Files.readString(SharedData.model("ggml-vocab-llama-spm.gguf.out")).split("\n", -1);
        assertThat(inputs).hasSize(outputs.length);
        for (int i = 0; i < inputs.length; i++) {
            String line = outputs[i].trim();
            int[] expected = line.isEmpty() ? new int[0]
                    : Arrays.stream(line.split(" +")).mapToInt(Integer::parseInt).toArray();
            assertThat(bpe.encode(inputs[i], false, false)).as("input %d: %s", i, inputs[i]).isEqualTo(expected);
        }
        assertSameIdsAsLlama2c("tokenizer.bin", TokenizerStyle.NORMALIZER_STRING_MERGES, 1000);
    }

    /** The comparison above can fail: the same merges in the wrong order (lowest score first) give other ids. */
    @Test
    void mergesInTheWrongOrderAreDetected() throws Exception {
        SentencePieceTokenizer sp = Llama2cTokenizerFile.read(SharedData.model("tok512.bin"), 512);
        List<String[]> merges = new ArrayList<>(HfWriter.deriveMerges(sp));
        java.util.Collections.reverse(merges);
        BpeTokenizer reversed = new BpeTokenizer(HfWriter.hfPieces(sp), merges, java.util.Map.of("<s>", 1), 0, 1, 2,
                new BpeTokenizer.Pretokenizer(true, true, null, false), new BpeTokenizer.Options(true, true, false));
        List<String> texts = corpus(sp, 300);
        long differing = texts.stream()
                .filter(s -> !Arrays.equals(reversed.encode(s, true, false), sp.encode(s, true, false))).count();
        System.out.printf("tok512 merges reversed: %d of %d strings differ%n", differing, texts.size());
        assertThat(differing).isGreaterThan(100);
    }

    static byte[] decodeAll(Tokenizer t, int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 1; i < ids.length; i++) {
            out.writeBytes(t.decode(ids[i - 1], ids[i]));
        }
        return out.toByteArray();
    }

    @Test
    void roundTripsTextThroughByteFallbackAndDecodesLikeLlama2c() throws Exception {
        SentencePieceTokenizer sp = Llama2cTokenizerFile.read(SharedData.model("tok512.bin"), 512);
        for (TokenizerStyle style : TokenizerStyle.values()) {
            BpeTokenizer bpe = written("tok512.bin", style);
            for (String s : corpus(sp, 300)) {
                if (s.startsWith(" ") && style == TokenizerStyle.METASPACE_PAIR_MERGES) {
                    continue; // Metaspace keeps one leading space only: " x" and "x" both decode to "x"
                }
                int[] ids = bpe.encode(s, true, false);
                assertThat(decodeAll(bpe, ids)).as(s).isEqualTo(s.getBytes(StandardCharsets.UTF_8));
                if (comparable(s, style)) {
                    assertThat(decodeAll(bpe, ids)).isEqualTo(decodeAll(sp, ids));
                }
            }
            int[] emoji = bpe.encode("😀", true, false);
            // BOS, "▁", then the four UTF-8 bytes of U+1F600 as <0xF0> <0x9F> <0x98> <0x80> (ids byte + 3)
            assertThat(emoji).containsExactly(1, bpe.lookup("\u2581"), 0xF0 + 3, 0x9F + 3, 0x98 + 3, 0x80 + 3);
        }
    }

    @Test
    void addedTokensAreSplitOutOfTheText() throws Exception {
        BpeTokenizer bpe = written("tok512.bin", TokenizerStyle.NORMALIZER_STRING_MERGES);
        int[] ids = bpe.encode("Hi</s>Hi", false, false);
        int[] hi = bpe.encode("Hi", false, false);
        // the older normalizer prepends "▁" to each segment (HF's legacy behaviour)
        int[] expected = new int[hi.length * 2 + 1];
        System.arraycopy(hi, 0, expected, 0, hi.length);
        expected[hi.length] = 2;
        System.arraycopy(hi, 0, expected, hi.length + 1, hi.length);
        assertThat(ids).isEqualTo(expected);
        BpeTokenizer neu = written("tok512.bin", TokenizerStyle.METASPACE_PAIR_MERGES);
        int[] second = neu.encode("Hi</s>Hi", false, false);
        assertThat(second[hi.length]).isEqualTo(2);
        assertThat(second.length).isGreaterThan(hi.length + 1);
        // prepend_scheme "first": the segment after </s> gets no "▁"
        assertThat(second[hi.length + 1]).isNotEqualTo(bpe.lookup("\u2581"));
    }

    @Test
    void metaspaceSplitGivesTheSameIdsForSentencePieceVocabularies() throws Exception {
        // SentencePiece pieces never continue past a "▁", so splitting words before each "▁" changes nothing
        SentencePieceTokenizer sp = Llama2cTokenizerFile.read(SharedData.model("tok512.bin"), 512);
        BpeTokenizer noSplit = written("tok512.bin", TokenizerStyle.METASPACE_PAIR_MERGES);
        Path src = tmp.resolve("tok512.bin." + TokenizerStyle.METASPACE_PAIR_MERGES + ".json");
        String json = Files.readString(src);
        assertThat(json).contains("\"split\" : false");
        Path split = tmp.resolve("split.json");
        Files.writeString(split, json.replace("\"split\" : false", "\"split\" : true"));
        BpeTokenizer withSplit = HfTokenizerLoader.load(split);
        for (String s : corpus(sp, 300)) {
            assertThat(withSplit.encode(s, true, false)).as(s).isEqualTo(noSplit.encode(s, true, false));
        }
    }

    @Test
    void stringAndPairMergeFormsLoadTheSameMerges() throws Exception {
        BpeTokenizer a = written("tok512.bin", TokenizerStyle.NORMALIZER_STRING_MERGES);
        BpeTokenizer b = written("tok512.bin", TokenizerStyle.METASPACE_PAIR_MERGES);
        assertThat(a.mergeCount()).isEqualTo(b.mergeCount()).isGreaterThan(150);
        String text = Files.readString(SharedData.reference("stories260K_n256_empty.stdout"));
        assertThat(a.encode(text, true, false)).isEqualTo(b.encode(text, true, false));
    }

    @Test
    void modelLoaderFindsTokenizerJsonByNameAndDirectory() throws Exception {
        BpeTokenizer direct = written("tok512.bin", TokenizerStyle.NORMALIZER_STRING_MERGES);
        Path dir = Files.createDirectories(tmp.resolve("tokdir"));
        Files.copy(tmp.resolve("tok512.bin." + TokenizerStyle.NORMALIZER_STRING_MERGES + ".json"),
                dir.resolve("tokenizer.json"));
        Tokenizer viaDir = ModelLoader.loadTokenizer(dir, 512);
        assertThat(viaDir.encode("Once upon a time", true, false))
                .isEqualTo(direct.encode("Once upon a time", true, false));
    }

    // ------------------------------------------------------------------ refused tokenizer.json files

    Path variant(String from, String to) throws Exception {
        written("tok512.bin", TokenizerStyle.NORMALIZER_STRING_MERGES);
        Path src = tmp.resolve("tok512.bin." + TokenizerStyle.NORMALIZER_STRING_MERGES + ".json");
        String json = Files.readString(src);
        assertThat(json).contains(from);
        Path out = tmp.resolve("variant.json");
        Files.writeString(out, json.replace(from, to));
        return out;
    }

    @Test
    void refusesWhatItCannotTokenizeFaithfully() throws Exception {
        assertThatThrownBy(() -> HfTokenizerLoader.load(variant("\"type\" : \"BPE\"", "\"type\" : \"Unigram\"")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("variant.json")
                .hasMessageContaining("model.type").hasMessageContaining("\"Unigram\"");
        assertThatThrownBy(() -> HfTokenizerLoader.load(variant("\"pre_tokenizer\" : null",
                "\"pre_tokenizer\" : {\"type\": \"ByteLevel\", \"add_prefix_space\": false}")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("normalizer")
                .hasMessageContaining("null with a ByteLevel pre-tokenizer");
        assertThatThrownBy(() -> HfTokenizerLoader.load(variant("\"type\" : \"Prepend\"", "\"type\" : \"NFKC\"")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("normalizer type");
        assertThatThrownBy(() -> HfTokenizerLoader.load(variant("\"merges\" : [ \"", "\"merges\" : [ \"nospace\", \"")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("model.merges[0]");
        assertThatThrownBy(() -> HfTokenizerLoader.load(variant("\"merges\" : [ \"", "\"merges\" : [ \"zz qq\", \"")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("model.merges")
                .hasMessageContaining("not in the vocabulary");
        assertThatThrownBy(() -> HfTokenizerLoader.load(variant("\"<0x00>\" : 3,", "\"<0x00>\" : 3000,")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("model.vocab")
                .hasMessageContaining("dense");
        assertThatThrownBy(() -> HfTokenizerLoader.load(variant("\"model\" : {", "\"model\" : {{")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("variant.json")
                .hasMessageContaining("malformed JSON at line");
    }
}
