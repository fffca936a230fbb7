package io.flightllm.arch.hw;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads hardware configurations: the built-in presets (JSON resources beside this class) and user files in JSON or
 * YAML. A file may name a preset as {@code "base"} and override only the fields it lists (objects merge field by
 * field; arrays and values replace). Every result is validated.
 */
public final class HardwareConfigs {
    /** Built-in preset names, in the order help texts list them. */
    public static final List<String> PRESETS = List.of("u280", "vhk158");
    /** The preset used when a command is given no --target. */
    public static final String DEFAULT = "u280";

    private static final ObjectMapper JSON = configure(JsonMapper.builder().build());
    private static final ObjectMapper YAML = configure(YAMLMapper.builder().build());

    private HardwareConfigs() {
    }

    private static ObjectMapper configure(ObjectMapper m) {
        return m.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(SerializationFeature.INDENT_OUTPUT);
    }

    /** A built-in preset by name (case-insensitive). */
    public static HardwareConfig preset(String name) {
        return fromTree(presetTree(name), "preset " + name);
    }

    /** A preset name, or the path of a JSON/YAML file. */
    public static HardwareConfig resolve(String target) {
        if (PRESETS.contains(target.toLowerCase(Locale.ROOT))) {
            return preset(target);
        }
        Path p = Path.of(target);
        if (!Files.exists(p)) {
            throw new HardwareConfigException("unknown target '" + target + "': expected a preset " + PRESETS
                    + " or an existing JSON/YAML hardware config file");
        }
        return load(p);
    }

