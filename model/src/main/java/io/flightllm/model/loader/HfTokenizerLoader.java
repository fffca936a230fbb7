package io.flightllm.model.loader;

import com.fasterxml.jackson.databind.JsonNode;
import io.flightllm.model.ModelFormatException;
import io.flightllm.model.hf.Json;
import io.flightllm.model.tokenizer.BpeTokenizer;
import io.flightllm.model.tokenizer.ByteLevel;
import io.flightllm.model.tokenizer.BpeTokenizer.Prepend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face {@code tokenizer.json} for LLaMA's SentencePiece-BPE: model type "BPE" (vocab, merges as "a b" strings
 * or [a, b] pairs, byte_fallback, unk_token), the "▁" normalizer (Prepend + Replace) or the newer Metaspace
 * pre-tokenizer, added tokens, and a SentencePiece-style decoder; or GPT-2's byte-level BPE (OPT): a "ByteLevel"
 * pre-tokenizer and decoder, no normalizer. Anything whose meaning would differ (other normalizers or pre-tokenizers,
 * dropout, subword prefixes) is refused with a message naming the field, never half-supported.
 * The post_processor is ignored: LLaMA-family models always start with BOS ({@code <s>}), byte-level (OPT) ones with
 * {@code </s>}, which is also their EOS.
 */
public final class HfTokenizerLoader {
    private static final long MAX_BYTES = 512L << 20;
    private static final int MAX_ID = 1 << 24;

    private HfTokenizerLoader() {
    }

    public static BpeTokenizer load(Path path) {
        JsonNode root = Json.object(path, "top level", Json.read(path, MAX_BYTES));
        JsonNode model = Json.object(path, "model", root.get("model"));
        String type = Json.optionalString(path, model, "type", "BPE");
        if (!type.equals("BPE")) {
            throw ModelFormatException.field(path, "model.type", '"' + type + '"',
                    "\"BPE\" (LLaMA SentencePiece-BPE; Unigram, WordPiece and WordLevel are not supported)");
        }
        if (!Json.absent(model, "dropout") && Json.requiredNumber(path, model, "dropout") != 0.0) {
            throw ModelFormatException.field(path, "model.dropout", model.get("dropout"), "null (no BPE dropout)");
        }
        for (String f : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            String v = Json.optionalString(path, model, f, "");
            if (!v.isEmpty()) {
                throw ModelFormatException.field(path, "model." + f, '"' + v + '"', "null (SentencePiece-BPE)");
            }
        }
        String[] pieces = vocabulary(path, model, root.get("added_tokens"));
        Map<String, Integer> added = addedTokens(path, root.get("added_tokens"));
        List<String[]> merges = merges(path, model);
        String unk = Json.optionalString(path, model, "unk_token", null);
        int unkId = unk == null ? -1 : idOf(path, pieces, added, unk, "model.unk_token");
        BpeTokenizer.Pretokenizer pre = pretokenizer(path, root);
        boolean byteLevel = pre.byteLevel() != null;
        int bos = byteLevel ? idOf(path, pieces, added, "</s>", "the BOS/EOS token \"</s>\" of OPT")
                : idOf(path, pieces, added, "<s>", "the BOS token \"<s>\"");
        int eos = idOf(path, pieces, added, "</s>", "the EOS token \"</s>\"");
        checkDecoder(path, root.get("decoder"), byteLevel);
        if (byteLevel && Json.optionalBoolean(path, model, "byte_fallback", false)) {
            throw ModelFormatException.field(path, "model.byte_fallback", true, "false (byte-level BPE spells bytes)");
        }
        BpeTokenizer.Options opts = new BpeTokenizer.Options(
                Json.optionalBoolean(path, model, "byte_fallback", false),
                Json.optionalBoolean(path, model, "fuse_unk", false),
                Json.optionalBoolean(path, model, "ignore_merges", false));
        try {
            return new BpeTokenizer(pieces, merges, added, unkId, bos, eos, pre, opts);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(path + ": model.merges: " + e.getMessage());
        }
    }

