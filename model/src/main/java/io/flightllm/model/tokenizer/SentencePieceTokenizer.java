package io.flightllm.model.tokenizer;

import io.flightllm.model.ModelFormatException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The score-driven SentencePiece BPE of llama2.c's {@code run.c}: the text gets a dummy-prefix space, each UTF-8 code
 * point is looked up (unknown ones fall back to byte tokens {@code byte + 3}), then the adjacent pair whose merged
 * string has the highest score is merged until no pair is in the vocabulary. Pieces are byte strings with real spaces
 * (SentencePiece's U+2581 replaced). The same vocabulary comes from tokenizer.bin and from GGUF metadata.
 */
public final class SentencePieceTokenizer implements Tokenizer {
    private final byte[][] pieces;
    private final float[] scores;
    /** Piece bytes as ISO-8859-1 strings (one char per byte) -> id; the first id wins for duplicate pieces. */
    private final Map<String, Integer> ids;
    private final int bosId;
    private final int eosId;
    private final int byteOffset;

    /**
     * @param pieces     the vocabulary, as raw bytes
     * @param scores     one merge score per piece
     * @param byteOffset id of the byte-fallback token for byte 0x00 (3 for LLaMA vocabularies)
     */
    public SentencePieceTokenizer(byte[][] pieces, float[] scores, int bosId, int eosId, int byteOffset) {
        if (pieces.length != scores.length || pieces.length == 0) {
            throw new IllegalArgumentException("pieces and scores differ in length or are empty");
        }
        this.pieces = pieces;
        this.scores = scores;
        this.bosId = bosId;
        this.eosId = eosId;
        this.byteOffset = byteOffset;
        this.ids = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(key(pieces[i]), i);
        }
    }

    private static String key(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public int bosId() {
        return bosId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    public float score(int id) {
        return scores[id];
    }

    public byte[] pieceBytes(int id) {
        return pieces[id];
    }

    @Override
    public String piece(int token) {
        return new String(pieces[token], StandardCharsets.UTF_8);
    }

    /** The id of {@code piece}, or -1. */
    public int lookup(byte[] piece) {
        Integer id = ids.get(key(piece));
        return id == null ? -1 : id;
    }

    @Override
    public int[] encode(String text, boolean bos, boolean eos) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        List<Integer> tokens = new ArrayList<>(utf8.length + 3);
        if (bos) {
            tokens.add(bosId);
        }
        if (utf8.length > 0) {
            // run.c pushes the lookup result even when " " is missing (-1); we refuse such a vocabulary instead.
            int prefix = lookup(new byte[] {' '});
            if (prefix < 0) {
                throw new ModelFormatException("tokenizer: the vocabulary has no \" \" piece for the dummy prefix");
            }
            tokens.add(prefix);
        }
        // Split into code points the way run.c does: a run of at most 4 bytes, a lead byte and its continuations.
        int i = 0;
        while (i < utf8.length) {
            int start = i;
            i++;
            while (i < utf8.length && (utf8[i] & 0xC0) == 0x80 && i - start < 4) {
                i++;
            }
            byte[] cp = Arrays.copyOfRange(utf8, start, i);
            int id = lookup(cp);
            if (id >= 0) {
                tokens.add(id);
            } else {
                for (byte b : cp) {
                    tokens.add((b & 0xFF) + byteOffset);
                }
            }
        }
        mergeByScore(tokens);
        if (eos) {
            tokens.add(eosId);
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Merges the best-scoring adjacent pair until none is in the vocabulary: the highest score strictly greater than
     * -1e10, the leftmost among equal scores (run.c's order; see {@link PairMerger}).
     */
    private void mergeByScore(List<Integer> tokens) {
        int[] ids = tokens.stream().mapToInt(Integer::intValue).toArray();
        int n = PairMerger.merge(ids, ids.length, (left, right, priority) -> {
            byte[] a = pieces[left];
            byte[] b = pieces[right];
            byte[] merged = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, merged, a.length, b.length);
            int m = lookup(merged);
            if (m == -1 || !(scores[m] > -1e10f)) {
                return -1;
            }
            priority[0] = -(double) scores[m];
            return m;
        });
        tokens.clear();
        for (int i = 0; i < n; i++) {
            tokens.add(ids[i]);
        }
    }

    @Override
    public byte[] decode(int prevToken, int token) {
        byte[] piece = pieces[token];
        int from = 0;
        if (prevToken == bosId && piece.length > 0 && piece[0] == ' ') {
            from = 1;
        }
        int b = parseByteToken(piece, from);
        if (b >= 0) {
            return new byte[] {(byte) b};
        }
        return from == 0 ? piece : Arrays.copyOfRange(piece, from, piece.length);
    }

    /** The byte of a piece spelled {@code <0xHH>} (run.c's sscanf "<0x%02hhX>"), or -1. */
    static int parseByteToken(byte[] p, int from) {
        if (p.length - from < 4 || p[from] != '<' || p[from + 1] != '0' || p[from + 2] != 'x') {
            return -1;
        }
        int value = 0;
        int digits = 0;
        for (int i = from + 3; i < p.length && digits < 2; i++, digits++) {
            int d = Character.digit(p[i], 16);
            if (d < 0) {
                break;
            }
            value = value * 16 + d;
        }
        return digits == 0 ? -1 : value;
    }
}
