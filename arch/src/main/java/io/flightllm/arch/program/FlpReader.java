package io.flightllm.arch.program;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.arch.container.ContainerFormatException;
import io.flightllm.arch.container.ContainerReader;
import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigException;
import io.flightllm.arch.hw.HardwareConfigs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Opens a {@code .flp} and validates it before use: framing and CRCs, the manifest's schema, the target config, every
 * region inside its memory, every stream and image payload present with the declared size.
 */
public final class FlpReader {
    private static final ValueLayout.OfInt WORD = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final ContainerReader container;
    private final Program program;

    private FlpReader(ContainerReader container) {
        this.container = container;
        Path file = container.file();
        ObjectNode m = ((ObjectNode) container.manifest()).deepCopy();
        JsonNode format = m.remove("format");
        m.remove("payloads");
        if (format == null || !"flp".equals(format.asText())) {
            throw ContainerFormatException.field(file, "manifest field format", format, "\"flp\"");
        }
        JsonNode target = m.get("target");
        if (target == null || !target.isObject()) {
            throw ContainerFormatException.field(file, "manifest field target", target, "a hardware config object");
        }
        try {
            HardwareConfigs.parse(target.toString(), file + " (field target)", false);
        } catch (HardwareConfigException e) {
            throw new ContainerFormatException(file + ": field target: " + e.getMessage(), e);
        }
        try {
            program = FlpFormat.JSON.treeToValue(m, Program.class);
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            String path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
                    : "[" + r.getIndex() + "]").reduce((a, b) -> a + "." + b).orElse("");
            throw new ContainerFormatException(file + ": manifest field '" + path + "': " + e.getOriginalMessage(), e);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new ContainerFormatException(file + ": manifest: " + e.getOriginalMessage(), e);
        }
        check(file);
    }

    public static FlpReader open(Path file, Arena arena) {
        ContainerReader r = ContainerReader.open(file, FlpFormat.LAYOUT, arena);
        r.verifyAll();
        return new FlpReader(r);
    }

    private void check(Path file) {
        HardwareConfig hw = program.target();
        for (Region r : program.regions()) {
            String at = "region " + r.name() + " (core " + r.core() + ")";
            long cap = r.mem().equals("HBM") ? hw.hbm().channelBytes() : Long.MAX_VALUE;
            if (!r.mem().equals("HBM") && !r.mem().equals("DDR")) {
                throw ContainerFormatException.field(file, at + " mem", r.mem(), "HBM or DDR");
            }
            if (r.mem().equals("HBM") && (r.channel() < 0 || r.channel() >= hw.hbm().channels())) {
                throw ContainerFormatException.field(file, at + " channel", r.channel(),
                        "in [0, " + hw.hbm().channels() + ")");
            }
            if (r.address() < 0 || r.bytes() < 0 || r.address() > cap - r.bytes()) {
                throw ContainerFormatException.field(file, at + " address", r.address() + " + " + r.bytes(),
                        "inside the channel's " + cap + " bytes");
            }
            if (r.core() < -1 || r.core() >= hw.cores()) {
                throw ContainerFormatException.field(file, at + " core", r.core(), "-1 or in [0, " + hw.cores() + ")");
            }
        }
        for (Bucket b : program.buckets()) {
            if (b.streams().size() != hw.cores()) {
                throw ContainerFormatException.field(file, b.kind() + " bucket " + b.length() + " streams",
                        b.streams().size(), hw.cores() + " (one per core of " + hw.name() + ")");
            }
            for (int c = 0; c < b.streams().size(); c++) {
                Bucket.Stream s = b.streams().get(c);
                if (s.core() != c) {
                    throw ContainerFormatException.field(file, b.kind() + " bucket " + b.length() + " stream " + c
                            + " core", s.core(), Integer.toString(c));
                }
                requirePayload(file, s.payload(), 4 * s.words(), b.kind() + " bucket " + b.length() + " core " + c);
            }
        }
        program.weightImage().forEach((ch, name) -> {
            if (ch < 0 || ch >= hw.hbm().channels()) {
                throw ContainerFormatException.field(file, "weight image channel", ch,
                        "in [0, " + hw.hbm().channels() + ")");
            }
            long len = requirePayload(file, name, -1, "weight image of channel " + ch);
            if (len > hw.hbm().channelBytes()) {
                throw ContainerFormatException.field(file, "weight image of channel " + ch + " length", len,
                        "at most the channel's " + hw.hbm().channelBytes() + " bytes");
            }
        });
        if (program.ddrImage() != null) {
            requirePayload(file, program.ddrImage(), -1, "ddr image");
        }
        program.densityMaps().forEach((linear, name) -> requirePayload(file, name, -1, "density map of " + linear));
    }

    private long requirePayload(Path file, String name, long length, String what) {
        ContainerReader.Payload p = container.payloads().get(name);
        if (p == null) {
            throw ContainerFormatException.field(file, what, "a reference to missing payload '" + name + "'",
                    "one of the payload table's names");
        }
        if (length >= 0 && p.length() != length) {
            throw ContainerFormatException.field(file, "payload " + name + " length", p.length(),
                    length + " (from " + what + ")");
        }
        return p.length();
    }

    public Program program() {
        return program;
    }

    public Path file() {
        return container.file();
    }

    /** The instruction words of one core's stream. */
    public int[] words(Bucket.Stream s) {
        MemorySegment seg = container.payload(s.payload(), 4 * s.words(), "stream of core " + s.core());
        int[] w = new int[(int) s.words()];
        for (int i = 0; i < w.length; i++) {
            w[i] = seg.get(WORD, 4L * i);
        }
        return w;
    }

    /** A payload's bytes (weight image channel, DDR image, density map). */
    public MemorySegment payload(String name) {
        return container.payload(name, -1, "payload " + name);
    }
}
