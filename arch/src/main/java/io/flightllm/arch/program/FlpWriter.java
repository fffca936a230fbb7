package io.flightllm.arch.program;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.arch.container.ContainerWriter;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Writes a {@code .flp}: instruction streams, weight-image channels, the DDR image and density maps as they are
 * produced, then the manifest; the target appears only when {@link #finish} completes (temp file + rename).
 */
public final class FlpWriter implements AutoCloseable {
    private final ContainerWriter out;

    private FlpWriter(Path target) {
        this.out = ContainerWriter.create(FlpFormat.LAYOUT, target);
    }

    public static FlpWriter create(Path target) {
        return new FlpWriter(target);
    }

    /** One core's stream of one bucket; returns its {@link Bucket.Stream} entry. */
    public Bucket.Stream stream(Bucket.Kind kind, int length, int core, int[] words, long instructions) {
        String name = out.words(FlpFormat.streamPayload(kind, length, core), words);
        return new Bucket.Stream(core, name, instructions, words.length);
    }

    /** The weight image of one HBM channel. */
    public String channel(int channel, ByteBuffer bytes) {
        return out.payload("hbm." + channel, bytes);
    }

    public String ddr(ByteBuffer bytes) {
        return out.payload("ddr", bytes);
    }

    public String densities(String linear, byte[] blockN) {
        return out.payload("density." + linear, blockN);
    }

    public void finish(Program program) {
        ObjectNode m = FlpFormat.JSON.valueToTree(program);
        m.put("format", "flp");
        out.finish(m);
    }

    @Override
    public void close() {
        out.close();
    }
}
