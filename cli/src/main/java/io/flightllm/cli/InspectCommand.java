package io.flightllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.runtime.Backend;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flightllm inspect M}: the config, every tensor with type and shape, parameter count and bytes. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print a checkpoint's config, tensors (type, shape), parameter count and bytes.")
final class InspectCommand implements Callable<Integer> {
    private final Console console;

    InspectCommand(Console console) {
        this.console = console;
    }

    @Parameters(index = "0", paramLabel = "M",
            description = "checkpoint: llama2.c .bin, .gguf, HF directory, or a compressed .flm")
    Path model;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (Backend.isFlm(model)) {
            return FlmInspect.print(model, json, new PrintStream(console.out(), true, StandardCharsets.UTF_8));
        }
        try (Model m = ModelLoader.load(model)) {
            ModelConfig c = m.config();
            List<Tensor> tensors = m.weights().all();
            long params = 0;
            long bytes = 0;
            for (Tensor t : tensors) {
                params += t.elements();
                bytes += t.byteSize();
            }
            long skipped = ModelLoader.fileParameters(m) - params; // OPT's 2 position offset rows
            if (skipped > 0) {
                bytes += skipped * m.weights().positionEmbedding().byteSize()
                        / m.weights().positionEmbedding().elements();
                params += skipped;
            }
            PrintStream out = new PrintStream(console.out(), true, StandardCharsets.UTF_8);
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("file", m.source().toString());
                o.put("format", m.format());
                o.put("config", c);
                List<Map<String, Object>> ts = new ArrayList<>();
                for (Tensor t : tensors) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("name", t.name());
                    e.put("type", t.type().toString());
                    e.put("shape", t.rows() == 1 ? List.of((long) t.cols()) : List.of(t.rows(), (long) t.cols()));
                    e.put("bytes", t.byteSize());
                    ts.add(e);
                }
                o.put("tensors", ts);
                o.put("parameters", params);
                o.put("bytes", bytes);
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o));
                return 0;
            }
            out.printf(Locale.ROOT, "file:        %s%nformat:      %s%n", m.source(), m.format());
            out.printf(Locale.ROOT, "family:      %s%n", c.family());
            out.printf(Locale.ROOT, "dim %d, hidden %d, layers %d, heads %d, kv heads %d, head size %d, vocab %d, "
                            + "context %d%n", c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(),
                    c.headSize(), c.vocabSize(), c.seqLen());
            out.printf(Locale.ROOT, "norm %s eps %s, positions %s theta %s, mlp %s, classifier %s%n", c.norm(),
                    c.normEps(), c.positions(), c.ropeTheta(), c.mlp(), c.sharedClassifier() ? "shared" : "separate");
            if (c.family() == io.flightllm.model.ModelConfig.Family.OPT) {
                out.printf(Locale.ROOT, "layers:      %s, final norm %s, biases %s, embed dim %d%s%n",
                        c.normBefore() ? "pre-norm" : "post-norm", c.finalNorm() ? "yes" : "no",
                        c.attentionBias() ? "yes" : "no", c.embedDim(), c.projects() ? " (project_in/out)" : "");
            }
            out.printf(Locale.ROOT, "tokens:      bos %d, stop %s%n", c.bosId(),
                    c.eosIds().isEmpty() ? "BOS only" : "BOS or " + c.eosIds());
            out.println();
            out.printf(Locale.ROOT, "%-40s %-9s %-18s %14s%n", "tensor", "type", "shape", "bytes");
            for (Tensor t : tensors) {
                String shape = t.rows() == 1 ? "[" + t.cols() + "]" : "[" + t.rows() + ", " + t.cols() + "]";
                out.printf(Locale.ROOT, "%-40s %-9s %-18s %,14d%n", t.name(), t.type(), shape, t.byteSize());
            }
            out.println();
            out.printf(Locale.ROOT, "parameters:  %,d%nbytes:       %,d (%.1f MiB)%n", params, bytes,
                    bytes / 1048576.0);
        }
        return 0;
    }
}
