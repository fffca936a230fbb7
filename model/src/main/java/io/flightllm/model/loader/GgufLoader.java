package io.flightllm.model.loader;

import io.flightllm.model.DType;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;
import io.flightllm.model.Tensor;
import io.flightllm.model.Weights;
import io.flightllm.model.gguf.GgufArray;
import io.flightllm.model.gguf.GgufFile;
import io.flightllm.model.gguf.GgufTensorInfo;
import io.flightllm.model.gguf.GgufType;
import io.flightllm.model.gguf.GgufVocab;
import io.flightllm.model.tokenizer.SentencePieceTokenizer;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * GGUF v3 (and v2) LLaMA checkpoints: llama.cpp's metadata keys and tensor names mapped onto {@link ModelConfig} and
 * {@link Weights}; tensor data stays memory-mapped. llama.cpp stores attn_q/attn_k already in the interleaved RoPE
 * order llama2.c uses, so no permutation is applied. GGUF {@code ne[0]} (the contiguous row) is {@link Tensor#cols()}.
 */
public final class GgufLoader {
    static final String ARCH = "general.architecture";

    private GgufLoader() {
    }

    public static Model load(Path path) {
        Arena arena = Arena.ofShared();
        try {
            GgufFile g = GgufFile.read(MappedFile.map(path, arena));
            String arch = g.string(ARCH);
            if (!arch.equals("llama")) {
                throw ModelFormatException.field(path, ARCH, '"' + arch + '"', "\"llama\"");
            }
            ModelConfig c = config(g);
            Weights w = weights(g, c);
            SentencePieceTokenizer tok = GgufVocab.present(g) ? GgufVocab.tokenizer(g) : null;
            if (tok != null && tok.vocabSize() != c.vocabSize()) {
                throw ModelFormatException.field(path, GgufVocab.TOKENS + " length", tok.vocabSize(),
                        c.vocabSize() + " (the model's vocab_size)");
            }
            return new Model(path, format(g, w), c, w, tok, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The SentencePiece vocabulary stored in a GGUF file's metadata (the file needs no tensors). */
    public static SentencePieceTokenizer loadTokenizer(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            GgufFile g = GgufFile.read(MappedFile.map(path, arena));
            if (!GgufVocab.present(g)) {
                throw new ModelFormatException(path + ": metadata key " + GgufVocab.MODEL
                        + " is missing; expected a GGUF file with a tokenizer");
            }
            return GgufVocab.tokenizer(g); // copies everything to the heap before the mapping is closed
        }
    }

    static ModelConfig config(GgufFile g) {
        Path path = g.path();
        int max = ModelConfig.MAX_DIM;
        int dim = g.integer("llama.embedding_length", 1, max);
        int hidden = g.integer("llama.feed_forward_length", 1, max);
        int layers = g.integer("llama.block_count", 1, 4096);
        int heads = g.integer("llama.attention.head_count", 1, max);
        int kvHeads = g.integer("llama.attention.head_count_kv", 1, max, heads);
        int seqLen = g.integer("llama.context_length", 1, max);
        float eps = g.float32("llama.attention.layer_norm_rms_epsilon");
        float theta = g.float32("llama.rope.freq_base", 10000.0f);
        int headSize;
        if (g.has("llama.attention.key_length")) {
            headSize = g.integer("llama.attention.key_length", 1, max);
        } else {
            if (dim % heads != 0) {
                throw ModelFormatException.field(path, "llama.embedding_length", dim,
                        "a multiple of llama.attention.head_count = " + heads);
            }
            headSize = dim / heads;
        }
        int valueLength = g.integer("llama.attention.value_length", 1, max, headSize);
        if (valueLength != headSize) {
            throw ModelFormatException.field(path, "llama.attention.value_length", valueLength,
                    headSize + " (the key length; different key and value widths are not supported)");
        }
        int ropeDims = g.integer("llama.rope.dimension_count", 1, max, headSize);
        if (ropeDims != headSize) {
            throw ModelFormatException.field(path, "llama.rope.dimension_count", ropeDims,
                    headSize + " (the head size; partial rotary embeddings are not supported)");
        }
        int vocab = vocabSize(g);
        int bos = g.integer(GgufVocab.BOS, 0, vocab - 1, 1);
        List<Integer> eos = g.has(GgufVocab.EOS) ? List.of(g.integer(GgufVocab.EOS, 0, vocab - 1)) : List.of();
        boolean shared = g.tensor("output.weight") == null;
        return new ModelConfig(ModelConfig.Family.LLAMA, dim, hidden, layers, heads, kvHeads, vocab, seqLen, headSize,
                eps, theta, ModelConfig.NormKind.RMS_NORM, ModelConfig.MlpKind.SWIGLU, ModelConfig.PositionKind.ROPE,
                false, false, shared, bos, eos).validate(path);
    }

    /** From the token array, else llama.vocab_size, else the embedding's rows; present sources must agree. */
    private static int vocabSize(GgufFile g) {
        Integer fromTokens = null;
        if (g.has(GgufVocab.TOKENS)) {
            GgufArray tokens = g.array(GgufVocab.TOKENS, GgufType.STRING);
            fromTokens = tokens.size();
        }
        Integer fromKey = g.has("llama.vocab_size") ? g.integer("llama.vocab_size", 1, ModelConfig.MAX_DIM) : null;
        if (fromTokens != null && fromKey != null && !fromTokens.equals(fromKey)) {
            throw ModelFormatException.field(g.path(), "llama.vocab_size", fromKey,
                    fromTokens + " (the length of " + GgufVocab.TOKENS + ")");
        }
        if (fromTokens != null) {
            return fromTokens;
        }
        if (fromKey != null) {
            return fromKey;
        }
        GgufTensorInfo emb = g.tensor("token_embd.weight");
        if (emb == null || emb.rows() > ModelConfig.MAX_DIM) {
            throw new ModelFormatException(g.path() + ": the vocabulary size is unknown; expected "
                    + GgufVocab.TOKENS + " or llama.vocab_size in the metadata");
        }
        return (int) emb.rows();
    }

    private static Weights weights(GgufFile g, ModelConfig c) {
        Tensor emb = tensor(g, "token_embd.weight", c.vocabSize(), c.dim());
        List<LayerWeights> layers = new ArrayList<>(c.nLayers());
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blk." + l + ".";
            layers.add(LayerWeights.llama(
                    tensor(g, p + "attn_norm.weight", 1, c.dim()),
                    tensor(g, p + "attn_q.weight", c.qDim(), c.dim()),
                    tensor(g, p + "attn_k.weight", c.kvDim(), c.dim()),
                    tensor(g, p + "attn_v.weight", c.kvDim(), c.dim()),
                    tensor(g, p + "attn_output.weight", c.dim(), c.qDim()),
                    tensor(g, p + "ffn_norm.weight", 1, c.dim()),
                    tensor(g, p + "ffn_gate.weight", c.hiddenDim(), c.dim()),
                    tensor(g, p + "ffn_down.weight", c.dim(), c.hiddenDim()),
                    tensor(g, p + "ffn_up.weight", c.hiddenDim(), c.dim())));
        }
        Tensor norm = tensor(g, "output_norm.weight", 1, c.dim());
        Tensor cls = c.sharedClassifier() ? emb : tensor(g, "output.weight", c.vocabSize(), c.dim());
        return new Weights(emb, null, layers, norm, null, cls).validate(c, g.path());
    }

    private static Tensor tensor(GgufFile g, String name, long rows, int cols) {
        GgufTensorInfo t = g.tensor(name);
        String shape = rows == 1 ? "[" + cols + "]" : "[" + cols + ", " + rows + "]";
        if (t == null) {
            throw new ModelFormatException(g.path() + ": tensor " + name + " is missing; expected a tensor of ne "
                    + shape);
        }
        if (t.dtype() == null) {
            throw g.unsupported(t);
        }
        if (t.cols() != cols || t.rows() != rows) {
            throw ModelFormatException.field(g.path(), "tensor " + name + " ne", t.shape(),
                    shape + " (from the metadata)");
        }
        return Tensor.of(name, t.dtype(), t.rows(), t.cols(), g.data(t));
    }

    /** "GGUF v3 (Q8_0, F32)": the version and the tensor types, by bytes. */
    private static String format(GgufFile g, Weights w) {
        Map<DType, Long> bytes = new EnumMap<>(DType.class);
        for (Tensor t : w.all()) {
            bytes.merge(t.type(), t.byteSize(), Long::sum);
        }
        String types = bytes.entrySet().stream().sorted(Map.Entry.<DType, Long>comparingByValue().reversed())
                .map(e -> e.getKey().toString()).collect(Collectors.joining(", "));
        return "GGUF v" + g.version() + " (" + types + ")";
    }
}
