package io.flightllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.flm.FlmManifest;
import io.flightllm.compress.flm.FlmReader;
import io.flightllm.model.ModelConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code flightllm inspect F.flm}: the manifest summary of a compressed model (after full header/CRC checks). */
final class FlmInspect {
    private FlmInspect() {
    }

    static int print(Path file, boolean json, PrintStream out) throws IOException {
        FlmReader.Inspection in = FlmReader.inspect(file);
        FlmManifest m = in.manifest();
        ModelConfig c = m.config();
        Map<String, Long> payloadBytes = new HashMap<>();
        m.payloads().forEach(p -> payloadBytes.put(p.name(), p.length()));
        List<FlmManifest.LinearEntry> all = new ArrayList<>();
        m.layers().forEach(l -> all.addAll(l.linears()));
        all.add(m.classifier());
        List<Map<String, Object>> rows = new ArrayList<>();
        long weightBytes = 0;
        long params = 0;
        for (FlmManifest.LinearEntry e : all) {
            long b = size(payloadBytes, e.values()) + size(payloadBytes, e.positions())
                    + size(payloadBytes, e.densities()) + size(payloadBytes, e.scales());
            int[] src = ModelCompressor.sourceShape(c, e.kind());
            weightBytes += b;
            params += (long) src[0] * src[1];
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("name", e.name());
            r.put("shape", List.of(e.rows(), e.cols()));
            r.put("bits", e.bits());
            r.put("group_size", e.groupSize());
            r.put("mean_density", BlockDensity.mean(in.densities().get(e.name())));
            r.put("bytes", b);
            rows.add(r);
        }
        long other = size(payloadBytes, m.tokenEmbedding()) + size(payloadBytes, m.finalNorm());
        for (FlmManifest.LayerEntry l : m.layers()) {
            other += size(payloadBytes, l.attnNorm()) + size(payloadBytes, l.ffnNorm());
        }
        double bpw = 8.0 * weightBytes / params;
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("file", file.toString());
            o.put("format", "flm v" + m.formatVersion());
            o.put("config", c);
            o.put("padded_head_size", m.paddedHeadSize());
            o.put("recipe", m.recipe());
            o.put("attention_mask", m.attentionMask() == null ? null : m.attentionMask().spec());
            o.put("linears", rows);
            o.put("linear_weight_bytes", weightBytes);
            o.put("bits_per_weight", bpw);
            o.put("embedding_and_norm_bytes", other);
            o.put("file_bytes", in.fileSize());
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o));
            return 0;
        }
        out.printf(Locale.ROOT, "file:        %s%nformat:      .flm v%d (header, manifest and %d payload CRCs OK)%n",
                file, m.formatVersion(), m.payloads().size());
        out.printf(Locale.ROOT, "dim %d, hidden %d, layers %d, heads %d, kv heads %d, head size %d (padded %d), "
                        + "vocab %d, context %d%n", c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(),
                c.headSize(), m.paddedHeadSize(), c.vocabSize(), c.seqLen());
        out.printf(Locale.ROOT, "recipe:      %s%n", m.recipe());
        out.printf(Locale.ROOT, "attention:   %s%n%n", m.attentionMask() == null ? "dense causal"
                : "prompt rows block-sparse " + m.attentionMask().spec() + " (block:sinks:band), decode dense");
        out.printf(Locale.ROOT, "%-22s %-14s %4s %5s %8s %14s%n", "linear", "shape", "bits", "G", "density",
                "bytes");
        for (Map<String, Object> r : rows) {
            @SuppressWarnings("unchecked")
            List<Integer> s = (List<Integer>) r.get("shape");
            out.printf(Locale.ROOT, "%-22s %-14s %4d %5d %8.3f %,14d%n", r.get("name"),
                    "[" + s.get(0) + ", " + s.get(1) + "]", r.get("bits"), r.get("group_size"),
                    r.get("mean_density"), r.get("bytes"));
        }
        out.printf(Locale.ROOT, "%nlinear weights: %,d bytes, %.4f bits/weight over %,d parameters%n", weightBytes,
                bpw, params);
        out.printf(Locale.ROOT, "embedding + norms: %,d bytes (FP32); file: %,d bytes%n", other, in.fileSize());
        return 0;
    }

    private static long size(Map<String, Long> payloads, String name) {
        return name == null ? 0 : payloads.get(name);
    }

}
