package io.flightllm.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import io.flightllm.model.DType;
import io.flightllm.model.ModelFormatException;
import io.flightllm.model.Tensor;
import io.flightllm.model.loader.MappedFile;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One memory-mapped {@code .safetensors} file: an unsigned 64-bit little-endian header length N, N bytes of JSON
 * ({@code name -> {dtype, shape, data_offsets: [begin, end]}} plus an optional string map {@code __metadata__}), then
 * the data buffer; offsets are relative to the buffer. Every length and offset is checked against the file size, and
 * the tensors must tile the buffer exactly (no gaps, no overlap), as the reference implementation requires.
 */
public final class SafetensorsFile {
    /** The format's own limit on the JSON header. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** One header entry; {@code begin}/{@code end} are absolute file offsets. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    private final MappedFile file;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(MappedFile file, Map<String, Entry> entries, Map<String, String> metadata) {
        this.file = file;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path, Arena arena) {
        MappedFile f = MappedFile.map(path, arena);
        long n = f.i64(0, "header length (first 8 bytes)");
        if (n < 2 || n > MAX_HEADER_BYTES || n > f.size() - 8) {
            throw ModelFormatException.field(path, "header length", Long.toUnsignedString(n),
                    "at least 2 and at most min(" + MAX_HEADER_BYTES + ", file size - 8 = " + (f.size() - 8) + ")");
        }
        JsonNode root = Json.object(path, "header", Json.parse(path + " header",
                f.bytes(8, (int) n, "header"), 0, (int) n));
        long dataStart = 8 + n;
        long dataBytes = f.size() - dataStart;
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        for (var it = root.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("__metadata__")) {
                metadata = metadata(path, e.getValue());
                continue;
            }
            entries.put(e.getKey(), entry(path, e.getKey(), e.getValue(), dataStart, dataBytes));
        }
        checkTiling(path, entries, dataStart, f.size());
        return new SafetensorsFile(f, Collections.unmodifiableMap(entries), metadata);
    }

    private static Map<String, String> metadata(Path path, JsonNode node) {
        Json.object(path, "__metadata__", node);
        Map<String, String> out = new LinkedHashMap<>();
        for (var it = node.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isTextual()) {
                throw ModelFormatException.field(path, "__metadata__." + e.getKey(), Json.describe(e.getValue()),
                        "a string");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(out);
    }

    private static Entry entry(Path path, String name, JsonNode node, long dataStart, long dataBytes) {
        String where = "tensor \"" + name + "\"";
        Json.object(path, where, node);
        String dtype = Json.optionalString(path, node, "dtype", null);
        if (dtype == null) {
            throw ModelFormatException.field(path, where + " dtype", "missing", "a safetensors dtype string");
        }
        int elementBytes = elementBytes(dtype);
        if (elementBytes < 0) {
            throw ModelFormatException.field(path, where + " dtype", '"' + dtype + '"',
                    "a safetensors dtype (F32, F16, BF16, F64, I8, ...)");
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray() || shapeNode.size() > 8) {
            throw ModelFormatException.field(path, where + " shape", Json.describe(shapeNode),
                    "a list of at most 8 dimensions");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = Json.asLong(path, where + " shape", shapeNode.get(i));
            if (shape[i] < 0 || shape[i] > dataBytes) {
                throw ModelFormatException.field(path, where + " shape[" + i + "]", shape[i],
                        "in [0, " + dataBytes + "] (the data buffer size)");
            }
            // elements <= dataBytes throughout, so neither this product nor the byte count below can overflow
            if (shape[i] != 0 && elements > dataBytes / shape[i]) {
                throw ModelFormatException.field(path, where + " shape", Json.describe(shapeNode),
                        "at most " + dataBytes + " elements (the data buffer size)");
            }
            elements *= shape[i];
        }
        JsonNode off = node.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2) {
            throw ModelFormatException.field(path, where + " data_offsets", Json.describe(off), "[begin, end]");
        }
        long begin = Json.asLong(path, where + " data_offsets", off.get(0));
        long end = Json.asLong(path, where + " data_offsets", off.get(1));
        if (begin < 0 || end < begin || end > dataBytes) {
            throw ModelFormatException.field(path, where + " data_offsets", "[" + begin + ", " + end + "]",
                    "0 <= begin <= end <= " + dataBytes + " (the data buffer size)");
        }
        long expected = Math.multiplyExact(elements, (long) elementBytes);
        if (end - begin != expected) {
            throw ModelFormatException.field(path, where + " data_offsets", "[" + begin + ", " + end + "] ("
                    + (end - begin) + " bytes)", expected + " bytes for " + dtype + " " + Json.describe(shapeNode));
        }
        return new Entry(name, dtype, shape, dataStart + begin, dataStart + end);
    }

    /** Bytes per element of every dtype the format defines, or -1 for an unknown name. */
    static int elementBytes(String dtype) {
        return switch (dtype) {
            case "BOOL", "U8", "I8", "F8_E4M3", "F8_E5M2" -> 1;
            case "U16", "I16", "F16", "BF16" -> 2;
            case "U32", "I32", "F32" -> 4;
            case "U64", "I64", "F64" -> 8;
            default -> -1;
        };
    }

    private static void checkTiling(Path path, Map<String, Entry> entries, long dataStart, long fileSize) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = dataStart;
        for (Entry e : sorted) {
            if (e.begin() != at) {
                throw ModelFormatException.field(path, "tensor \"" + e.name() + "\" data_offsets begin",
                        e.begin() - dataStart, (at - dataStart) + " (tensors must tile the data buffer without gaps "
                                + "or overlap)");
            }
            at = e.end();
        }
        if (at != fileSize) {
            throw new ModelFormatException(path + ": the tensors cover " + (at - dataStart) + " bytes of the data "
                    + "buffer; expected all " + (fileSize - dataStart) + " bytes (file size " + fileSize + ")");
        }
    }

    public Path path() {
        return file.path();
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The tensor {@code name} as a 1-D ({@code [1, n]}) or 2-D {@link Tensor}; only F32, F16 and BF16 are accepted.
     */
    public Tensor tensor(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new ModelFormatException(path() + ": tensor \"" + name + "\" is missing");
        }
        DType type = switch (e.dtype()) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            default -> throw ModelFormatException.field(path(), "tensor \"" + name + "\" dtype",
                    '"' + e.dtype() + '"', "F32, F16 or BF16");
        };
        long rows;
        long cols;
        switch (e.shape().length) {
            case 1 -> {
                rows = 1;
                cols = e.shape()[0];
            }
            case 2 -> {
                rows = e.shape()[0];
                cols = e.shape()[1];
            }
            default -> throw ModelFormatException.field(path(), "tensor \"" + name + "\" shape",
                    java.util.Arrays.toString(e.shape()), "one or two dimensions");
        }
        if (rows <= 0 || cols <= 0 || cols > Integer.MAX_VALUE) {
            throw ModelFormatException.field(path(), "tensor \"" + name + "\" shape",
                    java.util.Arrays.toString(e.shape()), "positive dimensions with at most 2^31-1 columns");
        }
        return Tensor.of(name, type, rows, (int) cols, file.slice(e.begin(), e.end() - e.begin(), name));
    }
}
