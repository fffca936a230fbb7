package io.flightllm.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.model.ModelFormatException;
import io.flightllm.model.loader.HfTokenizerLoader;
import io.flightllm.model.testing.OptWriter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPT-2 byte-level BPE from a tokenizer.json (OPT's format): the byte alphabet, GPT-2's pre-tokenizer split, rank
 * merges, {@code </s>} as BOS/EOS, and round trips of arbitrary UTF-8 text (random strings drawn from ASCII, Latin-1,
 * CJK, emoji and other supplementary characters, combining marks and every kind of white space).
 */
class ByteLevelBpeTest {
    @TempDir
    Path tmp;

    BpeTokenizer tok;

    static final int MERGES = 60;

    @BeforeEach
    void load() throws Exception {
        tok = load(OptWriter.tokenizerJson(MERGES));
    }

    BpeTokenizer load(Map<String, Object> json) throws Exception {
        Path file = tmp.resolve("tokenizer" + System.nanoTime() + ".json");
        Files.writeString(file, new ObjectMapper().writeValueAsString(json));
        return HfTokenizerLoader.load(file);
    }

    /** The bytes {@code ids} decode to, through the Tokenizer contract. */
    static byte[] decode(Tokenizer t, int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = -1;
        for (int id : ids) {
            out.writeBytes(t.decode(prev, id));
            prev = id;
        }
        return out.toByteArray();
    }

    @Test
    void byteAlphabetIsGpt2s() {
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char ch = ByteLevel.byteChar(b);
            assertThat(seen.add(ch)).as("byte %d maps to a fresh character", b).isTrue();
            assertThat(ByteLevel.charByte(ch)).isEqualTo(b);
        }
        assertThat(ByteLevel.byteChar('A')).isEqualTo('A');
        assertThat(ByteLevel.byteChar(' ')).isEqualTo('\u0120'); // "Ġ"
        assertThat(ByteLevel.byteChar('\n')).isEqualTo('\u010A'); // "Ċ"
        assertThat(ByteLevel.byteChar(0)).isEqualTo('\u0100');
        assertThat(ByteLevel.byteChar(0xAD)).isEqualTo('\u0143'); // soft hyphen, the last non-printable byte
        assertThat(ByteLevel.byteChar(0xFF)).isEqualTo('\u00FF');
    }

    @Test
    void pretokenizerSplitsAsGpt2() {
        ByteLevel b = new ByteLevel(false, true);
        assertThat(b.words("Hello world")).containsExactly("Hello", "\u0120world");
        assertThat(b.words("I'm here  now")).containsExactly("I", "'m", "\u0120here", "\u0120", "\u0120now");
        assertThat(b.words("a\n\nb")).containsExactly("a", "\u010A", "\u010A", "b");
        assertThat(b.words("x 123!?")).containsExactly("x", "\u0120123", "!?");
        assertThat(b.words("end   ")).containsExactly("end", "\u0120\u0120\u0120");
        assertThat(new ByteLevel(true, true).words("Hi")).containsExactly("\u0120Hi");
        assertThat(new ByteLevel(false, false).words("a b")).containsExactly("a\u0120b");
    }

    @Test
    void mergesApplyAndSpecialTokensAreOpts() {
        assertThat(tok.bosId()).isEqualTo(2);
        assertThat(tok.eosId()).isEqualTo(2);
        assertThat(tok.piece(2)).isEqualTo("</s>");
        assertThat(tok.vocabSize()).isEqualTo(4 + 256 + MERGES);
        int[] ids = tok.encode("the little girl", true, true);
        assertThat(ids[0]).isEqualTo(2);
        assertThat(ids[ids.length - 1]).isEqualTo(2);
        // merges learned from the corpus shorten its own words
        assertThat(ids.length - 2).isLessThan("the little girl".length());
        assertThat(tok.lookup("\u0120the")).isGreaterThanOrEqualTo(260);
        assertThat(tok.encode(" the", false, false)).containsExactly(tok.lookup("\u0120the"));
        // "</s>" inside the text is the special token, and decodes back to its text
        int[] s = tok.encode("a</s>b", false, false);
        assertThat(s).containsExactly(tok.lookup("a"), 2, tok.lookup("b"));
        assertThat(new String(decode(tok, s), StandardCharsets.UTF_8)).isEqualTo("a</s>b");
        // no leading-space rule after BOS (that is SentencePiece's)
        assertThat(tok.decode(2, tok.lookup("\u0120the"))).isEqualTo(" the".getBytes(StandardCharsets.UTF_8));
        // ids past the tokenizer (OPT's padding rows) decode to nothing
        assertThat(tok.decode(5, tok.vocabSize() + 3)).isEmpty();
    }

    @Test
    void fixedTextsRoundTrip() {
        for (String text : List.of("", " ", "   ", "\n", "\n\n\n", "  \t  \n ", "Hello world", " Hello world  ",
                "line one\nline two\r\nline three\n", "emoji 😀🎉👍🏽 and 👨‍👩‍👧 family", "東京は大きい都市です。",
                "中文字符和English混合", "héllo wörld, ça va? Ünïcödé", "Привет мир", "مرحبا بالعالم",
                "combining e\u0301 and a\u0308", "nbsp\u00A0and ideographic\u3000space", "x\u0000y\u007F\u0085z",
                "It's 2024; we'll see. You've, they're, I'd", "tabs\t\tand    runs     of spaces",
                "</s>", "</s></s>text</s>", "<s> <pad> <unk>", OptWriter.CORPUS)) {
            int[] ids = tok.encode(text, false, false);
            assertThat(new String(decode(tok, ids), StandardCharsets.UTF_8)).as("round trip of %s", text)
                    .isEqualTo(text);
        }
    }

    /** Code point pools for random text: each round trip draws from several. */
    static final int[][] POOLS = {
        {0x20, 0x7E}, {0x09, 0x0D}, {0x20, 0x20}, {0xA0, 0xFF}, {0x0100, 0x024F}, {0x0300, 0x036F},
        {0x0400, 0x04FF}, {0x0600, 0x06FF}, {0x3000, 0x303F}, {0x3040, 0x30FF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3},
        {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x1D400, 0x1D7FF}, {0x2000, 0x206F}, {0xE000, 0xE0FF},
        {0x0000, 0x001F}, {0x10000, 0x1007F}, {0x10FF00, 0x10FFFF}};

    static String randomText(SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder();
        int len = rnd.nextInt(0, 40);
        for (int i = 0; i < len; i++) {
            int[] pool = POOLS[rnd.nextInt(POOLS.length)];
            int cp = rnd.nextInt(pool[0], pool[1] + 1);
            if (rnd.nextInt(6) == 0) {
                sb.append(" ".repeat(rnd.nextInt(1, 5))); // runs of spaces
            }
            if (rnd.nextInt(20) == 0) {
                sb.append("</s>");
            }
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    @Test
    void randomUtf8TextRoundTrips() {
        SplittableRandom rnd = new SplittableRandom(20261126);
        List<String> failures = new ArrayList<>();
        int tokens = 0;
        for (int i = 0; i < 2000; i++) {
            String text = randomText(rnd);
            int[] ids = tok.encode(text, i % 2 == 0, false);
            tokens += ids.length;
            int from = i % 2 == 0 ? 1 : 0;
            int[] body = java.util.Arrays.copyOfRange(ids, from, ids.length);
            if (!java.util.Arrays.equals(decode(tok, body), text.getBytes(StandardCharsets.UTF_8))) {
                failures.add(text);
            }
        }
        assertThat(failures).isEmpty();
        assertThat(tokens).isGreaterThan(2000);
    }

    /** The Hub's slow-tokenizer files (vocab.json, merges.txt with its #version line) give the same tokenizer. */
    @Test
    void vocabJsonAndMergesTxtEncodeAsTokenizerJson() throws Exception {
        Map<String, Object> json = OptWriter.tokenizerJson(MERGES);
        @SuppressWarnings("unchecked")
        Map<String, Object> model = (Map<String, Object>) json.get("model");
        Path vocab = tmp.resolve("vocab.json");
        Path merges = tmp.resolve("merges.txt");
        Files.writeString(vocab, new ObjectMapper().writeValueAsString(model.get("vocab")));
        @SuppressWarnings("unchecked")
        List<String> lines = new ArrayList<>((List<String>) model.get("merges"));
        lines.addFirst("#version: 0.2");
        Files.write(merges, lines);
        BpeTokenizer slow = HfTokenizerLoader.loadVocabMerges(vocab, merges);
        assertThat(slow.vocabSize()).isEqualTo(tok.vocabSize());
        assertThat(slow.bosId()).isEqualTo(2);
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 300; i++) {
            String text = i == 0 ? OptWriter.CORPUS : randomText(rnd);
            assertThat(slow.encode(text, true, false)).as(text).isEqualTo(tok.encode(text, true, false));
        }
        Files.writeString(merges, "#version: 0.2\nĠ t\nbad line here\n");
        assertThatThrownBy(() -> HfTokenizerLoader.loadVocabMerges(vocab, merges))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("merges.txt")
                .hasMessageContaining("line 3");
    }

    /** Test of the test: a vocabulary with two byte pieces swapped is caught by the same round-trip check. */
    @Test
    void roundTripCheckCatchesACorruptedVocabulary() throws Exception {
        Map<String, Object> json = OptWriter.tokenizerJson(0);
        @SuppressWarnings("unchecked")
        Map<String, Integer> vocab = (Map<String, Integer>) ((Map<String, Object>) json.get("model")).get("vocab");
        // swap the ids of the characters for 'a' and 'b': a tokenizer with a corrupted table
        int a = vocab.get("a");
        vocab.put("a", vocab.get("b"));
        vocab.put("b", a);
        BpeTokenizer wrong = load(json);
        int[] ids = tok.encode("abc", false, false);
        assertThat(new String(decode(wrong, ids), StandardCharsets.UTF_8)).isNotEqualTo("abc");
    }

    @Test
    void refusesWhatItWouldMisread() throws Exception {
        Map<String, Object> json = OptWriter.tokenizerJson(4);
        json.put("decoder", Map.of("type", "Metaspace", "replacement", "\u2581"));
        assertThatThrownBy(() -> load(json)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("decoder type").hasMessageContaining("ByteLevel");
        Map<String, Object> split = OptWriter.tokenizerJson(4);
        split.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(
                Map.of("type", "Split", "pattern", Map.of("Regex", "x"), "behavior", "Isolated"),
                Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", false))));
        assertThatThrownBy(() -> load(split)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("pre_tokenizer type").hasMessageContaining("\"Split\"");
    }
}
