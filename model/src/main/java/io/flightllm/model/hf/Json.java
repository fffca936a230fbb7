package io.flightllm.model.hf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads the JSON files of a Hugging Face directory (config.json, tokenizer.json, the shard index, safetensors headers)
 * into Jackson trees, and reads typed fields with messages that name the file, the field and the expected value.
 */
public final class Json {
    /** Duplicate keys are refused: a hostile file must not mean one thing to us and another to the HF libraries. */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private Json() {
    }

    /** Parses {@code path}, which must exist and be at most {@code maxBytes} long. */
    public static JsonNode read(Path path, long maxBytes) {
        byte[] bytes;
        try {
            long size = Files.size(path);
            if (size > maxBytes) {
                throw new ModelFormatException(path + ": " + size + " bytes; expected at most " + maxBytes
                        + " for this JSON file");
            }
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(path + ": file not found");
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
        }
        return parse(path, bytes, 0, bytes.length);
    }

    /** Parses {@code length} bytes at {@code offset} of {@code bytes}; {@code source} names them in messages. */
    public static JsonNode parse(Object source, byte[] bytes, int offset, int length) {
        try {
            JsonNode node = MAPPER.readTree(bytes, offset, length);
            if (node == null || node.isMissingNode()) {
                throw new ModelFormatException(source + ": empty; expected a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw new ModelFormatException(source + ": malformed JSON" + where + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelFormatException(source + ": cannot parse JSON: " + e.getMessage(), e);
        }
    }

    /** {@code node} itself, which must be a JSON object. */
    public static JsonNode object(Object source, String field, JsonNode node) {
        if (node == null || !node.isObject()) {
            throw ModelFormatException.field(source, field, describe(node), "a JSON object");
        }
        return node;
    }

    /** True when {@code field} is absent or JSON null. */
    public static boolean absent(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        return n == null || n.isNull();
    }

    public static int requiredInt(Object source, JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            throw ModelFormatException.field(source, field, "missing", "an integer");
        }
        return asInt(source, field, n);
    }

    public static int optionalInt(Object source, JsonNode parent, String field, int fallback) {
        return absent(parent, field) ? fallback : asInt(source, field, parent.get(field));
    }

    public static int asInt(Object source, String field, JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw ModelFormatException.field(source, field, describe(n), "a 32-bit integer");
        }
        return n.intValue();
    }

    public static long asLong(Object source, String field, JsonNode n) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
            throw ModelFormatException.field(source, field, describe(n), "a 64-bit integer");
        }
        return n.longValue();
    }

    public static double requiredNumber(Object source, JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n == null || !n.isNumber()) {
            throw ModelFormatException.field(source, field, describe(n), "a number");
        }
        return n.doubleValue();
    }

    public static boolean optionalBoolean(Object source, JsonNode parent, String field, boolean fallback) {
        if (absent(parent, field)) {
            return fallback;
        }
        JsonNode n = parent.get(field);
        if (!n.isBoolean()) {
            throw ModelFormatException.field(source, field, describe(n), "true or false");
        }
        return n.booleanValue();
    }

    /** The string at {@code field}, or {@code fallback} when absent or null. */
    public static String optionalString(Object source, JsonNode parent, String field, String fallback) {
        if (absent(parent, field)) {
            return fallback;
        }
        JsonNode n = parent.get(field);
        if (!n.isTextual()) {
            throw ModelFormatException.field(source, field, describe(n), "a string");
        }
        return n.textValue();
    }

    /** A short rendering of a value for messages (never the whole of a large value). */
    public static String describe(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "missing";
        }
        String s = n.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
