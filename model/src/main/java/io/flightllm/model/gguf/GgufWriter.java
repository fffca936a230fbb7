package io.flightllm.model.gguf;

import io.flightllm.model.DType;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.Weights;
import io.flightllm.model.tokenizer.SentencePieceTokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a LLaMA {@link Model} as GGUF v3 with llama.cpp's metadata keys and tensor names, so llama.cpp (and
 * {@code GgufLoader}) can run the same weights. Each tensor's stored type comes from a {@link TypeChoice}; tensors
 * already in the chosen type are copied byte for byte, others are dequantized row by row and re-encoded.
 */
public final class GgufWriter {
    /** Chooses the stored type of one tensor, given its GGUF name and the source tensor. */
    @FunctionalInterface
    public interface TypeChoice {
        DType typeOf(String ggufName, Tensor source);
    }

    private record Named(String name, Tensor tensor) {
    }

    private GgufWriter() {
    }

    /**
     * llama.cpp's rule for a model-wide type: 1-D tensors (the norms) stay F32; F16/BF16 apply to every 2-D tensor;
     * a quantized type (Q8_0, Q4_0) applies only to 2-D tensors whose rows are a multiple of 32 values, others F32.
     */
    public static TypeChoice uniform(DType type) {
        if (type == DType.Q8_GROUP) {
            throw new IllegalArgumentException("Q8_GROUP has no GGUF type");
        }
        return (name, t) -> {
            if (t.rows() == 1 || type == DType.F32) {
                return DType.F32;
            }
            return t.cols() % type.blockSize() == 0 ? type : DType.F32;
        };
    }

    /** Writes {@code model} (and {@code tokenizer}, if not null) to {@code target}. */
    public static void write(Model model, SentencePieceTokenizer tokenizer, Path target, TypeChoice choice) {
        write(model.config(), model.weights(), tokenizer, target, choice);
    }

