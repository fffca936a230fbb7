package io.flightllm.compress;

import io.flightllm.compress.flm.FlmWriter;
import io.flightllm.model.ModelConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Weight-image sizes of compression profiles on a model shape, measured by running the real pipeline on random
 * weights generated layer by layer ({@link RandomWeightSource}); nothing of the FP32 model is ever stored. With a
 * directory, each profile is also written as a real {@code .flm} (deleted after its size is taken).
 *
 * <pre>java -Xmx6g -cp ... io.flightllm.compress.BytesTable [--write-dir DIR] [profile ...]</pre>
 */
public final class BytesTable {
    /** LLaMA2-7B: dim 4096, hidden 11008, 32 layers, 32 heads (MHA), vocab 32000, context 4096, unshared classifier. */
    public static final ModelConfig LLAMA2_7B = io.flightllm.model.BuiltinModels.get("llama2-7b");
    public static final List<String> DEFAULT_PROFILES = List.of("w8", "w4", "w4s8", "mixed", "paper");

    private BytesTable() {
    }

    /** One measured profile; {@code fileBytes} is -1 when no file was written. */
    public record Row(String profile, String recipe, WeightBytes bytes, long fileBytes, double seconds) {
    }

    public static List<Row> measure(ModelConfig shape, List<String> profiles, long seed, Path writeDir,
                                    PrintStream log) {
        List<Row> rows = new ArrayList<>();
        for (String name : profiles) {
            CompressionProfile p = CompressionProfile.named(name);
            ModelCompressor mc = new ModelCompressor(p, LinearCompressor.roundToNearest(), "rtn");
            RandomWeightSource src = new RandomWeightSource(shape, seed);
            long t0 = System.nanoTime();
            ModelCompressor.Progress progress = (layer, kind, done, total) -> {
                if (log != null && (kind == LinearKind.W3 || kind == LinearKind.CLASSIFIER)) {
                    log.printf(Locale.ROOT, "%s: layer %d done (%d/%d matrices, %.0f s)%n", name, layer, done,
                            total, (System.nanoTime() - t0) / 1e9);
                }
            };
            WeightBytes b;
            long fileBytes = -1;
            if (writeDir != null) {
                Path f = writeDir.resolve("bytes-table-" + name + ".flm");
                try (FlmWriter w = FlmWriter.create(f)) {
                    b = mc.run(src, null, w, progress);
                }
                try {
                    fileBytes = Files.size(f);
                    Files.delete(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else {
                b = mc.run(src, null, new DiscardingSink(), progress);
            }
            Row row = new Row(name, p.describe(), b, fileBytes, (System.nanoTime() - t0) / 1e9);
            rows.add(row);
            if (log != null) {
                log.print(markdown(List.of(row)));
                log.flush();
            }
        }
        return rows;
    }

    /** A Markdown table of the rows. */
    public static String markdown(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| profile | values | indices | densities | scales | linear weights (GB) | bits/weight "
                + "| embedding + norms (GB) | .flm file (GB) |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            WeightBytes b = r.bytes();
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %,d | %.3f | %.3f | %.3f | %s |%n",
                    r.profile(), b.values(), b.indices(), b.densities(), b.scales(), b.linearBytes() / 1e9,
                    b.bitsPerWeight(), (b.embeddingBytes() + b.normBytes()) / 1e9,
                    r.fileBytes() < 0 ? "-" : String.format(Locale.ROOT, "%.3f", r.fileBytes() / 1e9)));
        }
        return sb.toString();
    }

    /** Keeps nothing: for size measurements without a file. */
    static final class DiscardingSink implements ModelCompressor.Sink {
        @Override
        public void begin(ModelConfig config, int paddedHeadSize, String recipe, float[] tokenEmbedding,
                          float[] positionEmbedding) {
        }

        @Override
        public void layer(int index, CompressedLayer layer) {
        }

        @Override
        public void end(float[] finalNorm, float[] finalNormBias, CompressedLinear classifier) {
        }
    }

    public static void main(String[] args) {
        Path dir = null;
        List<String> profiles = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--write-dir") && i + 1 < args.length) {
                dir = Path.of(args[++i]);
            } else {
                profiles.add(args[i]);
            }
        }
        List<Row> rows = measure(LLAMA2_7B, profiles.isEmpty() ? DEFAULT_PROFILES : profiles, 1, dir, System.err);
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%s: %s (%.0f s)%n", r.profile(), r.recipe(), r.seconds());
        }
        System.out.print(markdown(rows));
    }
}
