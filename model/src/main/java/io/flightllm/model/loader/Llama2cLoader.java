package io.flightllm.model.loader;

import io.flightllm.model.DType;
import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.ModelFormatException;
import io.flightllm.model.Tensor;
import io.flightllm.model.Weights;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * llama2.c checkpoints, in the layouts llama2.c's {@code export.py} writes (checked against its legacy_export,
 * version1_export and version2_export; the tests write all three with {@code testing.Llama2cWriter}):
 * <ul>
 *   <li>v0 ("legacy", read by run.c): 7 int32 header, FP32 tensors in run.c's order (embedding, then per kind over
 *       all layers: rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3; rms_final), the legacy RoPE tables (skipped), and
 *       {@code wcls} when vocab_size is negative (separate classifier).</li>
 *   <li>v1: uint32 0x616b3432 ("ak42" as little-endian, bytes "24ka"), int32 version, the same 7 ints (vocab_size
 *       always positive), a uint8 shared-classifier flag at byte 36, zeros to 256 bytes; FP32 norms first (rms_att,
 *       rms_ffn over all layers, rms_final), then embedding, wq, wk, wv, wo, w1, w2, w3, and wcls when not shared.</li>
 *   <li>v2 (read by runq.c): as v1 plus an int32 group size at byte 37; the norms in FP32, then each matrix in v1 order
 *       as int8 values immediately followed by its FP32 scales, one per group of consecutive elements of the
 *       flattened tensor (groups may span rows: export.py only requires dim % group_size == 0).</li>
 * </ul>
 */
public final class Llama2cLoader {
    /** "ak42" read as a little-endian int32. */
    public static final int MAGIC = 0x616b3432;
    private static final long V1_HEADER_BYTES = 256;

    private Llama2cLoader() {
    }

