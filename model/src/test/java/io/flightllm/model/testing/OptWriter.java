package io.flightllm.model.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flightllm.model.tokenizer.ByteLevel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes small random OPT checkpoints in Hugging Face layout: config.json as transformers' OPTConfig spells it,
 * model.safetensors with HF's tensor names (embed_positions with its 2 extra rows, biases, LayerNorms, project_in/out,
 * lm_head when untied) and a tokenizer.json with a small GPT-2 byte-level BPE (OPT's four special tokens, the 256
 * byte characters, and merges learned from {@link #CORPUS}). The weights are uniform random, scaled so activations stay
 * O(1) through the layers.
 */
public final class OptWriter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Text the test tokenizer's merges are learned from. */
    public static final String CORPUS = "Once upon a time, there was a little girl named Lily. She liked to play "
            + "outside in the park with her friends. The sun was shining and the birds were singing.\n"
            + "Hello world! It's 2024; the model's weights aren't real. 東京は大きい都市です。 😀 👍\n";

    /** OPT's special tokens, ids 0..3 as in facebook/opt-*. */
    public static final List<String> SPECIALS = List.of("<s>", "<pad>", "</s>", "<unk>");

    /**
     * A model shape and its variation points.
     *
     * @param embedDim   word_embed_proj_dim (project_in/out when it differs from dim)
     * @param padVocab   model rows past the tokenizer's vocabulary (OPT pads 50265 to 50272)
     * @param prefix     "model." (OPTForCausalLM) or "" (checkpoints saved without it)
     */
    public record Spec(int dim, int ffn, int layers, int heads, int seqLen, int embedDim, boolean normBefore,
                       boolean tied, int merges, int padVocab, String prefix, long seed) {
        public static Spec preLn() {
            return new Spec(24, 40, 2, 3, 32, 24, true, true, 60, 5, "model.", 1);
        }

        public Spec postLn() {
            return new Spec(dim, ffn, layers, heads, seqLen, embedDim, false, tied, merges, padVocab, prefix, seed);
        }

        public Spec embedDim(int e) {
            return new Spec(dim, ffn, layers, heads, seqLen, e, normBefore, tied, merges, padVocab, prefix, seed);
        }

        public Spec untied() {
            return new Spec(dim, ffn, layers, heads, seqLen, embedDim, normBefore, false, merges, padVocab, prefix,
                    seed);
        }

        public Spec prefix(String p) {
            return new Spec(dim, ffn, layers, heads, seqLen, embedDim, normBefore, tied, merges, padVocab, p, seed);
        }

        public Spec shape(int d, int f, int l, int h) {
            return new Spec(d, f, l, h, seqLen, embedDim == dim ? d : embedDim, normBefore, tied, merges, padVocab,
                    prefix, seed);
        }

        public Spec seed(long s) {
            return new Spec(dim, ffn, layers, heads, seqLen, embedDim, normBefore, tied, merges, padVocab, prefix, s);
        }

        public int tokenizerVocab() {
            return ((Map<?, ?>) ((Map<?, ?>) tokenizerJson(merges).get("model")).get("vocab")).size();
        }

        public int vocab() {
            return tokenizerVocab() + padVocab;
        }
    }

    private OptWriter() {
    }

    /** Writes config.json, model.safetensors and tokenizer.json of a random model with {@code s} into {@code dir}. */
    public static void write(Spec s, Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config(s)));
            HfWriter.writeSafetensors(dir.resolve("model.safetensors"), entries(s), Map.of("format", "pt"));
            Files.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(tokenizerJson(s.merges())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Map<String, Object> config(Spec s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_remove_final_layer_norm", false);
        m.put("activation_dropout", 0.0);
        m.put("activation_function", "relu");
        m.put("architectures", List.of("OPTForCausalLM"));
        m.put("attention_dropout", 0.0);
        m.put("bos_token_id", 2);
        m.put("do_layer_norm_before", s.normBefore());
        m.put("dropout", 0.1);
        m.put("enable_bias", true);
        m.put("eos_token_id", 2);
        m.put("ffn_dim", s.ffn());
        m.put("hidden_size", s.dim());
        m.put("init_std", 0.02);
        m.put("layer_norm_elementwise_affine", true);
        m.put("layerdrop", 0.0);
        m.put("max_position_embeddings", s.seqLen());
        m.put("model_type", "opt");
        m.put("num_attention_heads", s.heads());
        m.put("num_hidden_layers", s.layers());
        m.put("pad_token_id", 1);
        m.put("prefix", "</s>");
        m.put("tie_word_embeddings", s.tied());
        m.put("torch_dtype", "float32");
        m.put("use_cache", true);
        m.put("vocab_size", s.vocab());
        m.put("word_embed_proj_dim", s.embedDim());
        return m;
    }

    /** The safetensors entries of the random model, in HF's state-dict order. */
    public static List<HfWriter.Entry> entries(Spec s) {
        SplittableRandom rnd = new SplittableRandom(s.seed());
        List<HfWriter.Entry> out = new ArrayList<>();
        String d = s.prefix() + "decoder.";
        int dim = s.dim();
        out.add(matrix(d + "embed_tokens.weight", s.vocab(), s.embedDim(), 1.0f, rnd));
        out.add(matrix(d + "embed_positions.weight", s.seqLen() + 2, dim, 0.5f, rnd));
        if (s.normBefore()) {
            out.add(vector(d + "final_layer_norm.weight", dim, 1.0f, 0.2f, rnd));
            out.add(vector(d + "final_layer_norm.bias", dim, 0.0f, 0.1f, rnd));
        }
        if (s.embedDim() != dim) {
            out.add(matrix(d + "project_out.weight", s.embedDim(), dim, scale(dim), rnd));
            out.add(matrix(d + "project_in.weight", dim, s.embedDim(), scale(s.embedDim()), rnd));
        }
        for (int l = 0; l < s.layers(); l++) {
            String p = d + "layers." + l + ".";
            for (String proj : new String[] {"k_proj", "v_proj", "q_proj", "out_proj"}) {
                // q and k larger than 1/sqrt(n), so attention is far from uniform and positions matter
                float a = proj.equals("q_proj") || proj.equals("k_proj") ? 3 * scale(dim) : scale(dim);
                out.add(matrix(p + "self_attn." + proj + ".weight", dim, dim, a, rnd));
                out.add(vector(p + "self_attn." + proj + ".bias", dim, 0.0f, 0.1f, rnd));
            }
            out.add(vector(p + "self_attn_layer_norm.weight", dim, 1.0f, 0.2f, rnd));
            out.add(vector(p + "self_attn_layer_norm.bias", dim, 0.0f, 0.1f, rnd));
            out.add(matrix(p + "fc1.weight", s.ffn(), dim, scale(dim), rnd));
            out.add(vector(p + "fc1.bias", s.ffn(), 0.0f, 0.1f, rnd));
            out.add(matrix(p + "fc2.weight", dim, s.ffn(), scale(s.ffn()), rnd));
            out.add(vector(p + "fc2.bias", dim, 0.0f, 0.1f, rnd));
            out.add(vector(p + "final_layer_norm.weight", dim, 1.0f, 0.2f, rnd));
            out.add(vector(p + "final_layer_norm.bias", dim, 0.0f, 0.1f, rnd));
        }
        if (!s.tied()) {
            out.add(matrix("lm_head.weight", s.vocab(), s.embedDim(), scale(s.embedDim()), rnd));
        }
        return out;
    }

    /** The F32 entries decoded back to floats, by tensor name. */
    public static Map<String, float[]> floats(List<HfWriter.Entry> entries) {
        Map<String, float[]> out = new HashMap<>();
        for (HfWriter.Entry e : entries) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(e.data()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[e.data().length / 4];
            for (int i = 0; i < v.length; i++) {
                v[i] = b.getFloat();
            }
            out.put(e.name(), v);
        }
        return out;
    }

    private static float scale(int fanIn) {
        return (float) Math.sqrt(3.0 / fanIn);
    }

    private static HfWriter.Entry matrix(String name, int rows, int cols, float a, SplittableRandom rnd) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((rnd.nextDouble() * 2 - 1) * a);
        }
        return new HfWriter.Entry(name, "F32", new long[] {rows, cols}, HfWriter.encode(v, "F32"));
    }

    private static HfWriter.Entry vector(String name, int n, float center, float a, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (center + (rnd.nextDouble() * 2 - 1) * a);
        }
        return new HfWriter.Entry(name, "F32", new long[] {n}, HfWriter.encode(v, "F32"));
    }

    // ---------------------------------------------------------------- tokenizer.json

    /**
     * Byte-level BPE merges learned from {@link #CORPUS} the classic way: split into GPT-2 words, then {@code count}
     * times merge the most frequent adjacent pair (ties: the smaller pair in string order).
     */
    public static List<String[]> learnMerges(int count) {
        List<List<String>> words = new ArrayList<>();
        for (String w : new ByteLevel(false, true).words(CORPUS)) {
            List<String> sym = new ArrayList<>();
            for (char ch : w.toCharArray()) {
                sym.add(String.valueOf(ch));
            }
            words.add(sym);
        }
        List<String[]> merges = new ArrayList<>();
        while (merges.size() < count) {
            Map<String, Integer> freq = new HashMap<>();
            for (List<String> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) {
                    freq.merge(w.get(i) + " " + w.get(i + 1), 1, Integer::sum);
                }
            }
            String best = null;
            for (var e : freq.entrySet()) {
                if (best == null || e.getValue() > freq.get(best)
                        || (e.getValue().equals(freq.get(best)) && e.getKey().compareTo(best) < 0)) {
                    best = e.getKey();
                }
            }
            if (best == null) {
                throw new IllegalStateException("the corpus allows only " + merges.size() + " merges");
            }
            String[] pair = best.split(" ");
            merges.add(pair);
            for (List<String> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) {
                    if (w.get(i).equals(pair[0]) && w.get(i + 1).equals(pair[1])) {
                        w.set(i, pair[0] + pair[1]);
                        w.remove(i + 1);
                    }
                }
            }
        }
        return merges;
    }

    /** tokenizer.json as HF writes it for OPT (GPT2TokenizerFast): ByteLevel pre-tokenizer and decoder, BPE model. */
    public static Map<String, Object> tokenizerJson(int mergeCount) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String sp : SPECIALS) {
            vocab.put(sp, vocab.size());
        }
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevel.byteChar(b)), vocab.size());
        }
        List<String[]> merges = learnMerges(mergeCount);
        for (String[] m : merges) {
            vocab.putIfAbsent(m[0] + m[1], vocab.size());
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        List<Map<String, Object>> added = new ArrayList<>();
        for (String sp : SPECIALS) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("id", vocab.get(sp));
            a.put("content", sp);
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", true);
            a.put("special", true);
            added.add(a);
        }
        root.put("added_tokens", added);
        root.put("normalizer", null);
        root.put("pre_tokenizer", Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true,
                "use_regex", true));
        root.put("post_processor", Map.of("type", "TemplateProcessing",
                "single", List.of(Map.of("SpecialToken", Map.of("id", "</s>", "type_id", 0)),
                        Map.of("Sequence", Map.of("id", "A", "type_id", 0))),
                "pair", List.of(), "special_tokens", Map.of()));
        root.put("decoder", Map.of("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", true,
                "use_regex", true));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("vocab", vocab);
        model.put("merges", merges.stream().map(m -> m[0] + " " + m[1]).toList());
        root.put("model", model);
        return root;
    }
}
