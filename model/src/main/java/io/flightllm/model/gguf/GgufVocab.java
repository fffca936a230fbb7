package io.flightllm.model.gguf;

import io.flightllm.model.ModelFormatException;
import io.flightllm.model.tokenizer.SentencePieceTokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SentencePiece ("llama") vocabulary in GGUF metadata ({@code tokenizer.ggml.*}) to and from
 * {@link SentencePieceTokenizer}. GGUF pieces spell spaces as U+2581 ("▁"); the tokenizer uses real spaces, as
 * llama2.c's tokenizer.bin does. Byte-fallback pieces {@code <0xHH>} are kept as they are, at ids 3..258.
 */
public final class GgufVocab {
    public static final String MODEL = "tokenizer.ggml.model";
    public static final String TOKENS = "tokenizer.ggml.tokens";
    public static final String SCORES = "tokenizer.ggml.scores";
    public static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    public static final String BOS = "tokenizer.ggml.bos_token_id";
    public static final String EOS = "tokenizer.ggml.eos_token_id";
    public static final String UNK = "tokenizer.ggml.unknown_token_id";
    public static final int BYTE_OFFSET = 3;

    /** llama.cpp token types. */
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int BYTE = 6;

    private static final byte[] SPM_SPACE = "\u2581".getBytes(StandardCharsets.UTF_8);

    private GgufVocab() {
    }

    /** True when the file carries a vocabulary at all. */
    public static boolean present(GgufFile g) {
        return g.has(MODEL) || g.has(TOKENS);
    }

    /** The vocabulary of {@code g}; it must be a SentencePiece ("llama") vocabulary with LLaMA's byte tokens. */
    public static SentencePieceTokenizer tokenizer(GgufFile g) {
        String model = g.string(MODEL);
        if (!model.equals("llama")) {
            throw ModelFormatException.field(g.path(), MODEL, '"' + model + '"',
                    "\"llama\" (a SentencePiece vocabulary; other tokenizers are not supported)");
        }
        GgufArray tokens = g.array(TOKENS, GgufType.STRING);
        if (tokens == null) {
            throw new ModelFormatException(g.path() + ": metadata key " + TOKENS
                    + " is missing; expected an array of strings");
        }
        GgufArray scores = g.array(SCORES, GgufType.FLOAT32);
        if (scores == null) {
            throw new ModelFormatException(g.path() + ": metadata key " + SCORES
                    + " is missing; expected an array of float32 (SentencePiece merge scores)");
        }
        int n = tokens.size();
        if (scores.size() != n) {
            throw ModelFormatException.field(g.path(), SCORES + " length", scores.size(),
                    n + " (the length of " + TOKENS + ")");
        }
        GgufArray types = g.has(TOKEN_TYPE) ? g.array(TOKEN_TYPE, GgufType.INT32) : null;
        if (types != null && types.size() != n) {
            throw ModelFormatException.field(g.path(), TOKEN_TYPE + " length", types.size(),
                    n + " (the length of " + TOKENS + ")");
        }
        if (n < BYTE_OFFSET + 256) {
            throw ModelFormatException.field(g.path(), TOKENS + " length", n,
                    "at least 259 (unk, BOS, EOS and the 256 byte tokens of a LLaMA vocabulary)");
        }
        byte[][] pieces = new byte[n][];
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            pieces[i] = replace(tokens.stringBytes(i), SPM_SPACE, new byte[] {' '});
            s[i] = ((GgufValue.F32) scores.get(i)).value();
        }
        for (int b = 0; b < 256; b++) {
            String expected = String.format("<0x%02X>", b);
            if (!new String(pieces[BYTE_OFFSET + b], StandardCharsets.ISO_8859_1).equals(expected)) {
                throw ModelFormatException.field(g.path(), TOKENS + "[" + (BYTE_OFFSET + b) + "]",
                        '"' + new String(pieces[BYTE_OFFSET + b], StandardCharsets.UTF_8) + '"',
                        '"' + expected + "\" (LLaMA byte-fallback tokens at ids 3..258)");
            }
        }
        int bos = g.integer(BOS, 0, n - 1, 1);
        int eos = g.integer(EOS, 0, n - 1, 2);
        return new SentencePieceTokenizer(pieces, s, bos, eos, BYTE_OFFSET);
    }

    /**
     * The metadata that {@link #tokenizer} reads back as {@code t}. llama2.c vocabularies spell the control tokens
     * "\n&lt;s&gt;\n" and "\n&lt;/s&gt;\n"; those are written as llama.cpp expects them ("&lt;s&gt;", "&lt;/s&gt;").
     */
    public static Map<String, GgufValue> metadata(SentencePieceTokenizer t) {
        int n = t.vocabSize();
        List<GgufValue> tokens = new ArrayList<>(n);
        List<GgufValue> scores = new ArrayList<>(n);
        List<GgufValue> types = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] p = t.pieceBytes(i);
            int type = NORMAL;
            if (i == 0) {
                type = UNKNOWN;
                p = trimNewlines(p);
            } else if (i == t.bosId() || i == t.eosId()) {
                type = CONTROL;
                p = trimNewlines(p);
            } else if (i >= BYTE_OFFSET && i < BYTE_OFFSET + 256
                    && new String(p, StandardCharsets.ISO_8859_1).equals(String.format("<0x%02X>", i - BYTE_OFFSET))) {
                type = BYTE;
            }
            tokens.add(new GgufValue.Str(replace(p, new byte[] {' '}, SPM_SPACE)));
            scores.add(GgufValue.f32(t.score(i)));
            types.add(GgufValue.i32(type));
        }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put(MODEL, GgufValue.str("llama"));
        m.put(TOKENS, GgufValue.array(GgufType.STRING, tokens));
        m.put(SCORES, GgufValue.array(GgufType.FLOAT32, scores));
        m.put(TOKEN_TYPE, GgufValue.array(GgufType.INT32, types));
        m.put(BOS, GgufValue.u32(t.bosId()));
        m.put(EOS, GgufValue.u32(t.eosId()));
        m.put(UNK, GgufValue.u32(0));
        m.put("tokenizer.ggml.add_bos_token", GgufValue.bool(true));
        m.put("tokenizer.ggml.add_eos_token", GgufValue.bool(false));
        return m;
    }

    private static byte[] trimNewlines(byte[] p) {
        int from = 0;
        int to = p.length;
        while (from < to && p[from] == '\n') {
            from++;
        }
        while (to > from && p[to - 1] == '\n') {
            to--;
        }
        return java.util.Arrays.copyOfRange(p, from, to);
    }

    static byte[] replace(byte[] in, byte[] what, byte[] with) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        int i = 0;
        while (i < in.length) {
            if (startsWith(in, i, what)) {
                out.writeBytes(with);
                i += what.length;
            } else {
                out.write(in[i++]);
            }
        }
        return out.toByteArray();
    }

    private static boolean startsWith(byte[] in, int at, byte[] what) {
        if (in.length - at < what.length) {
            return false;
        }
        for (int j = 0; j < what.length; j++) {
            if (in[at + j] != what[j]) {
                return false;
            }
        }
        return true;
    }
}
