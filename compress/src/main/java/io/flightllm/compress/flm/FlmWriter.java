package io.flightllm.compress.flm;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.compress.CompressedLayer;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.model.ModelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Writes a {@code .flm} file as the model streams in ({@link ModelCompressor.Sink}): payloads go to a temporary file in
 * the target's directory as they arrive, the manifest and header follow at {@link #end}, and only then is the file
 * renamed over the target (atomically where the file system allows). If anything fails before that, {@link #close}
 * deletes the temporary file, so the target is either the old file or the complete new one.
 */
public final class FlmWriter implements ModelCompressor.Sink, AutoCloseable {
    private final Path target;
    private final Path temp;
    private final FileChannel ch;
    private final List<FlmManifest.Payload> payloads = new ArrayList<>();
    private final List<FlmManifest.LayerEntry> layers = new ArrayList<>();
    private ModelConfig config;
    private int paddedHeadSize;
    private String recipe;
    private long position = FlmLayout.HEADER_BYTES;
    private boolean committed;

    private FlmWriter(Path target) throws IOException {
        this.target = target.toAbsolutePath();
        Path dir = this.target.getParent();
        this.temp = Files.createTempFile(dir, "." + this.target.getFileName() + ".", ".tmp");
        this.ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        ch.position(FlmLayout.HEADER_BYTES); // the header is written last, once the manifest's place is known
    }

    /** Starts writing {@code target} (created or replaced only when {@link #end} completes). */
    public static FlmWriter create(Path target) {
        try {
            return new FlmWriter(target);
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot create a temporary file beside it: " + e.getMessage(), e);
        }
    }

    /** Writes a whole in-memory model. */
    public static void write(CompressedModel m, Path target) {
        try (FlmWriter w = create(target)) {
            w.begin(m.config(), m.paddedHeadSize(), m.recipe(), m.tokenEmbedding());
            for (int i = 0; i < m.layers().size(); i++) {
                w.layer(i, m.layers().get(i));
            }
            w.end(m.finalNorm(), m.classifier());
        }
    }

    @Override
    public void begin(ModelConfig c, int phs, String r, float[] tokenEmbedding) {
        config = c;
        paddedHeadSize = phs;
        recipe = r;
        floats("token_embedding", tokenEmbedding);
    }

    @Override
    public void layer(int index, CompressedLayer layer) {
        if (layer.attnNormBias() != null || layer.ffnNormBias() != null) {
            throw new IllegalArgumentException("layer " + index + ": norm biases are not supported by .flm v1");
        }
        String an = floats("layers." + index + ".attn_norm", layer.attnNorm());
        String fn = floats("layers." + index + ".ffn_norm", layer.ffnNorm());
        List<FlmManifest.LinearEntry> lin = new ArrayList<>();
        CompressedLinear[] ls = {layer.wq(), layer.wk(), layer.wv(), layer.wo(), layer.w1(), layer.w2(), layer.w3()};
        for (int k = 0; k < ls.length; k++) {
            lin.add(linear(ls[k], LinearKind.LAYER_KINDS.get(k)));
        }
        layers.add(new FlmManifest.LayerEntry(an, fn, lin));
    }

    @Override
    public void end(float[] finalNorm, CompressedLinear classifier) {
        try {
            String fin = floats("final_norm", finalNorm);
            FlmManifest.LinearEntry cls = linear(classifier, LinearKind.CLASSIFIER);
            FlmManifest m = new FlmManifest(FlmLayout.VERSION, config, paddedHeadSize, recipe, "token_embedding", fin,
                    layers, cls, payloads);
            ObjectMapper om = new ObjectMapper();
            byte[] json = om.writeValueAsBytes(m.toJson(om));
            long manifestOffset = FlmLayout.align(position);
            pad(manifestOffset);
            write(ByteBuffer.wrap(json));
            CRC32C crc = new CRC32C();
            crc.update(json);
            ByteBuffer h = ByteBuffer.allocate(FlmLayout.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            h.put(FlmLayout.MAGIC).putInt(FlmLayout.VERSION).putLong(manifestOffset).putLong(json.length)
                    .putInt((int) crc.getValue());
            h.position(0);
            ch.position(0);
            write(h);
            ch.force(true);
            ch.close();
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            committed = true;
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write: " + e.getMessage(), e);
        }
    }

    private FlmManifest.LinearEntry linear(CompressedLinear l, LinearKind kind) {
        byte[] d = l.blockDensities();
        int[] perRow = FlmLayout.valuesPerRow(d, l.rowBlocks(), l.colBlocks());
        String n = l.name();
        String values = bytes(n + ".values", FlmPacking.packValues(l.values(), perRow, l.bits()));
        String positions = l.positions().length == 0 ? null
                : l.indexEncoding() == IndexEncoding.MASK16
                ? bytes(n + ".masks", FlmPacking.packMasks(l.positions(), d, l.rowBlocks(), l.colBlocks()))
                : bytes(n + ".positions", FlmPacking.packNibbles(l.positions()));
        String densities = bytes(n + ".densities", d);
        String scales = bytes(n + ".scales", FlmPacking.packShorts(l.scaleBits()));
        String bias = l.bias() == null ? null : floats(n + ".bias", l.bias());
        return new FlmManifest.LinearEntry(n, kind, l.rows(), l.cols(), l.bits(), l.groupSize(), values, positions,
                l.indexEncoding(), densities, scales, bias);
    }

    private String floats(String name, float[] a) {
        // in chunks, so a large embedding is never duplicated as one byte array
        long offset = FlmLayout.align(position);
        pad(offset);
        CRC32C crc = new CRC32C();
        int chunk = 1 << 20;
        for (int i = 0; i < a.length; i += chunk) {
            int n = Math.min(chunk, a.length - i);
            ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(a, i, n);
            crc.update(b.duplicate());
            write(b);
        }
        payloads.add(new FlmManifest.Payload(name, offset, 4L * a.length, crc.getValue()));
        return name;
    }

    private String bytes(String name, byte[] a) {
        long offset = FlmLayout.align(position);
        pad(offset);
        CRC32C crc = new CRC32C();
        crc.update(a);
        write(ByteBuffer.wrap(a));
        payloads.add(new FlmManifest.Payload(name, offset, a.length, crc.getValue()));
        return name;
    }

    private void pad(long to) {
        if (to > position) {
            write(ByteBuffer.allocate((int) (to - position)));
        }
    }

    private void write(ByteBuffer b) {
        try {
            while (b.hasRemaining()) {
                position += ch.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(temp + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** Deletes the temporary file unless {@link #end} completed. */
    @Override
    public void close() {
        if (committed) {
            return;
        }
        try {
            ch.close();
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            throw new UncheckedIOException(temp + ": cannot delete the unfinished file: " + e.getMessage(), e);
        }
    }

}
