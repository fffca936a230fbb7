package io.flightllm.model.testing;

import io.flightllm.model.LayerWeights;
import io.flightllm.model.Model;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Tensor;
import io.flightllm.model.Weights;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Writes a loaded LLaMA {@link Model} as a llama2.c checkpoint, following llama2.c {@code export.py}:
 * <ul>
 *   <li>v0 ({@code legacy_export}): 7 int32 header (vocab_size negated for a separate classifier), FP32 tensors in
 *       run.c's order, the legacy RoPE tables {@code freq_cis_real/imag[seq_len][head_size/2]}, then {@code wcls}.</li>
 *   <li>v1 ({@code version1_export}): uint32 0x616b3432 ("ak42"), int32 version 1, the 7 ints, a uint8
 *       shared-classifier flag, zero padding to 256 bytes; FP32 norms first (attention, ffn, final), then the
 *       embedding, wq, wk, wv, wo, w1, w2, w3 (each over all layers) and {@code wcls} when not shared.</li>
 *   <li>v2 ({@code version2_export}): as v1 with version 2 and an int32 group size after the flag; the norms in FP32,
 *       then every matrix in v1 order as int8 values followed by its FP32 group scales. The group size starts at 64
 *       and is halved until it divides dim; groups run over the flattened (row-major) tensor.</li>
 * </ul>
 * Weights of any stored type are written as their FP32 values ({@link Tensor#readRow}).
 */
public final class Llama2cWriter {
    /** "ak42" as export.py packs it: {@code struct.pack('I', 0x616b3432)}, i.e. the bytes "24ka". */
    public static final int MAGIC = 0x616b3432;
    public static final int HEADER_BYTES = 256;

    private Llama2cWriter() {
    }

    /** The legacy v0 RoPE tables, {@code [seq_len][head_size / 2]} each. */
    public record RopeTables(float[] real, float[] imag) {
        /**
         * The tables as export.py's {@code precompute_freqs_cis} defines them (cos/sin of pos * theta^(-2i/hs)),
         * computed here in double and rounded to FP32; PyTorch computes in FP32, so the last bits may differ.
         */
        public static RopeTables compute(ModelConfig c) {
            int half = c.headSize() / 2;
            float[] re = new float[c.seqLen() * half];
            float[] im = new float[c.seqLen() * half];
            for (int pos = 0; pos < c.seqLen(); pos++) {
                for (int i = 0; i < half; i++) {
                    double freq = 1.0 / StrictMath.pow(c.ropeTheta(), (2.0 * i) / c.headSize());
                    re[pos * half + i] = (float) StrictMath.cos(pos * freq);
                    im[pos * half + i] = (float) StrictMath.sin(pos * freq);
                }
            }
            return new RopeTables(re, im);
        }

        /** The tables stored in an existing v0 file with config {@code c} (they follow rms_final). */
        public static RopeTables readFrom(Path v0File, ModelConfig c) {
            try {
                ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(v0File)).order(ByteOrder.LITTLE_ENDIAN);
                long d = c.dim();
                long layers = c.nLayers();
                long floats = c.vocabSize() * d + layers * (2 * d + 2 * d * c.qDim() + 2L * c.kvDim() * d
                        + 3L * c.hiddenDim() * d) + d;
                int n = c.seqLen() * (c.headSize() / 2);
                float[] re = new float[n];
                float[] im = new float[n];
                b.position(Math.toIntExact(28 + 4 * floats));
                b.asFloatBuffer().get(re).get(im);
                return new RopeTables(re, im);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public static void writeV0(Model m, Path out) {
        writeV0(m, out, RopeTables.compute(m.config()));
    }

    public static void writeV0(Model m, Path out, RopeTables rope) {
        ModelConfig c = m.config();
        Weights w = m.weights();
        write(out, o -> {
            header(o, c, c.sharedClassifier() ? c.vocabSize() : -c.vocabSize());
            f32(o, w.tokenEmbedding());
            List<LayerWeights> ls = w.layers();
            perLayer(o, ls, LayerWeights::attnNorm);
            perLayer(o, ls, LayerWeights::wq);
            perLayer(o, ls, LayerWeights::wk);
            perLayer(o, ls, LayerWeights::wv);
            perLayer(o, ls, LayerWeights::wo);
            perLayer(o, ls, LayerWeights::ffnNorm);
            perLayer(o, ls, LayerWeights::w1);
            perLayer(o, ls, LayerWeights::w2);
            perLayer(o, ls, LayerWeights::w3);
            f32(o, w.finalNorm());
            floats(o, rope.real());
            floats(o, rope.imag());
            if (!c.sharedClassifier()) {
                f32(o, w.classifier());
            }
        });
    }

    public static void writeV1(Model m, Path out) {
        ModelConfig c = m.config();
        Weights w = m.weights();
        write(out, o -> {
            akHeader(o, c, 1, null);
            norms(o, w);
            f32(o, w.tokenEmbedding());
            for (Tensor t : matrices(w)) {
                f32(o, t);
            }
            if (!c.sharedClassifier()) {
                f32(o, w.classifier());
            }
        });
    }

    /** export.py's group size: 64, halved until it divides dim. */
    public static int v2GroupSize(int dim) {
        int gs = 64;
        while (dim % gs != 0) {
            gs /= 2;
        }
        return gs;
    }

    public static void writeV2(Model m, Path out) {
        ModelConfig c = m.config();
        Weights w = m.weights();
        int gs = v2GroupSize(c.dim());
        write(out, o -> {
            akHeader(o, c, 2, gs);
            norms(o, w);
            List<Tensor> q = new ArrayList<>();
            q.add(w.tokenEmbedding());
            q.addAll(matrices(w));
            if (!c.sharedClassifier()) {
                q.add(w.classifier());
            }
            for (Tensor t : q) {
                Quantized qt = quantize(values(t), gs);
                o.write(qt.values());
                floats(o, qt.scales());
            }
        });
    }

    /** int8 values and FP32 scales of one tensor. */
    public record Quantized(byte[] values, float[] scales) {
    }

    /**
     * export.py's {@code quantize_q80}: per group, scale = max|w| / 127 (FP32) and q = round-half-even(w / scale);
     * a group of zeros gets scale 0 and q = 0 (where PyTorch would divide 0 by 0).
     */
    public static Quantized quantize(float[] w, int gs) {
        if (w.length % gs != 0) {
            throw new IllegalArgumentException(w.length + " elements are not a multiple of group size " + gs);
        }
        byte[] q = new byte[w.length];
        float[] s = new float[w.length / gs];
        for (int g = 0; g < s.length; g++) {
            float max = 0f;
            for (int i = g * gs; i < (g + 1) * gs; i++) {
                max = Math.max(max, Math.abs(w[i]));
            }
            float scale = max / 127f;
            s[g] = scale;
            for (int i = g * gs; i < (g + 1) * gs; i++) {
                q[i] = scale == 0f ? 0 : (byte) Math.clamp(Math.rint(w[i] / scale), -127, 127);
            }
        }
        return new Quantized(q, s);
    }

    /** The whole tensor as FP32, row-major. */
    public static float[] values(Tensor t) {
        float[] all = new float[Math.toIntExact(t.elements())];
        float[] row = new float[t.cols()];
        for (long r = 0; r < t.rows(); r++) {
            t.readRow(r, row);
            System.arraycopy(row, 0, all, (int) r * t.cols(), t.cols());
        }
        return all;
    }

    /** wq, wk, wv, wo, w1, w2, w3, each over all layers (the v1/v2 order). */
    private static List<Tensor> matrices(Weights w) {
        List<Tensor> out = new ArrayList<>();
        List<Function<LayerWeights, Tensor>> order = List.of(LayerWeights::wq, LayerWeights::wk, LayerWeights::wv,
                LayerWeights::wo, LayerWeights::w1, LayerWeights::w2, LayerWeights::w3);
        for (Function<LayerWeights, Tensor> f : order) {
            for (LayerWeights l : w.layers()) {
                out.add(f.apply(l));
            }
        }
        return out;
    }

    private static void norms(DataOutputStream o, Weights w) throws IOException {
        perLayer(o, w.layers(), LayerWeights::attnNorm);
        perLayer(o, w.layers(), LayerWeights::ffnNorm);
        f32(o, w.finalNorm());
    }

    private static void header(DataOutputStream o, ModelConfig c, int vocabField) throws IOException {
        for (int v : new int[] {c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), vocabField,
                c.seqLen()}) {
            o.writeInt(Integer.reverseBytes(v));
        }
    }

    private static void akHeader(DataOutputStream o, ModelConfig c, int version, Integer groupSize)
            throws IOException {
        o.writeInt(Integer.reverseBytes(MAGIC));
        o.writeInt(Integer.reverseBytes(version));
        header(o, c, c.vocabSize());
        o.writeByte(c.sharedClassifier() ? 1 : 0);
        if (groupSize != null) {
            o.writeInt(Integer.reverseBytes(groupSize));
        }
        o.write(new byte[HEADER_BYTES - o.size()]);
    }

    private static void perLayer(DataOutputStream o, List<LayerWeights> layers, Function<LayerWeights, Tensor> f)
            throws IOException {
        for (LayerWeights l : layers) {
            f32(o, f.apply(l));
        }
    }

    private static void f32(DataOutputStream o, Tensor t) throws IOException {
        floats(o, values(t));
    }

    private static void floats(DataOutputStream o, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        o.write(b.array());
    }

    private interface Body {
        void write(DataOutputStream o) throws IOException;
    }

    private static void write(Path path, Body body) {
        try (OutputStream fo = Files.newOutputStream(path);
             DataOutputStream o = new DataOutputStream(new BufferedOutputStream(fo, 1 << 16))) {
            body.write(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