    public static Model load(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MappedFile f = MappedFile.map(path, arena);
            if (f.size() >= 4 && f.i32(0, "magic") == MAGIC) {
                int version = f.i32(4, "version");
                return switch (version) {
                    case 1 -> loadV1(f, arena);
                    case 2 -> loadV2(f, arena);
                    default -> throw ModelFormatException.field(path, "version", version,
                            "1 or 2 for an \"ak42\" llama2.c checkpoint");
                };
            }
            return loadV0(f, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static ModelConfig header(MappedFile f, long at, boolean v0) {
        if (f.size() < at + 28) {
            throw new ModelFormatException(f.path() + ": " + f.size() + " bytes is shorter than the 28-byte llama2.c "
                    + "header; not a llama2.c checkpoint (or truncated)");
        }
        int dim = f.i32(at, "dim");
        int hidden = f.i32(at + 4, "hidden_dim");
        int layers = f.i32(at + 8, "n_layers");
        int heads = f.i32(at + 12, "n_heads");
        int kvHeads = f.i32(at + 16, "n_kv_heads");
        int vocab = f.i32(at + 20, "vocab_size");
        int seqLen = f.i32(at + 24, "seq_len");
        boolean shared = !v0 || vocab > 0;
        if (v0 && vocab == Integer.MIN_VALUE) {
            throw ModelFormatException.field(f.path(), "vocab_size", vocab, "a non-zero int32");
        }
        if (!v0 && vocab <= 0) {
            // export.py's version1/version2 write p.vocab_size as is and keep sharing in a flag byte; runq.c does not
            // negate it, so a negative value here is corruption, not an unshared classifier.
            throw ModelFormatException.field(f.path(), "vocab_size", vocab,
                    "a positive int32 (v1/v2 store classifier sharing in the flag byte at offset 36)");
        }
        ModelConfig c = ModelConfig.llama(dim, hidden, layers, heads, kvHeads, Math.abs(vocab), seqLen, shared);
        c.validate(f.path());
        if (dim % heads != 0) {
            throw ModelFormatException.field(f.path(), "dim", dim, "a multiple of n_heads = " + heads);
        }
        return c;
    }

    private static ModelConfig withShared(ModelConfig c, boolean shared) {
        return ModelConfig.llama(c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.vocabSize(),
                c.seqLen(), shared);
    }

    /** Sequential reader of FP32 tensors that checks the total against the file length up front. */
    private static final class Cursor {
        final MappedFile f;
        long offset;

        Cursor(MappedFile f, long offset) {
            this.f = f;
            this.offset = offset;
        }

        Tensor f32(String name, long rows, int cols) {
            long bytes = Math.multiplyExact(Math.multiplyExact(rows, (long) cols), 4L);
            Tensor t = Tensor.of(name, DType.F32, rows, cols, f.slice(offset, bytes, name));
            offset += bytes;
            return t;
        }

        Tensor q8(String name, long rows, int cols, int groupSize) {
            long n = Math.multiplyExact(rows, (long) cols);
            if (n % groupSize != 0) {
                throw new ModelFormatException(f.path() + ": " + name + " has " + n
                        + " elements, not a multiple of group_size " + groupSize);
            }
            var values = f.slice(offset, n, name + " values");
            offset += n;
            var scales = f.slice(offset, n / groupSize * 4, name + " scales");
            offset += n / groupSize * 4;
            return Tensor.q8Group(name, rows, cols, values, scales, groupSize);
        }

        void skip(long bytes, String field) {
            f.slice(offset, bytes, field);
            offset += bytes;
        }
    }

    private static void expectSize(MappedFile f, long expected, String layout) {
        if (f.size() != expected) {
            throw new ModelFormatException(f.path() + ": the header implies " + expected + " bytes (" + layout
                    + ") but the file has " + f.size() + " bytes");
        }
    }

    /** Bytes of the FP32 matrices of a v0/v1 file, given the shape, excluding header and legacy RoPE tables. */
    private static long fp32Bytes(ModelConfig c, boolean shared) {
        long L = c.nLayers();
        long d = c.dim();
        long kv = c.kvDim();
        long h = c.hiddenDim();
        long v = c.vocabSize();
        long floats = v * d + 2 * L * d + L * d * d * 2 + L * kv * d * 2 + 3 * L * h * d + d + (shared ? 0 : v * d);
        return Math.multiplyExact(floats, 4L);
    }

    private static Model loadV0(MappedFile f, Arena arena) {
        ModelConfig c = header(f, 0, true);
        long rope = Math.multiplyExact((long) c.seqLen() * (c.headSize() / 2), 4L * 2);
        long expected;
        try {
            expected = Math.addExact(Math.addExact(28, fp32Bytes(c, c.sharedClassifier())), rope);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(f.path() + ": header dimensions overflow a 64-bit file size");
        }
        expectSize(f, expected, "v0, " + (c.sharedClassifier() ? "shared" : "separate") + " classifier");
        Cursor cur = new Cursor(f, 28);
        int L = c.nLayers();
        Tensor emb = cur.f32("token_embedding", c.vocabSize(), c.dim());
        List<Tensor> rmsAtt = perLayer(cur, "rms_att", L, 1, c.dim());
        List<Tensor> wq = perLayer(cur, "wq", L, c.qDim(), c.dim());
        List<Tensor> wk = perLayer(cur, "wk", L, c.kvDim(), c.dim());
        List<Tensor> wv = perLayer(cur, "wv", L, c.kvDim(), c.dim());
        List<Tensor> wo = perLayer(cur, "wo", L, c.dim(), c.qDim());
        List<Tensor> rmsFfn = perLayer(cur, "rms_ffn", L, 1, c.dim());
        List<Tensor> w1 = perLayer(cur, "w1", L, c.hiddenDim(), c.dim());
        List<Tensor> w2 = perLayer(cur, "w2", L, c.dim(), c.hiddenDim());
        List<Tensor> w3 = perLayer(cur, "w3", L, c.hiddenDim(), c.dim());
        Tensor fin = cur.f32("rms_final", 1, c.dim());
        cur.skip(rope, "freq_cis_real/freq_cis_imag");
        Tensor cls = c.sharedClassifier() ? emb : cur.f32("wcls", c.vocabSize(), c.dim());
        return build(f, arena, "llama2.c v0 (fp32)", c, emb, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, fin, cls);
    }

    /** export.py writes {@code struct.pack('B', int(shared_classifier))}: exactly 0 or 1. */
    private static boolean sharedFlag(MappedFile f) {
        byte b = f.i8(36, "shared_classifier");
        if (b != 0 && b != 1) {
            throw ModelFormatException.field(f.path(), "shared_classifier (byte 36)", b, "0 or 1");
        }
        return b == 1;
    }

    private static Model loadV1(MappedFile f, Arena arena) {
        ModelConfig c = header(f, 8, false);
        boolean shared = sharedFlag(f);
        c = withShared(c, shared);
        long expected;
        try {
            expected = Math.addExact(V1_HEADER_BYTES, fp32Bytes(c, shared));
        } catch (ArithmeticException e) {
            throw new ModelFormatException(f.path() + ": header dimensions overflow a 64-bit file size");
        }
        expectSize(f, expected, "v1 fp32");
        Cursor cur = new Cursor(f, V1_HEADER_BYTES);
        int L = c.nLayers();
        List<Tensor> rmsAtt = perLayer(cur, "rms_att", L, 1, c.dim());
        List<Tensor> rmsFfn = perLayer(cur, "rms_ffn", L, 1, c.dim());
        Tensor fin = cur.f32("rms_final", 1, c.dim());
        Tensor emb = cur.f32("token_embedding", c.vocabSize(), c.dim());
        List<Tensor> wq = perLayer(cur, "wq", L, c.qDim(), c.dim());
        List<Tensor> wk = perLayer(cur, "wk", L, c.kvDim(), c.dim());
        List<Tensor> wv = perLayer(cur, "wv", L, c.kvDim(), c.dim());
        List<Tensor> wo = perLayer(cur, "wo", L, c.dim(), c.qDim());
        List<Tensor> w1 = perLayer(cur, "w1", L, c.hiddenDim(), c.dim());
        List<Tensor> w2 = perLayer(cur, "w2", L, c.dim(), c.hiddenDim());
        List<Tensor> w3 = perLayer(cur, "w3", L, c.hiddenDim(), c.dim());
        Tensor cls = shared ? emb : cur.f32("wcls", c.vocabSize(), c.dim());
        return build(f, arena, "llama2.c v1 (fp32)", c, emb, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, fin, cls);
    }

    private static Model loadV2(MappedFile f, Arena arena) {
        ModelConfig c = header(f, 8, false);
        boolean shared = sharedFlag(f);
        int gs = f.i32(37, "group_size");
        if (gs <= 0 || gs > c.dim() || c.dim() % gs != 0) {
            throw ModelFormatException.field(f.path(), "group_size", gs, "a positive divisor of dim = " + c.dim());
        }
        c = withShared(c, shared);
        long expected;
        try {
            long norms = (2L * c.nLayers() + 1) * c.dim();
            long q8 = fp32Bytes(c, shared) / 4 - norms; // int8 elements of the matrices, one FP32 scale per group
            expected = Math.addExact(Math.addExact(V1_HEADER_BYTES, norms * 4),
                    Math.addExact(q8, Math.multiplyExact(q8 / gs, 4L)));
        } catch (ArithmeticException e) {
            throw new ModelFormatException(f.path() + ": header dimensions overflow a 64-bit file size");
        }
        expectSize(f, expected, "v2 int8, group size " + gs);
        Cursor cur = new Cursor(f, V1_HEADER_BYTES);
        int L = c.nLayers();
        List<Tensor> rmsAtt = perLayer(cur, "rms_att", L, 1, c.dim());
        List<Tensor> rmsFfn = perLayer(cur, "rms_ffn", L, 1, c.dim());
        Tensor fin = cur.f32("rms_final", 1, c.dim());
        Tensor emb = cur.q8("token_embedding", c.vocabSize(), c.dim(), gs);
        List<Tensor> wq = perLayerQ8(cur, "wq", L, c.qDim(), c.dim(), gs);
        List<Tensor> wk = perLayerQ8(cur, "wk", L, c.kvDim(), c.dim(), gs);
        List<Tensor> wv = perLayerQ8(cur, "wv", L, c.kvDim(), c.dim(), gs);
        List<Tensor> wo = perLayerQ8(cur, "wo", L, c.dim(), c.qDim(), gs);
        List<Tensor> w1 = perLayerQ8(cur, "w1", L, c.hiddenDim(), c.dim(), gs);
        List<Tensor> w2 = perLayerQ8(cur, "w2", L, c.dim(), c.hiddenDim(), gs);
        List<Tensor> w3 = perLayerQ8(cur, "w3", L, c.hiddenDim(), c.dim(), gs);
        Tensor cls = shared ? emb : cur.q8("wcls", c.vocabSize(), c.dim(), gs);
        return build(f, arena, "llama2.c v2 (int8, group " + gs + ")", c, emb, rmsAtt, wq, wk, wv, wo, rmsFfn, w1,
                w2, w3, fin, cls);
    }

    private static List<Tensor> perLayer(Cursor cur, String name, int layers, long rows, int cols) {
        List<Tensor> out = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            out.add(cur.f32("layers." + l + "." + name, rows, cols));
        }
        return out;
    }

    private static List<Tensor> perLayerQ8(Cursor cur, String name, int layers, long rows, int cols, int gs) {
        List<Tensor> out = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            out.add(cur.q8("layers." + l + "." + name, rows, cols, gs));
        }
        return out;
    }

    private static Model build(MappedFile f, Arena arena, String format, ModelConfig c, Tensor emb,
                               List<Tensor> rmsAtt, List<Tensor> wq, List<Tensor> wk, List<Tensor> wv,
                               List<Tensor> wo, List<Tensor> rmsFfn, List<Tensor> w1, List<Tensor> w2,
                               List<Tensor> w3, Tensor fin, Tensor cls) {
        List<LayerWeights> layers = new ArrayList<>(c.nLayers());
        for (int l = 0; l < c.nLayers(); l++) {
            layers.add(LayerWeights.llama(rmsAtt.get(l), wq.get(l), wk.get(l), wv.get(l), wo.get(l), rmsFfn.get(l),
                    w1.get(l), w2.get(l), w3.get(l)));
        }
        Weights w = new Weights(emb, null, layers, fin, null, cls).validate(c, f.path());
        return new Model(f.path(), format, c, w, null, arena);
    }
}