    /** The special tokens GPT-2-style vocabularies carry; those present are split out of the text as HF does. */
    private static final List<String> BYTE_LEVEL_SPECIALS = List.of("<s>", "<pad>", "</s>", "<unk>", "<|endoftext|>");

    /**
     * The slow-tokenizer files of a GPT-2-style checkpoint (OPT on the Hub ships these without a tokenizer.json):
     * {@code vocab.json} (piece -> id) and {@code merges.txt} (one "left right" merge per line in rank order, after an
     * optional "#version" line), read as byte-level BPE without a prefix space (GPT2Tokenizer's default); the special
     * tokens of the vocabulary are split out of the text, and {@code </s>} is BOS and EOS.
     */
    public static BpeTokenizer loadVocabMerges(Path vocabFile, Path mergesFile) {
        JsonNode vocab = Json.object(vocabFile, "top level", Json.read(vocabFile, MAX_BYTES));
        com.fasterxml.jackson.databind.node.ObjectNode model =
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        model.set("vocab", vocab);
        String[] pieces = vocabulary(vocabFile, model, null);
        Map<String, Integer> added = new LinkedHashMap<>();
        for (String sp : BYTE_LEVEL_SPECIALS) {
            if (vocab.has(sp)) {
                added.put(sp, vocab.get(sp).intValue());
            }
        }
        List<String> lines;
        try {
            if (java.nio.file.Files.size(mergesFile) > MAX_BYTES) {
                throw ModelFormatException.field(mergesFile, "size", java.nio.file.Files.size(mergesFile),
                        "at most " + MAX_BYTES + " bytes");
            }
            lines = java.nio.file.Files.readAllLines(mergesFile, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new ModelFormatException(mergesFile + ": cannot read: " + e.getMessage(), e);
        }
        List<String[]> merges = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) {
                continue;
            }
            String[] pair = line.split(" ", -1);
            if (pair.length != 2 || pair[0].isEmpty() || pair[1].isEmpty()) {
                throw ModelFormatException.field(mergesFile, "line " + (i + 1), '"' + line + '"', "\"left right\"");
            }
            merges.add(pair);
        }
        int eos = idOf(vocabFile, pieces, added, "</s>", "the BOS/EOS token \"</s>\" of OPT");
        try {
            return new BpeTokenizer(pieces, merges, added, -1, eos, eos,
                    BpeTokenizer.Pretokenizer.byteLevel(new ByteLevel(false, true)),
                    new BpeTokenizer.Options(false, false, false));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(mergesFile + ": " + e.getMessage());
        }
    }

    /** model.vocab plus added tokens, as a dense array by id. */
    private static String[] vocabulary(Path path, JsonNode model, JsonNode addedTokens) {
        JsonNode vocab = Json.object(path, "model.vocab", model.get("vocab"));
        Map<Integer, String> byId = new LinkedHashMap<>();
        int max = -1;
        for (var it = vocab.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            int id = checkId(path, "model.vocab[\"" + e.getKey() + "\"]", e.getValue());
            String prev = byId.putIfAbsent(id, e.getKey());
            if (prev != null) {
                throw ModelFormatException.field(path, "model.vocab[\"" + e.getKey() + "\"]", id,
                        "an id not already used by \"" + prev + "\"");
            }
            max = Math.max(max, id);
        }
        if (addedTokens != null && addedTokens.isArray()) {
            for (JsonNode t : addedTokens) {
                int id = checkId(path, "added_tokens id", t.get("id"));
                String content = Json.optionalString(path, t, "content", null);
                if (content == null) {
                    throw ModelFormatException.field(path, "added_tokens content", "missing", "a string");
                }
                String prev = byId.putIfAbsent(id, content);
                if (prev != null && !prev.equals(content)) {
                    throw ModelFormatException.field(path, "added_tokens[id " + id + "] content", '"' + content + '"',
                            "\"" + prev + "\", the vocabulary's piece with that id");
                }
                max = Math.max(max, id);
            }
        }
        if (max < 0) {
            throw ModelFormatException.field(path, "model.vocab", "empty", "at least one piece");
        }
        String[] pieces = new String[max + 1];
        for (var e : byId.entrySet()) {
            pieces[e.getKey()] = e.getValue();
        }
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] == null) {
                throw ModelFormatException.field(path, "model.vocab", "missing id " + i,
                        "every id in [0, " + pieces.length + ") (vocabulary ids must be dense)");
            }
        }
        return pieces;
    }

    private static int checkId(Path path, String field, JsonNode n) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0
                || n.intValue() >= MAX_ID) {
            throw ModelFormatException.field(path, field, Json.describe(n), "an id in [0, " + MAX_ID + ")");
        }
        return n.intValue();
    }

    private static Map<String, Integer> addedTokens(Path path, JsonNode addedTokens) {
        Map<String, Integer> out = new LinkedHashMap<>();
        if (addedTokens == null || addedTokens.isNull()) {
            return out;
        }
        if (!addedTokens.isArray()) {
            throw ModelFormatException.field(path, "added_tokens", Json.describe(addedTokens), "a list");
        }
        for (JsonNode t : addedTokens) {
            Json.object(path, "added_tokens entry", t);
            out.put(t.get("content").textValue(), t.get("id").intValue()); // checked in vocabulary()
        }
        return out;
    }

    private static List<String[]> merges(Path path, JsonNode model) {
        JsonNode m = model.get("merges");
        if (m == null || !m.isArray()) {
            throw ModelFormatException.field(path, "model.merges", Json.describe(m), "a list of merges");
        }
        List<String[]> out = new ArrayList<>(m.size());
        for (int i = 0; i < m.size(); i++) {
            JsonNode e = m.get(i);
            String[] pair = null;
            if (e.isTextual()) {
                String s = e.textValue();
                int sp = s.indexOf(' ');
                if (sp > 0 && sp < s.length() - 1 && s.indexOf(' ', sp + 1) < 0) {
                    pair = new String[] {s.substring(0, sp), s.substring(sp + 1)};
                }
            } else if (e.isArray() && e.size() == 2 && e.get(0).isTextual() && e.get(1).isTextual()) {
                pair = new String[] {e.get(0).textValue(), e.get(1).textValue()};
            }
            if (pair == null) {
                throw ModelFormatException.field(path, "model.merges[" + i + "]", Json.describe(e),
                        "\"left right\" or [\"left\", \"right\"]");
            }
            out.add(pair);
        }
        return out;
    }

    private static int idOf(Path path, String[] pieces, Map<String, Integer> added, String piece, String what) {
        Integer a = added.get(piece);
        if (a != null) {
            return a;
        }
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i].equals(piece)) {
                return i;
            }
        }
        throw ModelFormatException.field(path, what, "missing", "a piece of the vocabulary");
    }

    private static BpeTokenizer.Pretokenizer pretokenizer(Path path, JsonNode root) {
        boolean prepend = false;
        boolean replace = false;
        for (JsonNode n : flatten(path, "normalizer", root.get("normalizer"), "normalizers")) {
            String type = n.path("type").asText();
            switch (type) {
                case "Prepend" -> {
                    expectText(path, "normalizer Prepend.prepend", n.get("prepend"), BpeTokenizer.METASPACE);
                    prepend = true;
                }
                case "Replace" -> {
                    expectText(path, "normalizer Replace.pattern.String", n.path("pattern").get("String"), " ");
                    expectText(path, "normalizer Replace.content", n.get("content"), BpeTokenizer.METASPACE);
                    replace = true;
                }
                default -> throw ModelFormatException.field(path, "normalizer type", '"' + type + '"',
                        "Prepend(\"▁\") or Replace(\" \", \"▁\") (LLaMA SentencePiece)");
            }
        }
        Prepend metaspace = null;
        boolean split = false;
        List<JsonNode> pres = flatten(path, "pre_tokenizer", root.get("pre_tokenizer"), "pretokenizers");
        if (pres.size() == 1 && pres.get(0).path("type").asText().equals("ByteLevel")) {
            if (prepend || replace) {
                throw ModelFormatException.field(path, "normalizer", Json.describe(root.get("normalizer")),
                        "null with a ByteLevel pre-tokenizer (GPT-2 byte-level BPE)");
            }
            JsonNode n = pres.get(0);
            return BpeTokenizer.Pretokenizer.byteLevel(new ByteLevel(
                    Json.optionalBoolean(path, n, "add_prefix_space", true),
                    Json.optionalBoolean(path, n, "use_regex", true)));
        }
        for (JsonNode n : pres) {
            String type = n.path("type").asText();
            if (!type.equals("Metaspace") || metaspace != null) {
                throw ModelFormatException.field(path, "pre_tokenizer type", '"' + type + '"',
                        "one Metaspace pre-tokenizer, one ByteLevel pre-tokenizer, or none");
            }
            expectText(path, "pre_tokenizer Metaspace.replacement", n.get("replacement"), BpeTokenizer.METASPACE);
            String scheme = Json.optionalString(path, n, "prepend_scheme", null);
            if (scheme == null) {
                scheme = Json.optionalBoolean(path, n, "add_prefix_space", true) ? "always" : "never";
            }
            metaspace = switch (scheme) {
                case "always" -> Prepend.ALWAYS;
                case "first" -> Prepend.FIRST;
                case "never" -> Prepend.NEVER;
                default -> throw ModelFormatException.field(path, "pre_tokenizer Metaspace.prepend_scheme",
                        '"' + scheme + '"', "\"always\", \"first\" or \"never\"");
            };
            split = Json.optionalBoolean(path, n, "split", true);
        }
        return new BpeTokenizer.Pretokenizer(prepend, replace, metaspace, split);
    }

    /**
     * The decoder must undo "▁" and byte fallback (or the byte alphabet) the way our decode does; anything else is
     * refused.
     */
    private static void checkDecoder(Path path, JsonNode decoder, boolean byteLevel) {
        for (JsonNode n : flatten(path, "decoder", decoder, "decoders")) {
            String type = n.path("type").asText();
            if (byteLevel) {
                if (!type.equals("ByteLevel")) {
                    throw ModelFormatException.field(path, "decoder type", '"' + type + '"',
                            "\"ByteLevel\" (with a ByteLevel pre-tokenizer)");
                }
                continue;
            }
            switch (type) {
                case "Replace" -> {
                    expectText(path, "decoder Replace.pattern.String", n.path("pattern").get("String"),
                            BpeTokenizer.METASPACE);
                    expectText(path, "decoder Replace.content", n.get("content"), " ");
                }
                case "ByteFallback", "Fuse" -> {
                }
                case "Strip" -> {
                    expectText(path, "decoder Strip.content", n.get("content"), " ");
                    if (n.path("start").asInt(-1) > 1 || n.path("stop").asInt(-1) != 0) {
                        throw ModelFormatException.field(path, "decoder Strip", Json.describe(n),
                                "start at most 1 and stop 0 (the leading space of SentencePiece)");
                    }
                }
                case "Metaspace" -> expectText(path, "decoder Metaspace.replacement", n.get("replacement"),
                        BpeTokenizer.METASPACE);
                default -> throw ModelFormatException.field(path, "decoder type", '"' + type + '"',
                        "Replace(\"▁\", \" \"), ByteFallback, Fuse, Strip or Metaspace (SentencePiece decoding)");
            }
        }
    }

    /** A component (or a "Sequence" of them) as a flat list; null means none. */
    private static List<JsonNode> flatten(Path path, String field, JsonNode node, String listKey) {
        List<JsonNode> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        Json.object(path, field, node);
        if (node.path("type").asText().equals("Sequence")) {
            JsonNode list = node.get(listKey);
            if (list == null || !list.isArray()) {
                throw ModelFormatException.field(path, field + "." + listKey, Json.describe(list), "a list");
            }
            for (JsonNode n : list) {
                out.addAll(flatten(path, field, n, listKey));
            }
        } else {
            out.add(node);
        }
        return out;
    }

    private static void expectText(Path path, String field, JsonNode n, String expected) {
        if (n == null || !n.isTextual() || !n.textValue().equals(expected)) {
            throw ModelFormatException.field(path, field, Json.describe(n), '"' + expected + '"');
        }
    }
}
