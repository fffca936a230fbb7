package io.flightllm.model.loader;

import com.fasterxml.jackson.databind.JsonNode;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;
import io.flightllm.model.Tensor;
import io.flightllm.model.Weights;
import io.flightllm.model.hf.HfConfig;
import io.flightllm.model.hf.Json;
import io.flightllm.model.hf.RopePermutation;
import io.flightllm.model.hf.SafetensorsFile;
import io.flightllm.model.tokenizer.Tokenizer;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Hugging Face LLaMA and OPT directories ({@link OptTensors} names OPT's tensors): {@code config.json}, then either
 * {@code model.safetensors} or the shards listed in {@code model.safetensors.index.json}, all memory-mapped (F32, F16
 * or BF16), plus {@code tokenizer.json} when present (for OPT, else {@code vocab.json} with {@code merges.txt}).
 * LLaMA's q_proj/k_proj are exposed through a row-order view that undoes HF's RoPE permutation (see
 * {@link RopePermutation}), so the weights are never copied.
 */
public final class SafetensorsLoader {
    public static final String CONFIG = "config.json";
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    public static final String TOKENIZER = "tokenizer.json";
    private static final long MAX_INDEX_BYTES = 64L << 20;

    private SafetensorsLoader() {
    }

    public static Model load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": not a directory; expected a Hugging Face model directory");
        }
        Path configFile = dir.resolve(CONFIG);
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFormatException(configFile + ": file not found; a Hugging Face model directory needs "
                    + CONFIG);
        }
        ModelConfig c = HfConfig.read(configFile);
        Arena arena = Arena.ofShared();
        try {
            Tensors source = openTensors(dir, arena);
            Loader l = new Loader(source, c.family());
            if (c.family() == ModelConfig.Family.OPT) {
                return finish(dir, l, OptTensors.load(c, l, dir), arena);
            }
            Tensor emb = l.get("model.embed_tokens.weight", c.vocabSize(), c.dim(), "vocab_size, hidden_size");
            List<LayerWeights> layers = new ArrayList<>(c.nLayers());
            int[] qOrder = RopePermutation.storedRows(c.nHeads(), c.headSize());
            int[] kOrder = RopePermutation.storedRows(c.nKvHeads(), c.headSize());
            for (int i = 0; i < c.nLayers(); i++) {
                String p = "model.layers." + i + ".";
                Tensor q = l.get(p + "self_attn.q_proj.weight", c.qDim(), c.dim(),
                        "num_attention_heads * head_dim, hidden_size");
                Tensor k = l.get(p + "self_attn.k_proj.weight", c.kvDim(), c.dim(),
                        "num_key_value_heads * head_dim, hidden_size");
                layers.add(LayerWeights.llama(
                        l.get(p + "input_layernorm.weight", 1, c.dim(), "hidden_size"),
                        q.withRowOrder(q.name(), qOrder),
                        k.withRowOrder(k.name(), kOrder),
                        l.get(p + "self_attn.v_proj.weight", c.kvDim(), c.dim(),
                                "num_key_value_heads * head_dim, hidden_size"),
                        l.get(p + "self_attn.o_proj.weight", c.dim(), c.qDim(),
                                "hidden_size, num_attention_heads * head_dim"),
                        l.get(p + "post_attention_layernorm.weight", 1, c.dim(), "hidden_size"),
                        l.get(p + "mlp.gate_proj.weight", c.hiddenDim(), c.dim(), "intermediate_size, hidden_size"),
                        l.get(p + "mlp.down_proj.weight", c.dim(), c.hiddenDim(), "hidden_size, intermediate_size"),
                        l.get(p + "mlp.up_proj.weight", c.hiddenDim(), c.dim(), "intermediate_size, hidden_size")));
            }
            Tensor norm = l.get("model.norm.weight", 1, c.dim(), "hidden_size");
            boolean shared = c.sharedClassifier() || !source.byName().containsKey("lm_head.weight");
            Tensor cls = shared ? emb : l.get("lm_head.weight", c.vocabSize(), c.dim(), "vocab_size, hidden_size");
            if (shared != c.sharedClassifier()) {
                c = c.withSharedClassifier(true);
            }
            Weights w = new Weights(emb, null, layers, norm, null, cls).validate(c, dir);
            return finish(dir, l, new Loaded(c, w), arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** A config with the weights it describes. */
    record Loaded(ModelConfig config, Weights weights) {
    }

    private static Model finish(Path dir, Loader l, Loaded m, Arena arena) {
        Path tokFile = dir.resolve(TOKENIZER);
        Tokenizer tok = Files.isRegularFile(tokFile) ? HfTokenizerLoader.load(tokFile) : null;
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        if (tok == null && m.config().family() == ModelConfig.Family.OPT && Files.isRegularFile(vocab)
                && Files.isRegularFile(merges)) {
            tok = HfTokenizerLoader.loadVocabMerges(vocab, merges);
        }
        long files = l.source.byName().values().stream().distinct().count();
        String format = "Hugging Face safetensors (" + String.join(", ", l.dtypes)
                + (files > 1 ? ", " + files + " shards" : "") + ")";
        return new Model(dir, format, m.config(), m.weights(), tok, arena);
    }

    /** Where each tensor lives; {@code origin} is model.safetensors or the index (named when a tensor is missing). */
    record Tensors(Path origin, Map<String, SafetensorsFile> byName) {
    }

    /** Fetches tensors by name with the shape the config implies, naming the file on mismatch. */
    static final class Loader {
        final Tensors source;
        final ModelConfig.Family family;
        final TreeSet<String> dtypes = new TreeSet<>();

        Loader(Tensors source, ModelConfig.Family family) {
            this.source = source;
            this.family = family;
        }

        boolean has(String name) {
            return source.byName().containsKey(name);
        }

        Tensor get(String name, long rows, int cols, String fromConfig) {
            SafetensorsFile f = source.byName().get(name);
            if (f == null) {
                throw new ModelFormatException(source.origin() + ": tensor \"" + name + "\" of shape ["
                        + (rows == 1 ? "" : rows + ", ") + cols + "] (" + fromConfig + " from config.json) is missing; "
                        + "expected " + (family == ModelConfig.Family.OPT ? "an OPT" : "a LLaMA")
                        + " checkpoint with HF tensor names");
            }
            Tensor t = f.tensor(name);
            if (t.rows() != rows || t.cols() != cols) {
                throw ModelFormatException.field(f.path(), "tensor \"" + name + "\" shape",
                        "[" + (t.rows() == 1 ? "" : t.rows() + ", ") + t.cols() + "]",
                        "[" + (rows == 1 ? "" : rows + ", ") + cols + "] (" + fromConfig + " from config.json)");
            }
            dtypes.add(t.type().name());
            return t;
        }
    }

    /** Tensor name -> the file that holds it: {@code model.safetensors}, else the shards of the index. */
    private static Tensors openTensors(Path dir, Arena arena) {
        Map<String, SafetensorsFile> out = new LinkedHashMap<>();
        Path single = dir.resolve(SINGLE);
        if (Files.isRegularFile(single)) {
            SafetensorsFile f = SafetensorsFile.open(single, arena);
            f.entries().keySet().forEach(n -> out.put(n, f));
            return new Tensors(single, out);
        }
        Path index = dir.resolve(INDEX);
        if (!Files.isRegularFile(index)) {
            throw new ModelFormatException(dir + ": no " + SINGLE + " and no " + INDEX
                    + "; expected the weights of a Hugging Face model in safetensors form");
        }
        JsonNode root = Json.object(index, "top level", Json.read(index, MAX_INDEX_BYTES));
        JsonNode map = Json.object(index, "weight_map", root.get("weight_map"));
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        for (var it = map.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            String field = "weight_map[\"" + e.getKey() + "\"]";
            if (!e.getValue().isTextual()) {
                throw ModelFormatException.field(index, field, Json.describe(e.getValue()), "a shard file name");
            }
            String shard = e.getValue().textValue();
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals(".")
                    || shard.equals("..")) {
                throw ModelFormatException.field(index, field, '"' + shard + '"',
                        "a file name inside the model directory");
            }
            SafetensorsFile f = shards.get(shard);
            if (f == null) {
                Path p = dir.resolve(shard);
                if (!Files.isRegularFile(p)) {
                    throw ModelFormatException.field(index, field, '"' + shard + '"',
                            "an existing shard file (" + p + " is missing)");
                }
                f = SafetensorsFile.open(p, arena);
                shards.put(shard, f);
            }
            if (!f.entries().containsKey(e.getKey())) {
                throw ModelFormatException.field(index, field, '"' + shard + '"',
                        "the shard that holds the tensor (" + f.path() + " does not)");
            }
            out.put(e.getKey(), f);
        }
        return new Tensors(index, out);
    }
}
