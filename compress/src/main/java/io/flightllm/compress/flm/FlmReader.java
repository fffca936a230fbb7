package io.flightllm.compress.flm;

import io.flightllm.arch.container.ContainerFormatException;
import io.flightllm.arch.container.ContainerReader;
import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.arch.numerics.WeightQuantizer;
import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.ModelSupport;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@code .flm} file. Everything is validated before any of it is used, in this order: the container framing
 * that {@link ContainerReader} checks for every container of the project (header: magic, version, reserved bytes,
 * manifest offset and length against the file size, manifest CRC32C; strict JSON; the payload table: every payload
 * 64-byte aligned, inside the payload area, in file order, named once), then the manifest schema, the model config,
 * every payload referenced exactly once, every shape against the config, the CRC32C of every payload, every payload length against the length its shape
 * implies, and finally each {@link CompressedLinear}'s internal consistency (its constructor). Failures are
 * {@link ModelFormatException}s naming the file, the field and the expected value. The file is memory-mapped; only the
 * unpacked arrays live on the heap.
 */
public final class FlmReader {
    private final Path file;
    private final ContainerReader container;
    private final MemorySegment seg; // the whole file
    private final FlmManifest manifest;
    private final Map<String, FlmManifest.Payload> byName = new HashMap<>();

    /** The container's framing (header, manifest CRC and JSON, payload table) first, then the .flm's own schema. */
    private FlmReader(Path file, Arena arena) {
        this.file = file;
        try {
            container = ContainerReader.open(file, FlmLayout.CONTAINER, arena);
        } catch (ContainerFormatException e) { // one exception type for every bad model file
            throw new ModelFormatException(e.getMessage(), e);
        }
        seg = container.fileSegment();
        manifest = FlmManifest.parse(container.manifest(), file);
        if (manifest.formatVersion() != container.version()) {
            throw ModelFormatException.field(file, "manifest field format_version", manifest.formatVersion(),
                    container.version() + " (the header's format version)");
        }
        for (FlmManifest.Payload p : manifest.payloads()) { // the same table the container checked
            byName.put(p.name(), p);
        }
        checkStructure();
    }

