package io.flightllm.model.gguf;

import io.flightllm.model.DType;
import io.flightllm.model.ModelFormatException;
import io.flightllm.model.loader.MappedFile;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed GGUF file (versions 2 and 3, little-endian): header, metadata, tensor infos, and the data section, which
 * stays in the mapping. Every count, length and offset is checked against the file size before it is used, so a
 * hostile file gives a {@link ModelFormatException} naming the file and the field, never an allocation of its choice.
 *
 * <p>Layout: "GGUF", uint32 version, uint64 tensor_count, uint64 kv_count, the KV pairs (string key, uint32 type,
 * value), the tensor infos (string name, uint32 n_dims, uint64 ne[n_dims], uint32 ggml type, uint64 offset), padding
 * to the alignment, then the data; tensor offsets are relative to the data start and multiples of the alignment.
 */
public final class GgufFile {
    /** "GGUF" read as a little-endian uint32. */
    public static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";
    static final int MAX_DIMS = 4;
    static final int MAX_ARRAY_NESTING = 8;
    /** Smallest possible KV pair: empty key (8), type (4), a one-byte value. */
    private static final int MIN_KV_BYTES = 13;
    /** Smallest possible tensor info: empty name (8), n_dims (4), one ne (8), type (4), offset (8). */
    private static final int MIN_TENSOR_INFO_BYTES = 32;

    private final MappedFile file;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final int alignment;
    private final long dataStart;