    /** Reads a JSON ({@code .json}) or YAML ({@code .yaml}/{@code .yml}) file. */
    public static HardwareConfig load(Path file) {
        String text;
        try {
            if (Files.size(file) > 1 << 20) {
                throw new HardwareConfigException(file + ": " + Files.size(file)
                        + " bytes; a hardware config is expected to be under 1 MiB");
            }
            text = Files.readString(file);
        } catch (IOException e) {
            throw new HardwareConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean yaml = lower.endsWith(".yaml") || lower.endsWith(".yml");
        return parse(text, file.toString(), yaml);
    }

    /** Parses a config text; {@code source} names it in errors. */
    public static HardwareConfig parse(String text, String source, boolean yaml) {
        JsonNode node;
        try {
            node = (yaml ? YAML : JSON).readTree(text);
        } catch (JacksonException e) {
            throw new HardwareConfigException(source + ": not valid " + (yaml ? "YAML" : "JSON") + ": "
                    + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new HardwareConfigException(source + ": expected an object at the top level");
        }
        ObjectNode tree = (ObjectNode) node;
        JsonNode base = tree.remove("base");
        if (base != null) {
            if (!base.isTextual()) {
                throw new HardwareConfigException(source + ": field 'base' must be a preset name " + PRESETS);
            }
            ObjectNode merged;
            try {
                merged = presetTree(base.asText());
            } catch (HardwareConfigException e) {
                throw new HardwareConfigException(source + ": field 'base': " + e.getMessage(), e);
            }
            merge(merged, tree, source, "");
            if (!tree.has("name")) {
                merged.put("name", fileStem(source));
            }
            tree = merged;
        } else {
            // A complete file: description and device are optional; everything else the presets have is required.
            if (!tree.has("description")) {
                tree.put("description", "");
            }
            if (!tree.has("device")) {
                tree.putNull("device");
            }
            List<String> missing = new ArrayList<>();
            missing(presetTree(DEFAULT), tree, "", missing);
            if (!missing.isEmpty()) {
                throw new HardwareConfigException(source + ": missing field(s) " + String.join(", ", missing)
                        + "; give them, or start from a preset with \"base\": one of " + PRESETS);
            }
        }
        return fromTree(tree, source);
    }

    /**
     * Applies {@code field.path=value} overrides (as a sweep or the CLI gives them) to a configuration; values are
     * parsed as JSON when they can be (numbers, arrays) and taken as strings otherwise.
     */
    public static HardwareConfig withOverrides(HardwareConfig base, Map<String, String> overrides) {
        ObjectNode tree = JSON.valueToTree(base);
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            String[] path = e.getKey().split("\\.");
            ObjectNode parent = tree;
            for (int i = 0; i < path.length - 1; i++) {
                JsonNode child = parent.get(path[i]);
                if (child == null || !child.isObject()) {
                    throw new HardwareConfigException("override '" + e.getKey() + "': '" + path[i]
                            + "' is not a section; sections are " + sections(tree));
                }
                parent = (ObjectNode) child;
            }
            String leaf = path[path.length - 1];
            if (!parent.has(leaf)) {
                throw new HardwareConfigException("override '" + e.getKey() + "': no field '" + leaf
                        + "'; expected one of " + fieldNames(parent));
            }
            parent.set(leaf, parseValue(e.getValue()));
        }
        return fromTree(tree, "overrides of " + base.name());
    }

    /** The configuration as indented JSON (the same form the presets and user files use). */
    public static String toJson(HardwareConfig config) {
        try {
            return JSON.writeValueAsString(config);
        } catch (JacksonException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parseValue(String text) {
        try {
            return JSON.readTree(text);
        } catch (JacksonException e) {
            return JsonNodeFactory.instance.textNode(text);
        }
    }

    private static ObjectNode presetTree(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        if (!PRESETS.contains(key)) {
            throw new HardwareConfigException("unknown preset '" + name + "'; expected one of " + PRESETS);
        }
        try (InputStream in = HardwareConfigs.class.getResourceAsStream(key + ".json")) {
            if (in == null) {
                throw new IllegalStateException("preset resource " + key + ".json is missing from the jar");
            }
            return (ObjectNode) JSON.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("preset resource " + key + ".json is unreadable", e);
        }
    }

    private static void merge(ObjectNode into, ObjectNode from, String source, String prefix) {
        Iterator<Map.Entry<String, JsonNode>> it = from.properties().iterator();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode existing = into.get(e.getKey());
            if (existing == null && !into.has(e.getKey())) {
                throw new HardwareConfigException(source + ": unknown field '" + prefix + e.getKey()
                        + "'; expected one of " + fieldNames(into));
            }
            if (existing != null && existing.isObject() && e.getValue().isObject()) {
                merge((ObjectNode) existing, (ObjectNode) e.getValue(), source, prefix + e.getKey() + ".");
            } else {
                into.set(e.getKey(), e.getValue());
            }
        }
    }

    private static void missing(ObjectNode template, ObjectNode tree, String prefix, List<String> out) {
        template.properties().forEach(e -> {
            JsonNode mine = tree.get(e.getKey());
            if (!tree.has(e.getKey())) {
                out.add(prefix + e.getKey());
            } else if (e.getValue().isObject() && mine != null && mine.isObject()) {
                missing((ObjectNode) e.getValue(), (ObjectNode) mine, prefix + e.getKey() + ".", out);
            }
        });
    }

    private static HardwareConfig fromTree(ObjectNode tree, String source) {
        HardwareConfig config;
        try {
            config = JSON.treeToValue(tree, HardwareConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new HardwareConfigException(source + ": unknown field '" + path(e) + "'; expected one of "
                    + e.getKnownPropertyIds(), e);
        } catch (JsonMappingException e) {
            throw new HardwareConfigException(source + ": field '" + path(e) + "': " + e.getOriginalMessage(), e);
        } catch (JacksonException e) {
            throw new HardwareConfigException(source + ": " + e.getOriginalMessage(), e);
        }
        try {
            return config.validate();
        } catch (HardwareConfigException e) {
            throw new HardwareConfigException(source + ": " + e.getMessage(), e);
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    private static List<String> fieldNames(ObjectNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> sections(ObjectNode node) {
        List<String> names = new ArrayList<>();
        node.properties().forEach(e -> {
            if (e.getValue().isObject()) {
                names.add(e.getKey());
            }
        });
        return names;
    }

    private static String fileStem(String source) {
        String n = Path.of(source).getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