    /** Opens, validates and loads a whole file. */
    public static CompressedModel read(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            FlmReader r = new FlmReader(file, arena);
            r.verifyChecksums();
            return r.load();
        }
    }

    /** What {@link #inspect} returns: the manifest, the file size and each linear's block densities by name. */
    public record Inspection(FlmManifest manifest, long fileSize, Map<String, byte[]> densities) {
    }

    /**
     * Validates the header, manifest, payload table, shapes and every payload CRC without unpacking the weights;
     * returns the manifest and the (small) block-density maps.
     */
    public static Inspection inspect(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            FlmReader r = new FlmReader(file, arena);
            r.verifyChecksums();
            Map<String, byte[]> d = new java.util.LinkedHashMap<>();
            List<FlmManifest.LinearEntry> all = new ArrayList<>();
            r.manifest.layers().forEach(l -> all.addAll(l.linears()));
            all.add(r.manifest.classifier());
            for (FlmManifest.LinearEntry e : all) {
                d.put(e.name(), r.segment(e.densities()).toArray(ValueLayout.JAVA_BYTE));
            }
            return new Inspection(r.manifest, r.seg.byteSize(), d);
        }
    }

    /** Shapes and references against the config; every payload referenced exactly once. */
    private void checkStructure() {
        ModelConfig c = manifest.config();
        ModelSupport.Refusal refusal = ModelSupport.check(c);
        if (refusal != null) {
            throw ModelFormatException.field(file, "manifest field config." + refusal.field(), refusal.value(),
                    refusal.expected() + " (.flm holds " + ModelSupport.SUPPORTED + ")");
        }
        boolean ln = c.norm() == ModelConfig.NormKind.LAYER_NORM;
        int phs = CompressedLinear.ceil16(c.headSize());
        if (manifest.paddedHeadSize() != phs) {
            throw ModelFormatException.field(file, "manifest field padded_head_size", manifest.paddedHeadSize(),
                    phs + " (head_size " + c.headSize() + " rounded up to a multiple of 16)");
        }
        Set<String> used = new HashSet<>();
        ref(used, "token_embedding", manifest.tokenEmbedding(), 4L * c.vocabSize() * c.dim());
        optional(used, "position_embedding", manifest.positionEmbedding(),
                c.positions() == ModelConfig.PositionKind.LEARNED, 4L * c.seqLen() * c.dim(),
                "config.seq_len x config.dim x 4 bytes (positions " + c.positions() + ")");
        optional(used, "final_norm", manifest.finalNorm(), c.finalNorm(), 4L * c.dim(),
                "config.dim x 4 bytes (config.final_norm " + c.finalNorm() + ")");
        optional(used, "final_norm_bias", manifest.finalNormBias(), ln && c.finalNorm(), 4L * c.dim(),
                "config.dim x 4 bytes (norm " + c.norm() + ", config.final_norm " + c.finalNorm() + ")");
        if (manifest.layers().size() != c.nLayers()) {
            throw ModelFormatException.field(file, "manifest field layers", manifest.layers().size() + " layers",
                    c.nLayers() + " (config.n_layers)");
        }
        List<LinearKind> kinds = ModelSupport.layerKinds(c);
        for (int i = 0; i < c.nLayers(); i++) {
            FlmManifest.LayerEntry l = manifest.layers().get(i);
            String at = "layers[" + i + "]";
            ref(used, at + ".attn_norm", l.attnNorm(), 4L * c.dim());
            optional(used, at + ".attn_norm_bias", l.attnNormBias(), ln, 4L * c.dim(),
                    "config.dim x 4 bytes (norm " + c.norm() + ")");
            ref(used, at + ".ffn_norm", l.ffnNorm(), 4L * c.dim());
            optional(used, at + ".ffn_norm_bias", l.ffnNormBias(), ln, 4L * c.dim(),
                    "config.dim x 4 bytes (norm " + c.norm() + ")");
            if (l.linears().size() != kinds.size()) {
                throw ModelFormatException.field(file, "manifest field " + at + ".linears", l.linears().size()
                        + " entries", kinds.size() + " (" + String.join(", ", kinds.stream().map(LinearKind::id)
                        .toList()) + " for mlp " + c.mlp() + ")");
            }
            for (int k = 0; k < l.linears().size(); k++) {
                checkLinear(used, at + ".linears[" + k + "]", l.linears().get(k), i, kinds.get(k));
            }
        }
        checkLinear(used, "classifier", manifest.classifier(), -1, LinearKind.CLASSIFIER);
        for (FlmManifest.Payload p : manifest.payloads()) {
            if (!used.contains(p.name())) {
                throw ModelFormatException.field(file, "payload " + p.name(), "unreferenced",
                        "every payload to be referenced by the manifest");
            }
        }
    }

    private void checkLinear(Set<String> used, String at, FlmManifest.LinearEntry e, int layer, LinearKind kind) {
        ModelConfig c = manifest.config();
        int phs = manifest.paddedHeadSize();
        String field = "manifest field " + at;
        if (e.kind() != kind) {
            throw ModelFormatException.field(file, field + ".kind", e.kind().id(), kind.id());
        }
        if (!e.name().equals(kind.tensorName(layer))) {
            throw ModelFormatException.field(file, field + ".name", "\"" + e.name() + "\"",
                    "\"" + kind.tensorName(layer) + "\"");
        }
        int[] shape = switch (kind) {
            case Q -> new int[] {c.nHeads() * phs, c.dim()};
            case K, V -> new int[] {c.nKvHeads() * phs, c.dim()};
            case O -> new int[] {c.dim(), c.nHeads() * phs};
            case W1, W3 -> new int[] {c.hiddenDim(), c.dim()};
            case W2 -> new int[] {c.dim(), c.hiddenDim()};
            case CLASSIFIER -> new int[] {c.vocabSize(), c.dim()};
        };
        if (e.rows() != shape[0]) {
            throw ModelFormatException.field(file, field + ".rows", e.rows(), shape[0] + " (from the config)");
        }
        if (e.cols() != shape[1]) {
            throw ModelFormatException.field(file, field + ".cols", e.cols(), shape[1] + " (from the config)");
        }
        if (Arrays.stream(WeightQuantizer.BITS).noneMatch(b -> b == e.bits())) {
            throw ModelFormatException.field(file, field + ".bits", e.bits(),
                    "one of " + Arrays.toString(WeightQuantizer.BITS));
        }
        int k16 = CompressedLinear.ceil16(e.cols());
        if (e.groupSize() % 16 != 0 || e.groupSize() > k16) {
            throw ModelFormatException.field(file, field + ".group_size", e.groupSize(),
                    "a positive multiple of 16 at most K16 = " + k16);
        }
        long blocks = (long) CompressedLinear.ceil16(e.rows()) / 16 * (k16 / 16);
        ref(used, at + ".densities", e.densities(), blocks);
        ref(used, at + ".values", e.values(), -1);
        if (e.positions() != null) {
            ref(used, at + ".positions", e.positions(), -1);
        }
        long groups = (k16 + e.groupSize() - 1) / e.groupSize();
        ref(used, at + ".scales", e.scales(), 2L * CompressedLinear.ceil16(e.rows()) * groups);
        optional(used, at + ".bias", e.bias(), ModelSupport.hasBias(c, kind), 4L * e.rows(),
                "rows x 4 bytes (config.attention_bias " + c.attentionBias() + ", config.mlp_bias " + c.mlpBias()
                + ")");
    }

    /**
     * A payload the config calls for ({@code wanted}: present with {@code length} bytes) or rules out (absent, null);
     * {@code what} says where the expected length comes from.
     */
    private void optional(Set<String> used, String at, String name, boolean wanted, long length, String what) {
        if (wanted && name == null) {
            throw ModelFormatException.field(file, "manifest field " + at, "missing",
                    "a payload of " + length + " bytes (" + what + ")");
        }
        if (!wanted && name != null) {
            throw ModelFormatException.field(file, "manifest field " + at, "\"" + name + "\"",
                    "null: a " + manifest.config().family() + " model with norm " + manifest.config().norm()
                    + " and config.final_norm " + manifest.config().finalNorm() + " has no such payload");
        }
        if (name != null) {
            FlmManifest.Payload p = ref(used, at, name, -1);
            if (p.length() != length) {
                throw ModelFormatException.field(file, "payload " + name + " length (manifest field " + at + ")",
                        p.length(), length + " = " + what);
            }
        }
    }

    /** Resolves a payload reference (once only) and checks its length when it is known from the shapes alone. */
    private FlmManifest.Payload ref(Set<String> used, String at, String name, long expectedLength) {
        FlmManifest.Payload p = byName.get(name);
        if (p == null) {
            throw ModelFormatException.field(file, "manifest field " + at, "\"" + name + "\"",
                    "the name of a payload in the payloads table");
        }
        if (!used.add(name)) {
            throw ModelFormatException.field(file, "manifest field " + at, "\"" + name + "\"",
                    "a payload no other field refers to");
        }
        if (expectedLength >= 0 && p.length() != expectedLength) {
            throw ModelFormatException.field(file, "payload " + name + " length", p.length(),
                    expectedLength + " (from the shapes in the manifest)");
        }
        return p;
    }

    private void verifyChecksums() {
        try {
            container.verifyAll();
        } catch (ContainerFormatException e) {
            throw new ModelFormatException(e.getMessage(), e);
        }
    }

    private CompressedModel load() {
        ModelConfig c = manifest.config();
        float[] emb = floats(manifest.tokenEmbedding());
        List<CompressedLayer> layers = new ArrayList<>();
        List<LinearKind> kinds = ModelSupport.layerKinds(c);
        for (FlmManifest.LayerEntry l : manifest.layers()) {
            CompressedLinear[] ls = new CompressedLinear[LinearKind.LAYER_KINDS.size()];
            for (int k = 0; k < kinds.size(); k++) {
                ls[kinds.get(k).ordinal()] = linear(l.linears().get(k));
            }
            layers.add(new CompressedLayer(floats(l.attnNorm()), floatsOrNull(l.attnNormBias()), ls[0], ls[1], ls[2],
                    ls[3], floats(l.ffnNorm()), floatsOrNull(l.ffnNormBias()), ls[4], ls[5], ls[6]));
        }
        return new CompressedModel(c, emb, floatsOrNull(manifest.positionEmbedding()), layers,
                floatsOrNull(manifest.finalNorm()), floatsOrNull(manifest.finalNormBias()), linear(manifest.classifier()),
                manifest.recipe(), manifest.attentionMask());
    }

    private CompressedLinear linear(FlmManifest.LinearEntry e) {
        int rb = CompressedLinear.ceil16(e.rows()) / 16;
        int cb = CompressedLinear.ceil16(e.cols()) / 16;
        byte[] d = segment(e.densities()).toArray(ValueLayout.JAVA_BYTE);
        for (int i = 0; i < d.length; i++) {
            if (Arrays.binarySearch(BlockDensity.CHOICES, d[i]) < 0) {
                throw ModelFormatException.field(file, "payload " + e.densities() + " block (" + i / cb + ", "
                        + i % cb + ")", d[i], "one of " + Arrays.toString(BlockDensity.CHOICES));
            }
        }
        int[] vRow = FlmLayout.valuesPerRow(d, rb, cb);
        int[] pRow = FlmLayout.positionsPerRow(d, rb, cb);
        IndexEncoding enc = e.indexEncoding();
        long nValues = 0;
        long nPositions = 0;
        for (int i = 0; i < rb; i++) {
            nValues += 16L * vRow[i];
            nPositions += 16L * pRow[i];
        }
        if (nValues > Integer.MAX_VALUE - 16 || nPositions > Integer.MAX_VALUE - 16) {
            throw ModelFormatException.field(file, e.name() + " kept values", nValues, "fewer than 2^31");
        }
        expectLength(e.values(), FlmLayout.valuesBytes(vRow, e.bits()));
        MemorySegment pos = MemorySegment.NULL;
        if (nPositions > 0 && e.positions() == null) {
            throw ModelFormatException.field(file, "manifest field " + e.name() + ".positions", "null",
                    "a payload of " + FlmLayout.indexBytes(enc, d, rb, cb) + " bytes (the densities have sparse "
                    + "blocks)");
        }
        if (e.positions() != null) {
            expectLength(e.positions(), FlmLayout.indexBytes(enc, d, rb, cb));
            pos = segment(e.positions());
        }
        byte[] values = FlmPacking.unpackValues(segment(e.values()), vRow, e.bits(), (int) nValues);
        byte[] positions;
        if (enc == IndexEncoding.MASK16) {
            try {
                positions = FlmPacking.unpackMasks(pos, d, rb, cb, (int) nPositions);
            } catch (IllegalArgumentException ex) {
                throw ModelFormatException.field(file, "payload " + e.positions() + " (mask16)", ex.getMessage(),
                        "one 16-bit mask per sparse segment with exactly N bits set");
            }
        } else {
            positions = FlmPacking.unpackNibbles(pos, (int) nPositions);
        }
        int groups = (CompressedLinear.ceil16(e.cols()) + e.groupSize() - 1) / e.groupSize();
        short[] scales = FlmPacking.unpackShorts(segment(e.scales()), rb * 16 * groups);
        float[] bias = e.bias() == null ? null : floats(e.bias());
        try {
            return new CompressedLinear(e.name(), e.rows(), e.cols(), e.bits(), e.groupSize(), d, values, positions,
                    scales, bias, enc);
        } catch (IllegalArgumentException ex) {
            throw new ModelFormatException(file + ": linear " + e.name() + " is inconsistent (" + ex.getMessage()
                    + "); expected the rules of docs/flm.md (values in range, unique ascending positions, zero "
                    + "padding)", ex);
        }
    }

    private void expectLength(String name, long expected) {
        FlmManifest.Payload p = byName.get(name);
        if (p.length() != expected) {
            throw ModelFormatException.field(file, "payload " + name + " length", p.length(),
                    expected + " (from the block densities and bit width)");
        }
    }

    private MemorySegment segment(String name) {
        FlmManifest.Payload p = byName.get(name);
        return seg.asSlice(p.offset(), p.length());
    }

    private float[] floatsOrNull(String name) {
        return name == null ? null : floats(name);
    }

    private float[] floats(String name) {
        MemorySegment s = segment(name);
        return FlmPacking.unpackFloats(s, (int) (s.byteSize() / 4));
    }
}
