package io.flightllm.model.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.tokenizer.SentencePieceTokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a llama2.c {@link Model} (and its tokenizer) as a Hugging Face LLaMA directory, the way HF's conversion
 * scripts lay it out: config.json, safetensors (single or sharded with an index) with q_proj/k_proj rows permuted for
 * rotate-half RoPE, and a tokenizer.json whose BPE merges are derived from the SentencePiece vocabulary and scores.
 * Test-only: it reads every weight into the heap.
 */
public final class HfWriter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Where config.json puts rope_theta: the top level with rope_scaling: null (older), or rope_parameters. */
    public enum RopeStyle { TOP_LEVEL, ROPE_PARAMETERS }

    /**
     * tokenizer.json flavours: the older Prepend/Replace normalizer with "a b" merges, or the newer Metaspace
     * pre-tokenizer (prepend_scheme "first", no split) with [a, b] merges and a Metaspace decoder.
     */
    public enum TokenizerStyle { NORMALIZER_STRING_MERGES, METASPACE_PAIR_MERGES }

    /**
     * @param dtype   "F32", "F16" or "BF16"
     * @param shards  1 for model.safetensors, more for model-0000i-of-0000n.safetensors plus the index
     * @param permute false writes q/k unpermuted (a deliberately wrong checkpoint, to show the permutation matters)
     */
    public record Options(String dtype, RopeStyle rope, int shards, TokenizerStyle tokenizer, boolean permute) {
        public static Options defaults() {
            return new Options("F32", RopeStyle.TOP_LEVEL, 1, TokenizerStyle.NORMALIZER_STRING_MERGES, true);
        }

        public Options dtype(String d) {
            return new Options(d, rope, shards, tokenizer, permute);
        }

        public Options rope(RopeStyle r) {
            return new Options(dtype, r, shards, tokenizer, permute);
        }

        public Options shards(int n) {
            return new Options(dtype, rope, n, tokenizer, permute);
        }

        public Options tokenizer(TokenizerStyle t) {
            return new Options(dtype, rope, shards, t, permute);
        }

        public Options permute(boolean p) {
            return new Options(dtype, rope, shards, tokenizer, p);
        }
    }

    /** One safetensors entry with its bytes already encoded. */
    public record Entry(String name, String dtype, long[] shape, byte[] data) {
    }

    private HfWriter() {
    }

    /** Writes {@code model} (and {@code tok}, if not null) into {@code dir}. */
    public static void write(Model model, SentencePieceTokenizer tok, Path dir, Options o) {
        try {
            Files.createDirectories(dir);
            ModelConfig c = model.config();
            Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config(c, o)));
            List<Entry> entries = entries(model, o);
            if (o.shards() <= 1) {
                writeSafetensors(dir.resolve("model.safetensors"), entries, Map.of("format", "pt"));
            } else {
                writeSharded(dir, entries, o.shards());
            }
            if (tok != null) {
                writeTokenizer(tok, dir.resolve("tokenizer.json"), o.tokenizer());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> config(ModelConfig c, Options o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of("LlamaForCausalLM"));
        m.put("model_type", "llama");
        m.put("hidden_act", "silu");
        m.put("hidden_size", c.dim());
        m.put("intermediate_size", c.hiddenDim());
        m.put("num_hidden_layers", c.nLayers());
        m.put("num_attention_heads", c.nHeads());
        m.put("num_key_value_heads", c.nKvHeads());
        m.put("head_dim", c.headSize());
        m.put("vocab_size", c.vocabSize());
        m.put("max_position_embeddings", c.seqLen());
        m.put("rms_norm_eps", Double.parseDouble(Float.toString(c.normEps())));
        double theta = Double.parseDouble(Float.toString(c.ropeTheta()));
        if (o.rope() == RopeStyle.TOP_LEVEL) {
            m.put("rope_theta", theta);
            m.put("rope_scaling", null);
        } else {
            m.put("rope_parameters", Map.of("rope_type", "default", "rope_theta", theta));
        }
        m.put("tie_word_embeddings", c.sharedClassifier());
        m.put("attention_bias", false);
        m.put("bos_token_id", 1);
        m.put("eos_token_id", 2);
        m.put("torch_dtype", switch (o.dtype()) {
            case "F16" -> "float16";
            case "BF16" -> "bfloat16";
            default -> "float32";
        });
        return m;
    }

    /** The safetensors entries {@link #write} would write for {@code model}, in file order. */
    public static List<Entry> entries(Model model, Options o) {
        ModelConfig c = model.config();
        var w = model.weights();
        List<Entry> out = new ArrayList<>();
        out.add(entry("model.embed_tokens.weight", w.tokenEmbedding(), o.dtype(), null, 0));
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights lw = w.layers().get(l);
            String p = "model.layers." + l + ".";
            int qHeads = o.permute() ? c.nHeads() : 0;
            int kHeads = o.permute() ? c.nKvHeads() : 0;
            out.add(entry(p + "input_layernorm.weight", lw.attnNorm(), o.dtype(), null, 0));
            out.add(entry(p + "self_attn.q_proj.weight", lw.wq(), o.dtype(), null, qHeads));
            out.add(entry(p + "self_attn.k_proj.weight", lw.wk(), o.dtype(), null, kHeads));
            out.add(entry(p + "self_attn.v_proj.weight", lw.wv(), o.dtype(), null, 0));
            out.add(entry(p + "self_attn.o_proj.weight", lw.wo(), o.dtype(), null, 0));
            out.add(entry(p + "post_attention_layernorm.weight", lw.ffnNorm(), o.dtype(), null, 0));
            out.add(entry(p + "mlp.gate_proj.weight", lw.w1(), o.dtype(), null, 0));
            out.add(entry(p + "mlp.up_proj.weight", lw.w3(), o.dtype(), null, 0));
            out.add(entry(p + "mlp.down_proj.weight", lw.w2(), o.dtype(), null, 0));
        }
        out.add(entry("model.norm.weight", w.finalNorm(), o.dtype(), null, 0));
        if (w.classifier() != w.tokenEmbedding()) {
            out.add(entry("lm_head.weight", w.classifier(), o.dtype(), null, 0));
        }
        return out;
    }

    /** Reads {@code t} (a vector when it has one row), permutes its rows HF's way when {@code heads > 0}. */
    private static Entry entry(String name, Tensor t, String dtype, long[] shape, int heads) {
        int rows = Math.toIntExact(t.rows());
        float[] v = new float[rows * t.cols()];
        float[] row = new float[t.cols()];
        for (int r = 0; r < rows; r++) {
            t.readRow(r, row);
            System.arraycopy(row, 0, v, r * t.cols(), t.cols());
        }
        if (heads > 0) {
            v = hfPermute(v, heads, rows, t.cols());
        }
        long[] s = shape != null ? shape : rows == 1 ? new long[] {t.cols()} : new long[] {rows, t.cols()};
        return new Entry(name, dtype, s, encode(v, dtype));
    }

    /**
     * PyTorch's {@code w.view(heads, dim1 / heads / 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)}, emulated with
     * explicit indices: the output at [h][j][i] (row (h*2 + j)*half + i) is the input at [h][i][j]
     * (row (h*half + i)*2 + j).
     */
    public static float[] hfPermute(float[] w, int heads, int dim1, int dim2) {
        int half = dim1 / heads / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < half; i++) {
                    int dst = (h * 2 + j) * half + i;
                    int src = (h * half + i) * 2 + j;
                    System.arraycopy(w, src * dim2, out, dst * dim2, dim2);
                }
            }
        }
        return out;
    }

    /** FP32 values as little-endian F32, F16 (round to nearest even) or BF16 (round to nearest even). */
    public static byte[] encode(float[] v, String dtype) {
        int size = dtype.equals("F32") ? 4 : 2;
        ByteBuffer b = ByteBuffer.allocate(v.length * size).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            switch (dtype) {
                case "F32" -> b.putFloat(x);
                case "F16" -> b.putShort(Float.floatToFloat16(x));
                case "BF16" -> b.putShort(toBf16(x));
                default -> throw new IllegalArgumentException(dtype);
            }
        }
        return b.array();
    }

    static short toBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** A safetensors file: header length, JSON header padded with spaces to 8 bytes, then the data in order. */
    public static void writeSafetensors(Path file, List<Entry> entries, Map<String, String> metadata)
            throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            header.put("__metadata__", metadata);
        }
        long at = 0;
        for (Entry e : entries) {
            header.put(e.name(), Map.of("dtype", e.dtype(), "shape", e.shape(),
                    "data_offsets", List.of(at, at + e.data().length)));
            at += e.data().length;
        }
        byte[] json = new ObjectMapper().writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] h = new byte[padded];
        java.util.Arrays.fill(h, (byte) ' ');
        System.arraycopy(json, 0, h, 0, json.length);
        writeRaw(file, padded, h, entries.stream().map(Entry::data).toList());
    }

    /** Writes a declared header length, header bytes and data blobs verbatim (for hostile-file tests). */
    public static void writeRaw(Path file, long headerLength, byte[] header, List<byte[]> data) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array());
            out.write(header);
            for (byte[] d : data) {
                out.write(d);
            }
        }
    }

    private static void writeSharded(Path dir, List<Entry> entries, int shards) throws IOException {
        Map<String, String> weightMap = new LinkedHashMap<>();
        long total = 0;
        int per = (entries.size() + shards - 1) / shards;
        for (int s = 0; s < shards; s++) {
            String name = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            List<Entry> part = entries.subList(Math.min(s * per, entries.size()),
                    Math.min((s + 1) * per, entries.size()));
            writeSafetensors(dir.resolve(name), part, Map.of("format", "pt"));
            for (Entry e : part) {
                weightMap.put(e.name(), name);
                total += e.data().length;
            }
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_size", total));
        index.put("weight_map", weightMap);
        Files.writeString(dir.resolve("model.safetensors.index.json"), JSON.writeValueAsString(index));
    }

    // ---------------------------------------------------------------- tokenizer.json

    /** The vocabulary as tokenizer.json spells it: "<s>"/"</s>" for BOS/EOS, "▁" for spaces. */
    public static String[] hfPieces(SentencePieceTokenizer t) {
        String[] out = new String[t.vocabSize()];
        for (int i = 0; i < out.length; i++) {
            out[i] = i == t.bosId() ? "<s>" : i == t.eosId() ? "</s>"
                    : new String(t.pieceBytes(i), StandardCharsets.UTF_8).replace(" ", "\u2581");
        }
        return out;
    }

    /** Ids that take no part in merges: unk, BOS, EOS and the 256 byte tokens. */
    static boolean special(int id) {
        return id < 3 + 256;
    }

    /**
     * BPE merges derived from a SentencePiece vocabulary and its scores, in rank order.
     *
     * <p>llama2.c merges, at each step, the adjacent pair whose concatenation is the highest-scoring vocabulary piece.
     * Rank BPE merges the listed pair of lowest rank. So: one merge (a, b) for every way of writing a piece as the
     * concatenation of two (non-special) pieces a and b, ranked by the piece's score, highest first. Then both
     * algorithms see the same candidate pairs and rank them the same way, except between pairs whose merged pieces
     * have equal scores: llama2.c then takes the leftmost, rank BPE the lower rank. Ties are ordered by piece id and
     * then by split point (shorter left part first); the tests measure that this never changes a result on the
     * shared vocabularies.
     */
    public static List<String[]> deriveMerges(SentencePieceTokenizer t) {
        String[] pieces = hfPieces(t);
        Map<String, Integer> ids = new java.util.HashMap<>();
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
        }
        record Merge(String a, String b, float score, int id, int split) {
        }
        List<Merge> merges = new ArrayList<>();
        for (int id = 0; id < pieces.length; id++) {
            if (special(id)) {
                continue;
            }
            String p = pieces[id];
            for (int k = p.offsetByCodePoints(0, 1); k < p.length(); k = p.offsetByCodePoints(k, 1)) {
                Integer a = ids.get(p.substring(0, k));
                Integer b = ids.get(p.substring(k));
                if (a != null && b != null && !special(a) && !special(b)) {
                    merges.add(new Merge(pieces[a], pieces[b], t.score(id), id, k));
                }
            }
        }
        merges.sort(Comparator.comparingDouble((Merge m) -> -m.score()).thenComparingInt(Merge::id)
                .thenComparingInt(Merge::split));
        return merges.stream().map(m -> new String[] {m.a(), m.b()}).toList();
    }

    public static void writeTokenizer(SentencePieceTokenizer t, Path file, TokenizerStyle style) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(tokenizerJson(t, style)));
    }

    static Map<String, Object> tokenizerJson(SentencePieceTokenizer t, TokenizerStyle style) {
        String[] pieces = hfPieces(t);
        boolean older = style == TokenizerStyle.NORMALIZER_STRING_MERGES;
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        List<Map<String, Object>> added = new ArrayList<>();
        for (int id : new int[] {0, t.bosId(), t.eosId()}) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("id", id);
            a.put("content", pieces[id]);
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", false);
            a.put("special", true);
            added.add(a);
        }
        root.put("added_tokens", added);
        if (older) {
            root.put("normalizer", Map.of("type", "Sequence", "normalizers", List.of(
                    Map.of("type", "Prepend", "prepend", "\u2581"),
                    Map.of("type", "Replace", "pattern", Map.of("String", " "), "content", "\u2581"))));
            root.put("pre_tokenizer", null);
        } else {
            root.put("normalizer", null);
            root.put("pre_tokenizer", Map.of("type", "Metaspace", "replacement", "\u2581", "prepend_scheme", "first",
                    "split", false));
        }
        root.put("post_processor", Map.of("type", "TemplateProcessing",
                "single", List.of(Map.of("SpecialToken", Map.of("id", "<s>", "type_id", 0)),
                        Map.of("Sequence", Map.of("id", "A", "type_id", 0))),
                "pair", List.of(), "special_tokens", Map.of()));
        if (older) {
            root.put("decoder", Map.of("type", "Sequence", "decoders", List.of(
                    Map.of("type", "Replace", "pattern", Map.of("String", "\u2581"), "content", " "),
                    Map.of("type", "ByteFallback"), Map.of("type", "Fuse"),
                    Map.of("type", "Strip", "content", " ", "start", 1, "stop", 0))));
        } else {
            root.put("decoder", Map.of("type", "Metaspace", "replacement", "\u2581", "prepend_scheme", "first",
                    "split", false));
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", pieces[0]);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("ignore_merges", false);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int i = 0; i < pieces.length; i++) {
            vocab.putIfAbsent(pieces[i], i);
        }
        model.put("vocab", vocab);
        List<Object> merges = new ArrayList<>();
        for (String[] m : deriveMerges(t)) {
            merges.add(older ? m[0] + " " + m[1] : List.of(m[0], m[1]));
        }
        model.put("merges", merges);
        root.put("model", model);
        return root;
    }
}
