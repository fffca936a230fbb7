package io.flightllm.model.tokenizer;

import io.flightllm.model.ModelFormatException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

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
     * Repeatedly merges the best-scoring adjacent pair (score strictly greater than -1e10; the leftmost among equal
     * scores), exactly the merge order of run.c's quadratic loop, in O(n log n): a linked list of tokens and a heap of
     * candidate pairs ordered by (score descending, left position ascending), with stale candidates skipped when popped.
     * Relative order of tokens never changes, so a node's original index orders pairs as run.c's current index does.
     */
    private void mergeByScore(List<Integer> tokens) {
        int n = tokens.size();
        if (n < 2) {
            return;
        }
        int[] id = new int[n];
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            id[i] = tokens.get(i);
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        boolean[] dead = new boolean[n];
        PriorityQueue<Candidate> heap = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) {
            offer(heap, i, id[i], i + 1, id[i + 1]);
        }
        while (!heap.isEmpty()) {
            Candidate c = heap.poll();
            if (dead[c.left] || dead[c.right] || next[c.left] != c.right || id[c.left] != c.leftId
                    || id[c.right] != c.rightId) {
                continue; // stale: one side was merged since this pair was offered
            }
            id[c.left] = c.mergedId;
            dead[c.right] = true;
            next[c.left] = next[c.right];
            if (next[c.right] >= 0) {
                prev[next[c.right]] = c.left;
            }
            if (prev[c.left] >= 0) {
                offer(heap, prev[c.left], id[prev[c.left]], c.left, id[c.left]);
            }
            if (next[c.left] >= 0) {
                offer(heap, c.left, id[c.left], next[c.left], id[next[c.left]]);
            }
        }
        tokens.clear();
        for (int i = 0; i >= 0; i = next[i]) {
            tokens.add(id[i]);
        }
    }

    private void offer(PriorityQueue<Candidate> heap, int left, int leftId, int right, int rightId) {
        byte[] a = pieces[leftId];
        byte[] b = pieces[rightId];
        byte[] merged = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, merged, a.length, b.length);
        int m = lookup(merged);
        if (m != -1 && scores[m] > -1e10f) {
            heap.add(new Candidate(scores[m], left, right, leftId, rightId, m));
        }
    }

    /** A mergeable adjacent pair; the best first: higher score, then smaller left position. */
    private record Candidate(float score, int left, int right, int leftId, int rightId, int mergedId)
            implements Comparable<Candidate> {
        @Override
        public int compareTo(Candidate o) {
            if (score != o.score) { // run.c compares with '>', so -0.0 and 0.0 tie (Float.compare would not)
                return score > o.score ? -1 : 1;
            }
            return Integer.compare(left, o.left);
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