    public static void write(ModelConfig c, Weights w, SentencePieceTokenizer tokenizer, Path target,
                             TypeChoice choice) {
        if (c.family() != ModelConfig.Family.LLAMA || c.attentionBias() || c.mlpBias()
                || c.positions() != ModelConfig.PositionKind.ROPE) {
            throw new IllegalArgumentException("GGUF writing supports plain LLaMA models only, not " + c.family());
        }
        List<Named> tensors = tensors(c, w);
        List<DType> types = new ArrayList<>();
        for (Named n : tensors) {
            DType t = choice.typeOf(n.name(), n.tensor());
            if (n.tensor().rows() == 1 && t != DType.F32) {
                throw new IllegalArgumentException(n.name() + ": norms are stored as F32, not " + t);
            }
            if (n.tensor().cols() % t.blockSize() != 0) {
                throw new IllegalArgumentException(n.name() + ": rows of " + n.tensor().cols()
                        + " values are not a multiple of the " + t + " block size " + t.blockSize());
            }
            types.add(t);
        }
        GgufFileWriter out = new GgufFileWriter(GgufFile.DEFAULT_ALIGNMENT);
        out.put("general.architecture", GgufValue.str("llama"));
        out.put("general.name", GgufValue.str(stem(target)));
        out.put("general.file_type", GgufValue.u32(fileType(types.get(2)))); // [2] = blk.0.attn_q.weight
        out.put("llama.vocab_size", GgufValue.u32(c.vocabSize()));
        out.put("llama.context_length", GgufValue.u32(c.seqLen()));
        out.put("llama.embedding_length", GgufValue.u32(c.dim()));
        out.put("llama.block_count", GgufValue.u32(c.nLayers()));
        out.put("llama.feed_forward_length", GgufValue.u32(c.hiddenDim()));
        out.put("llama.rope.dimension_count", GgufValue.u32(c.headSize()));
        out.put("llama.attention.head_count", GgufValue.u32(c.nHeads()));
        out.put("llama.attention.head_count_kv", GgufValue.u32(c.nKvHeads()));
        if (c.headSize() * c.nHeads() != c.dim()) {
            out.put("llama.attention.key_length", GgufValue.u32(c.headSize()));
            out.put("llama.attention.value_length", GgufValue.u32(c.headSize()));
        }
        out.put("llama.attention.layer_norm_rms_epsilon", GgufValue.f32(c.normEps()));
        out.put("llama.rope.freq_base", GgufValue.f32(c.ropeTheta()));
        if (tokenizer != null) {
            if (tokenizer.vocabSize() != c.vocabSize() || tokenizer.bosId() != c.bosId()) {
                throw new IllegalArgumentException("the tokenizer (" + tokenizer.vocabSize() + " tokens, BOS "
                        + tokenizer.bosId() + ") does not fit the model (" + c.vocabSize() + ", BOS " + c.bosId() + ")");
            }
            out.putAll(GgufVocab.metadata(tokenizer));
        } else {
            out.put(GgufVocab.BOS, GgufValue.u32(c.bosId()));
            if (!c.eosIds().isEmpty()) {
                out.put(GgufVocab.EOS, GgufValue.u32(c.eosIds().getFirst()));
            }
        }
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i).tensor();
            DType type = types.get(i);
            long[] ne = t.rows() == 1 ? new long[] {t.cols()} : new long[] {t.cols(), t.rows()};
            out.tensor(tensors.get(i).name(), ne, GgmlType.idOf(type), type.bytesFor(t.elements()),
                    ch -> payload(t, type, ch));
        }
        out.write(target);
    }

    private static List<Named> tensors(ModelConfig c, Weights w) {
        List<Named> out = new ArrayList<>();
        out.add(new Named("token_embd.weight", w.tokenEmbedding()));
        for (int l = 0; l < w.layers().size(); l++) {
            LayerWeights lw = w.layers().get(l);
            String p = "blk." + l + ".";
            out.add(new Named(p + "attn_norm.weight", lw.attnNorm()));
            out.add(new Named(p + "attn_q.weight", lw.wq()));
            out.add(new Named(p + "attn_k.weight", lw.wk()));
            out.add(new Named(p + "attn_v.weight", lw.wv()));
            out.add(new Named(p + "attn_output.weight", lw.wo()));
            out.add(new Named(p + "ffn_norm.weight", lw.ffnNorm()));
            out.add(new Named(p + "ffn_gate.weight", lw.w1()));
            out.add(new Named(p + "ffn_down.weight", lw.w2()));
            out.add(new Named(p + "ffn_up.weight", lw.w3()));
        }
        out.add(new Named("output_norm.weight", w.finalNorm()));
        if (!c.sharedClassifier()) {
            out.add(new Named("output.weight", w.classifier()));
        }
        return out;
    }

    private static void payload(Tensor t, DType type, FileChannel ch) throws IOException {
        if (t.type() == type) {
            ByteBuffer raw = t.data().asByteBuffer();
            while (raw.hasRemaining()) {
                ch.write(raw);
            }
            return;
        }
        long rowBytes = type.bytesFor(t.cols());
        int rowsPerChunk = (int) Math.max(1, (1 << 20) / rowBytes);
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(rowBytes * rowsPerChunk)).order(ByteOrder.LITTLE_ENDIAN);
        float[] row = new float[t.cols()];
        for (long r = 0; r < t.rows(); r++) {
            t.readRow(r, row);
            GgmlQuant.encode(type, row, row.length, buf);
            if (buf.remaining() < rowBytes || r == t.rows() - 1) {
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                buf.clear();
            }
        }
    }

    /** llama.cpp's general.file_type for a model whose matrices are mostly {@code t}. */
    private static int fileType(DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case BF16 -> 32;
            case Q8_GROUP -> throw new IllegalArgumentException("Q8_GROUP");
        };
    }

    private static String stem(Path target) {
        String name = target.getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }
}
