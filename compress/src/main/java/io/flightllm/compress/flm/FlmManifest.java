package io.flightllm.compress.flm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.algo.AttentionMask;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The JSON manifest of a {@code .flm} file (schema in docs/flm.md). {@link #parse} checks the schema field by field and
 * reports the first violation as a {@link ModelFormatException} naming the file, the JSON path and what was expected.
 */
public record FlmManifest(int formatVersion, ModelConfig config, int paddedHeadSize, String recipe,
                          String tokenEmbedding, String positionEmbedding, String finalNorm, String finalNormBias,
                          List<LayerEntry> layers, LinearEntry classifier, List<Payload> payloads,
                          AttentionMask attentionMask) {
    public static final String FORMAT = "flightllm.flm";

    public FlmManifest {
        layers = List.copyOf(layers);
        payloads = List.copyOf(payloads);
    }

    /** A region of the file: 64-byte aligned offset, length, CRC32C of its bytes. */
    public record Payload(String name, long offset, long length, long crc32c) {
    }

    /** One layer's norms (the biases null without LayerNorm biases) and linears. */
    public record LayerEntry(String attnNorm, String attnNormBias, String ffnNorm, String ffnNormBias,
                             List<LinearEntry> linears) {
        public LayerEntry {
            linears = List.copyOf(linears);
        }
    }

    /**
     * One compressed linear; {@code positions} (the index payload, in {@code indexEncoding}) is null when no block is
     * sparse, {@code bias} when there is none.
     */
    public record LinearEntry(String name, LinearKind kind, int rows, int cols, int bits, int groupSize,
                              String values, String positions, IndexEncoding indexEncoding, String densities,
                              String scales, String bias) {
    }

    // ---------------------------------------------------------------- writing

    public ObjectNode toJson(ObjectMapper om) {
        ObjectNode o = om.createObjectNode();
        o.put("format", FORMAT);
        o.put("format_version", formatVersion);
        o.set("config", configJson(om, config));
        o.put("padded_head_size", paddedHeadSize);
        o.put("recipe", recipe);
        o.put("token_embedding", tokenEmbedding);
        o.put("position_embedding", positionEmbedding);
        o.put("final_norm", finalNorm);
        o.put("final_norm_bias", finalNormBias);
        ArrayNode ls = o.putArray("layers");
        for (LayerEntry l : layers) {
            ObjectNode e = ls.addObject();
            e.put("attn_norm", l.attnNorm());
            e.put("attn_norm_bias", l.attnNormBias());
            e.put("ffn_norm", l.ffnNorm());
            e.put("ffn_norm_bias", l.ffnNormBias());
            ArrayNode lin = e.putArray("linears");
            l.linears().forEach(x -> lin.add(linearJson(om, x)));
        }
        o.set("classifier", linearJson(om, classifier));
        if (attentionMask != null) {
            o.putObject("attention_mask").put("block_size", attentionMask.blockSize())
                    .put("sink_blocks", attentionMask.sinkBlocks()).put("local_blocks", attentionMask.localBlocks());
        }
        ArrayNode ps = o.putArray("payloads");
        for (Payload p : payloads) {
            ObjectNode e = ps.addObject();
            e.put("name", p.name());
            e.put("offset", p.offset());
            e.put("length", p.length());
            e.put("crc32c", p.crc32c());
        }
        return o;
    }

    private static ObjectNode linearJson(ObjectMapper om, LinearEntry l) {
        ObjectNode o = om.createObjectNode();
        o.put("name", l.name());
        o.put("kind", l.kind().id());
        o.put("rows", l.rows());
        o.put("cols", l.cols());
        o.put("bits", l.bits());
        o.put("group_size", l.groupSize());
        o.put("values", l.values());
        o.put("positions", l.positions());
        o.put("index_encoding", l.indexEncoding().id());
        o.put("densities", l.densities());
        o.put("scales", l.scales());
        o.put("bias", l.bias());
        return o;
    }

    private static ObjectNode configJson(ObjectMapper om, ModelConfig c) {
        ObjectNode o = om.createObjectNode();
        o.put("family", c.family().name());
        o.put("dim", c.dim());
        o.put("hidden_dim", c.hiddenDim());
        o.put("n_layers", c.nLayers());
        o.put("n_heads", c.nHeads());
        o.put("n_kv_heads", c.nKvHeads());
        o.put("vocab_size", c.vocabSize());
        o.put("seq_len", c.seqLen());
        o.put("head_size", c.headSize());
        // exact FP32 bit patterns (numerics contract); the decimal forms are for people only
        o.put("norm_eps_bits", Float.floatToRawIntBits(c.normEps()));
        o.put("norm_eps", c.normEps());
        o.put("rope_theta_bits", Float.floatToRawIntBits(c.ropeTheta()));
        o.put("rope_theta", c.ropeTheta());
        o.put("norm", c.norm().name());
        o.put("mlp", c.mlp().name());
        o.put("positions", c.positions().name());
        o.put("attention_bias", c.attentionBias());
        o.put("mlp_bias", c.mlpBias());
        o.put("shared_classifier", c.sharedClassifier());
        o.put("bos_id", c.bosId());
        ArrayNode eos = o.putArray("eos_ids");
        c.eosIds().forEach(eos::add);
        if (c.family() != ModelConfig.Family.LLAMA) { // LLaMA: always embed_dim = dim, pre-norm, a final norm
            o.put("embed_dim", c.embedDim());
            o.put("norm_before", c.normBefore());
            o.put("final_norm", c.finalNorm());
        }
        return o;
    }

    // ---------------------------------------------------------------- reading

    /** Parses and schema-checks a manifest (dimensions against the config are checked by {@link FlmReader}). */
    public static FlmManifest parse(JsonNode root, Path file) {
        Fields f = new Fields(file);
        f.object(root, "manifest");
        String format = f.text(root, "", "format");
        if (!FORMAT.equals(format)) {
            throw f.bad("format", format, "\"" + FORMAT + "\"");
        }
        int version = f.integer(root, "", "format_version", 1, Integer.MAX_VALUE);
        if (!FlmLayout.READABLE_VERSIONS.contains(version)) {
            throw f.bad("format_version", version, "one of " + FlmLayout.READABLE_VERSIONS);
        }
        ModelConfig config = parseConfig(f, f.object(root.get("config"), "config"), version);
        int phs = f.integer(root, "", "padded_head_size", 1, ModelConfig.MAX_DIM);
        String recipe = f.text(root, "", "recipe");
        String emb = f.text(root, "", "token_embedding");
        String fin = f.optionalText(root, "", "final_norm"); // null without a final norm (checked against config)
        String pos = f.since(root, "", "position_embedding", version, 4);
        String finBias = f.since(root, "", "final_norm_bias", version, 4);
        JsonNode ls = root.get("layers");
        if (ls == null || !ls.isArray()) {
            throw f.bad("layers", ls, "an array");
        }
        List<LayerEntry> layers = new ArrayList<>();
        for (int i = 0; i < ls.size(); i++) {
            String at = "layers[" + i + "].";
            JsonNode l = f.object(ls.get(i), "layers[" + i + "]");
            JsonNode lin = l.get("linears");
            if (lin == null || !lin.isArray()) {
                throw f.bad(at + "linears", lin, "an array");
            }
            List<LinearEntry> linears = new ArrayList<>();
            for (int j = 0; j < lin.size(); j++) {
                linears.add(parseLinear(f, lin.get(j), at + "linears[" + j + "]", version));
            }
            layers.add(new LayerEntry(f.text(l, at, "attn_norm"), f.since(l, at, "attn_norm_bias", version, 4),
                    f.text(l, at, "ffn_norm"), f.since(l, at, "ffn_norm_bias", version, 4), linears));
        }
        LinearEntry classifier = parseLinear(f, root.get("classifier"), "classifier", version);
        JsonNode ps = root.get("payloads");
        if (ps == null || !ps.isArray()) {
            throw f.bad("payloads", ps, "an array");
        }
        List<Payload> payloads = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < ps.size(); i++) {
            String at = "payloads[" + i + "].";
            JsonNode p = f.object(ps.get(i), "payloads[" + i + "]");
            String name = f.text(p, at, "name");
            if (!names.add(name)) {
                throw f.bad(at + "name", "\"" + name + "\"", "a name used by no other payload");
            }
            payloads.add(new Payload(name, f.longValue(p, at, "offset", 0, Long.MAX_VALUE),
                    f.longValue(p, at, "length", 0, Long.MAX_VALUE), f.longValue(p, at, "crc32c", 0, 0xFFFFFFFFL)));
        }
        return new FlmManifest(version, config, phs, recipe, emb, pos, fin, finBias, layers, classifier, payloads,
                parseMask(f, root.get("attention_mask"), version));
    }

    /** The optional block-sparse prefill mask (format version 3 on). */
    private static AttentionMask parseMask(Fields f, JsonNode n, int version) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (version < 3) {
            throw f.bad("attention_mask", "present in format version " + version, "absent before version 3");
        }
        f.object(n, "attention_mask");
        String at = "attention_mask.";
        int block = f.integer(n, at, "block_size", 16, 1 << 20);
        if (block % 16 != 0) {
            throw f.bad(at + "block_size", block, "a multiple of 16 (the KV tile)");
        }
        return new AttentionMask(block, f.integer(n, at, "sink_blocks", 0, 1 << 20),
                f.integer(n, at, "local_blocks", 1, 1 << 20));
    }

    private static LinearEntry parseLinear(Fields f, JsonNode n, String path, int version) {
        f.object(n, path);
        String at = path + ".";
        IndexEncoding encoding = IndexEncoding.POSITIONS4; // version 1 has no other
        if (version >= 2) {
            String id = f.text(n, at, "index_encoding");
            try {
                encoding = IndexEncoding.fromId(id);
            } catch (IllegalArgumentException e) {
                throw f.bad(at + "index_encoding", "\"" + id + "\"", "one of " + Arrays.stream(IndexEncoding.values())
                        .map(IndexEncoding::id).toList());
            }
        } else if (n.has("index_encoding")) {
            throw f.bad(at + "index_encoding", n.get("index_encoding"), "absent in format_version 1");
        }
        String kindId = f.text(n, at, "kind");
        LinearKind kind;
        try {
            kind = LinearKind.fromId(kindId);
        } catch (IllegalArgumentException e) {
            throw f.bad(at + "kind", "\"" + kindId + "\"", "one of " + Arrays.stream(LinearKind.values())
                    .map(LinearKind::id).toList());
        }
        return new LinearEntry(f.text(n, at, "name"), kind,
                f.integer(n, at, "rows", 1, ModelConfig.MAX_DIM), f.integer(n, at, "cols", 1, ModelConfig.MAX_DIM),
                f.integer(n, at, "bits", 1, 64), f.integer(n, at, "group_size", 1, Integer.MAX_VALUE),
                f.text(n, at, "values"), f.optionalText(n, at, "positions"), encoding, f.text(n, at, "densities"),
                f.text(n, at, "scales"), f.optionalText(n, at, "bias"));
    }

    private static ModelConfig parseConfig(Fields f, JsonNode c, int version) {
        String at = "config.";
        int dim = f.integer(c, at, "dim", 1, ModelConfig.MAX_DIM);
        List<Integer> eos = new ArrayList<>();
        JsonNode e = c.get("eos_ids");
        if (e == null || !e.isArray() || e.size() > 64) {
            throw f.bad(at + "eos_ids", e, "an array of at most 64 token ids");
        }
        for (int i = 0; i < e.size(); i++) {
            if (!e.get(i).canConvertToInt() || !e.get(i).isIntegralNumber()) {
                throw f.bad(at + "eos_ids[" + i + "]", e.get(i), "an integer");
            }
            eos.add(e.get(i).intValue());
        }
        ModelConfig cfg = new ModelConfig(
                f.enumValue(c, at, "family", ModelConfig.Family.class), dim,
                f.integer(c, at, "hidden_dim", 1, ModelConfig.MAX_DIM),
                f.integer(c, at, "n_layers", 1, 4096), f.integer(c, at, "n_heads", 1, ModelConfig.MAX_DIM),
                f.integer(c, at, "n_kv_heads", 1, ModelConfig.MAX_DIM),
                f.integer(c, at, "vocab_size", 1, ModelConfig.MAX_DIM),
                f.integer(c, at, "seq_len", 1, ModelConfig.MAX_DIM),
                f.integer(c, at, "head_size", 1, ModelConfig.MAX_DIM),
                Float.intBitsToFloat(f.integer(c, at, "norm_eps_bits", Integer.MIN_VALUE, Integer.MAX_VALUE)),
                Float.intBitsToFloat(f.integer(c, at, "rope_theta_bits", Integer.MIN_VALUE, Integer.MAX_VALUE)),
                f.enumValue(c, at, "norm", ModelConfig.NormKind.class),
                f.enumValue(c, at, "mlp", ModelConfig.MlpKind.class),
                f.enumValue(c, at, "positions", ModelConfig.PositionKind.class),
                f.bool(c, at, "attention_bias"), f.bool(c, at, "mlp_bias"), f.bool(c, at, "shared_classifier"),
                f.integer(c, at, "bos_id", 0, Integer.MAX_VALUE), eos,
                // written for non-LLaMA models (version 4 on); LLaMA has no projections, pre-norm, a final norm
                c.has("embed_dim") ? f.integer(c, at, "embed_dim", 1, ModelConfig.MAX_DIM) : dim,
                c.has("norm_before") ? f.bool(c, at, "norm_before") : true,
                c.has("final_norm") ? f.bool(c, at, "final_norm") : true);
        cfg.validate(f.file + ": manifest config");
        return cfg;
    }

    /** Typed, bounds-checked access to JSON fields with messages naming the file and JSON path. */
    static final class Fields {
        final Path file;

        Fields(Path file) {
            this.file = file;
        }

        ModelFormatException bad(String path, Object actual, String expected) {
            return new ModelFormatException(file + ": manifest field " + path + " is " + actual + "; expected "
                    + expected);
        }

        JsonNode object(JsonNode n, String path) {
            if (n == null || !n.isObject()) {
                throw bad(path, n == null ? "missing" : n.getNodeType(), "an object");
            }
            return n;
        }

        private JsonNode field(JsonNode n, String at, String name) {
            JsonNode v = n.get(name);
            if (v == null) {
                throw bad(at + name, "missing", "present");
            }
            return v;
        }

        String text(JsonNode n, String at, String name) {
            JsonNode v = field(n, at, name);
            if (!v.isTextual()) {
                throw bad(at + name, v, "a string");
            }
            return v.textValue();
        }

        /** An optional payload name that exists from format version {@code since} on (refused when present before). */
        String since(JsonNode n, String at, String name, int version, int since) {
            String v = optionalText(n, at, name);
            if (v != null && version < since) {
                throw bad(at + name, "present in format version " + version, "absent before version " + since);
            }
            return v;
        }

        String optionalText(JsonNode n, String at, String name) {
            JsonNode v = n.get(name);
            return v == null || v.isNull() ? null : text(n, at, name);
        }

        long longValue(JsonNode n, String at, String name, long min, long max) {
            JsonNode v = field(n, at, name);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
                throw bad(at + name, v, "an integer in [" + min + ", " + max + "]");
            }
            return v.longValue();
        }

        int integer(JsonNode n, String at, String name, int min, int max) {
            return (int) longValue(n, at, name, min, max);
        }

        boolean bool(JsonNode n, String at, String name) {
            JsonNode v = field(n, at, name);
            if (!v.isBoolean()) {
                throw bad(at + name, v, "true or false");
            }
            return v.booleanValue();
        }

        <E extends Enum<E>> E enumValue(JsonNode n, String at, String name, Class<E> type) {
            String s = text(n, at, name);
            for (E e : type.getEnumConstants()) {
                if (e.name().equals(s)) {
                    return e;
                }
            }
            throw bad(at + name, "\"" + s + "\"", "one of "
                    + Arrays.stream(type.getEnumConstants()).map(Enum::name).toList());
        }
    }
}