    private GgufFile(MappedFile file, int version, Map<String, GgufValue> metadata, List<GgufTensorInfo> tensors,
                     int alignment, long dataStart) {
        this.file = file;
        this.version = version;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = List.copyOf(tensors);
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (GgufTensorInfo t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = Collections.unmodifiableMap(byName);
        this.alignment = alignment;
        this.dataStart = dataStart;
    }

    public static GgufFile read(MappedFile f) {
        Path path = f.path();
        if (f.size() < 24) {
            throw new ModelFormatException(path + ": " + f.size() + " bytes is shorter than the 24-byte GGUF header "
                    + "(magic, version, tensor_count, kv_count); the file is truncated");
        }
        int magic = f.i32(0, "magic");
        if (magic != MAGIC) {
            throw ModelFormatException.field(path, "magic", String.format("0x%08X", magic),
                    "0x46554747 (\"GGUF\")");
        }
        int version = f.i32(4, "version");
        if (version != 2 && version != 3) {
            String hint = Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? " (this looks like a big-endian GGUF, which is not supported)"
                    : version == 1 ? " (GGUF v1 used 32-bit counts and is obsolete)" : "";
            throw ModelFormatException.field(path, "version", Integer.toUnsignedString(version), "2 or 3" + hint);
        }
        Reader r = new Reader(f, 8);
        long tensorCount = r.u64("tensor_count");
        long kvCount = r.u64("kv_count");
        r.checkCount("kv_count", kvCount, MIN_KV_BYTES);
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = new String(r.string("key of KV pair " + i), StandardCharsets.UTF_8);
            int typeId = r.u32("type of " + key);
            GgufType type = GgufType.byId(typeId);
            if (type == null) {
                throw ModelFormatException.field(path, "type of " + key, Integer.toUnsignedString(typeId),
                        "a GGUF value type id in [0, 12]");
            }
            GgufValue v = r.value(key, type, 0);
            if (metadata.putIfAbsent(key, v) != null) {
                throw new ModelFormatException(path + ": metadata key " + key + " appears twice; expected once");
            }
        }
        int alignment = alignment(path, metadata.get(ALIGNMENT_KEY));
        r.checkCount("tensor_count", tensorCount, MIN_TENSOR_INFO_BYTES);
        List<GgufTensorInfo> infos = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            GgufTensorInfo t = r.tensorInfo(i, alignment);
            if (!seen.add(t.name())) {
                throw new ModelFormatException(path + ": tensor " + t.name() + " appears twice; expected once");
            }
            infos.add(t);
        }
        long dataStart = align(r.pos, alignment);
        if (!infos.isEmpty() && dataStart > f.size()) {
            throw new ModelFormatException(path + ": the data section starts at offset " + dataStart
                    + ", past the end of the file (" + f.size() + " bytes); the file is truncated");
        }
        long dataBytes = f.size() - dataStart;
        for (GgufTensorInfo t : infos) {
            long size = t.byteSize() < 0 ? 0 : t.byteSize();
            if (t.offset() > dataBytes - size) {
                throw new ModelFormatException(path + ": tensor " + t.name() + " offset is " + t.offset() + " with "
                        + size + " bytes; expected the tensor to end within the " + dataBytes
                        + "-byte data section (the file is truncated or corrupt)");
            }
        }
        return new GgufFile(f, version, metadata, infos, alignment, dataStart);
    }

    private static int alignment(Path path, GgufValue v) {
        if (v == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(v instanceof GgufValue.Int i) || !i.fitsLong() || i.value() <= 0 || i.value() > (1 << 24)
                || Long.bitCount(i.value()) != 1) {
            throw ModelFormatException.field(path, ALIGNMENT_KEY, v, "a power of two integer up to 2^24");
        }
        return (int) i.value();
    }

    static long align(long offset, int alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    /** Sequential reads with messages naming the field. */
    private static final class Reader {
        final MappedFile f;
        long pos;

        Reader(MappedFile f, long pos) {
            this.f = f;
            this.pos = pos;
        }

        long remaining() {
            return f.size() - pos;
        }

        int u32(String field) {
            int v = f.i32(pos, field);
            pos += 4;
            return v;
        }

        long u64(String field) {
            long v = f.i64(pos, field);
            pos += 8;
            return v;
        }

        void checkCount(String field, long count, int minBytesEach) {
            long max = remaining() / minBytesEach;
            if (count < 0 || count > max) {
                throw ModelFormatException.field(f.path(), field, Long.toUnsignedString(count),
                        "at most " + max + " (what the remaining " + remaining()
                                + " bytes of the file can hold; the file is truncated or corrupt)");
            }
        }

        /** Checks a string's length and returns where its bytes start. */
        long stringBody(String field) {
            long len = u64(field + " length");
            if (len < 0 || len > remaining()) {
                throw ModelFormatException.field(f.path(), field + " length", Long.toUnsignedString(len),
                        "at most " + remaining() + " (the bytes left in the file; it is truncated or corrupt)");
            }
            if (len > Integer.MAX_VALUE - 8) {
                throw ModelFormatException.field(f.path(), field + " length", len, "less than 2^31");
            }
            long at = pos;
            pos += len;
            return at;
        }

        byte[] string(String field) {
            long start = pos;
            long at = stringBody(field);
            return f.bytes(at, (int) (pos - at), field + " (string at offset " + start + ")");
        }

        GgufValue value(String key, GgufType type, int depth) {
            return switch (type) {
                case UINT8 -> new GgufValue.Int(type, f.i8(adv(1), key) & 0xFFL);
                case INT8 -> new GgufValue.Int(type, f.i8(adv(1), key));
                case UINT16 -> new GgufValue.Int(type, f.i16(adv(2), key) & 0xFFFFL);
                case INT16 -> new GgufValue.Int(type, f.i16(adv(2), key));
                case UINT32 -> new GgufValue.Int(type, f.i32(adv(4), key) & 0xFFFF_FFFFL);
                case INT32 -> new GgufValue.Int(type, f.i32(adv(4), key));
                case UINT64, INT64 -> new GgufValue.Int(type, f.i64(adv(8), key));
                case FLOAT32 -> new GgufValue.F32(f.f32(adv(4), key));
                case FLOAT64 -> new GgufValue.F64(f.f64(adv(8), key));
                case BOOL -> {
                    byte b = f.i8(adv(1), key);
                    if (b != 0 && b != 1) {
                        throw ModelFormatException.field(f.path(), key, b, "a bool (0 or 1)");
                    }
                    yield new GgufValue.Bool(b == 1);
                }
                case STRING -> new GgufValue.Str(string(key));
                case ARRAY -> array(key, depth);
            };
        }

        /** Checks that {@code bytes} are present, then advances past them; returns where they start. */
        private long adv(long bytes) {
            long at = pos;
            pos += bytes;
            return at;
        }

        GgufArray array(String key, int depth) {
            if (depth >= MAX_ARRAY_NESTING) {
                throw new ModelFormatException(f.path() + ": " + key + " nests arrays " + (depth + 1)
                        + " deep; expected at most " + MAX_ARRAY_NESTING);
            }
            int typeId = u32(key + " element type");
            GgufType type = GgufType.byId(typeId);
            if (type == null) {
                throw ModelFormatException.field(f.path(), key + " element type", Integer.toUnsignedString(typeId),
                        "a GGUF value type id in [0, 12]");
            }
            long len = u64(key + " array length");
            long max = Math.min(remaining() / type.minBytes(), Integer.MAX_VALUE - 8);
            if (len < 0 || len > max) {
                throw ModelFormatException.field(f.path(), key + " array length", Long.toUnsignedString(len),
                        "at most " + max + " " + type + " values (what the remaining " + remaining()
                                + " bytes of the file can hold; it is truncated or corrupt)");
            }
            int n = (int) len;
            if (type.fixedBytes() > 0) {
                long bytes = len * type.fixedBytes();
                MemorySegment packed = f.slice(pos, bytes, key);
                pos += bytes;
                return GgufArray.ofFixed(type, packed);
            }
            if (type == GgufType.STRING) {
                long[] offsets = new long[n];
                for (int i = 0; i < n; i++) {
                    offsets[i] = pos;
                    stringBody(key + "[" + i + "]");
                }
                return GgufArray.ofStrings(f.segment(), offsets);
            }
            List<GgufValue> nested = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                nested.add(array(key + "[" + i + "]", depth + 1));
            }
            return GgufArray.ofNested(nested);
        }

        GgufTensorInfo tensorInfo(long index, int alignment) {
            String name = new String(string("name of tensor " + index), StandardCharsets.UTF_8);
            int nDims = u32(name + " n_dims");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw ModelFormatException.field(f.path(), name + " n_dims", Integer.toUnsignedString(nDims),
                        "in [1, " + MAX_DIMS + "]");
            }
            long[] ne = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                ne[d] = u64(name + " ne[" + d + "]");
                if (ne[d] <= 0) {
                    throw ModelFormatException.field(f.path(), name + " ne[" + d + "]",
                            Long.toUnsignedString(ne[d]), "a positive dimension");
                }
                try {
                    elements = Math.multiplyExact(elements, ne[d]);
                } catch (ArithmeticException e) {
                    throw ModelFormatException.field(f.path(), name + " shape", Arrays.toString(ne),
                            "fewer than 2^63 elements");
                }
            }
            if (ne[0] > Integer.MAX_VALUE - 8) {
                throw ModelFormatException.field(f.path(), name + " ne[0]", ne[0], "less than 2^31 (row length)");
            }
            int typeId = u32(name + " type");
            long offset = u64(name + " offset");
            if (offset < 0 || offset % alignment != 0) {
                throw ModelFormatException.field(f.path(), name + " offset", Long.toUnsignedString(offset),
                        "a multiple of the alignment " + alignment);
            }
            DType dtype = GgmlType.toDType(typeId);
            long bytes = -1;
            if (dtype != null) {
                if (ne[0] % dtype.blockSize() != 0) {
                    throw ModelFormatException.field(f.path(), name + " ne[0]", ne[0],
                            "a multiple of the " + dtype + " block size " + dtype.blockSize());
                }
                try {
                    bytes = dtype.bytesFor(elements);
                } catch (ArithmeticException e) {
                    throw ModelFormatException.field(f.path(), name + " shape", Arrays.toString(ne),
                            "a byte size below 2^63");
                }
            }
            return new GgufTensorInfo(name, ne, typeId, dtype, offset, bytes);
        }
    }

    public Path path() {
        return file.path();
    }

    public MappedFile mappedFile() {
        return file;
    }

    public int version() {
        return version;
    }

    /** All metadata in file order. */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    /** The tensor named {@code name}, or null. */
    public GgufTensorInfo tensor(String name) {
        return tensorsByName.get(name);
    }

    public int alignment() {
        return alignment;
    }

    public long dataStart() {
        return dataStart;
    }

    /** The mapped bytes of {@code t} (supported types only). */
    public MemorySegment data(GgufTensorInfo t) {
        if (t.dtype() == null) {
            throw unsupported(t);
        }
        return file.slice(dataStart + t.offset(), t.byteSize(), "data of tensor " + t.name());
    }

    public ModelFormatException unsupported(GgufTensorInfo t) {
        return ModelFormatException.field(path(), "type of tensor " + t.name(), GgmlType.name(t.ggmlType()),
                "one of " + String.join(", ", GgmlType.SUPPORTED));
    }

    // ---- typed metadata access; every failure names the file and the key ----

    public GgufValue get(String key) {
        return metadata.get(key);
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    private ModelFormatException missing(String key, String expected) {
        return new ModelFormatException(path() + ": metadata key " + key + " is missing; expected " + expected);
    }

    private GgufValue require(String key, String expected) {
        GgufValue v = metadata.get(key);
        if (v == null) {
            throw missing(key, expected);
        }
        return v;
    }

    public String string(String key) {
        GgufValue v = require(key, "a string");
        if (!(v instanceof GgufValue.Str s)) {
            throw ModelFormatException.field(path(), key, v.type() + " " + v, "a string");
        }
        return s.text();
    }

    /** An integer of any GGUF integer type that fits in [min, max]. */
    public int integer(String key, long min, long max) {
        return checkedInt(key, require(key, "an integer in [" + min + ", " + max + "]"), min, max);
    }

    /** Like {@link #integer} but {@code fallback} when the key is absent. */
    public int integer(String key, long min, long max, int fallback) {
        GgufValue v = metadata.get(key);
        return v == null ? fallback : checkedInt(key, v, min, max);
    }

    private int checkedInt(String key, GgufValue v, long min, long max) {
        if (!(v instanceof GgufValue.Int i) || !i.fitsLong() || i.value() < min || i.value() > max) {
            throw ModelFormatException.field(path(), key, v.type() + " " + v,
                    "an integer in [" + min + ", " + max + "]");
        }
        return (int) i.value();
    }

    /** A FLOAT32 (or FLOAT64 that is exactly a float) value. */
    public float float32(String key) {
        return checkedFloat(key, require(key, "a float32"));
    }

    public float float32(String key, float fallback) {
        GgufValue v = metadata.get(key);
        return v == null ? fallback : checkedFloat(key, v);
    }

    private float checkedFloat(String key, GgufValue v) {
        return switch (v) {
            case GgufValue.F32 x -> x.value();
            case GgufValue.F64 x when (double) (float) x.value() == x.value() -> (float) x.value();
            default -> throw ModelFormatException.field(path(), key, v.type() + " " + v, "a float32");
        };
    }

    /** An array whose elements have {@code elementType}, or null when absent. */
    public GgufArray array(String key, GgufType elementType) {
        GgufValue v = metadata.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof GgufArray a) || a.elementType() != elementType) {
            throw ModelFormatException.field(path(), key, v instanceof GgufArray a ? "an array of " + a.elementType()
                    : v.type().toString(), "an array of " + elementType);
        }
        return a;
    }
}
