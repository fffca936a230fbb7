package io.flightllm.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rank-based BPE as Hugging Face {@code tokenizers} runs it for LLaMA's SentencePiece-BPE vocabularies: the text is
 * split around added tokens, each remaining segment gets the "▁" (U+2581) dummy prefix and has its spaces replaced by
 * "▁", every code point becomes its vocabulary piece (or its UTF-8 byte tokens {@code <0xHH>} with byte fallback, or
 * unk), then the adjacent pair with the lowest merge rank is merged, leftmost first, until no listed pair remains.
 *
 * <p>{@link #decode} follows the {@link Tokenizer} contract (llama2.c's): the raw bytes of one piece with "▁" as a
 * space, a byte token as its byte, and the leading space dropped after BOS.
 *
 * <p>With a {@link ByteLevel} pre-tokenizer (GPT-2's byte-level BPE, OPT's tokenizer) a segment is instead split by
 * GPT-2's regex and spelled byte by byte in the byte alphabet before merging; decoding maps a piece's characters back
 * to bytes (no leading-space rule), and an added token decodes to its content. Ids past the vocabulary (models whose
 * embedding has padding rows, such as OPT's 50272 against 50265 tokens) decode to nothing.
 */
public final class BpeTokenizer implements Tokenizer {
    /** The "▁" that SentencePiece vocabularies use for a space. */
    public static final String METASPACE = "\u2581";

    /** When the Metaspace pre-tokenizer prepends "▁" (HF's prepend_scheme). */
    public enum Prepend { ALWAYS, FIRST, NEVER }

    /**
     * How a text segment becomes words. {@code normalizerPrepend}/{@code normalizerReplace}: the older normalizer
     * (Prepend "▁" to every non-empty segment, unconditionally; Replace " " by "▁"). {@code metaspace}: the newer
     * Metaspace pre-tokenizer (replaces spaces, prepends "▁" unless the segment already starts with one, optionally
     * splits before every "▁"), or null.
     */
    public record Pretokenizer(boolean normalizerPrepend, boolean normalizerReplace, Prepend metaspace,
                               boolean split, ByteLevel byteLevel) {
        /** A SentencePiece-style pre-tokenizer (no byte level). */
        public Pretokenizer(boolean normalizerPrepend, boolean normalizerReplace, Prepend metaspace, boolean split) {
            this(normalizerPrepend, normalizerReplace, metaspace, split, null);
        }

        /** GPT-2's byte-level pre-tokenizer. */
        public static Pretokenizer byteLevel(ByteLevel b) {
            return new Pretokenizer(false, false, null, false, b);
        }
    }

    /** BPE model options as tokenizer.json spells them. */
    public record Options(boolean byteFallback, boolean fuseUnk, boolean ignoreMerges) {
    }

    private final String[] pieces;
    private final Map<String, Integer> ids;
    /** (left id << 32 | right id) -> (rank << 32 | merged id) */
    private final Map<Long, Long> merges;
    private final int[] byteIds = new int[256];
    private final byte[][] decoded;
    private final int[] byteValue;
    private final List<String> addedContents;
    private final Map<String, Integer> addedIds;
    private final int unkId;
    private final int bosId;
    private final int eosId;
    private final Pretokenizer pre;
    private final Options options;

    /**
     * @param pieces  the vocabulary by id (dense, including added tokens)
     * @param merges  the merge list in rank order, each a pair of pieces whose concatenation is a piece
     * @param added   added tokens (content -> id), split out of the text before normalization
     * @param unkId   the unknown token, or -1
     */
    public BpeTokenizer(String[] pieces, List<String[]> merges, Map<String, Integer> added, int unkId, int bosId,
                        int eosId, Pretokenizer pre, Options options) {
        this.pieces = pieces.clone();
        this.ids = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
        }
        this.merges = new HashMap<>(merges.size() * 2);
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] m = merges.get(rank);
            Integer a = ids.get(m[0]);
            Integer b = ids.get(m[1]);
            Integer ab = ids.get(m[0] + m[1]);
            if (a == null || b == null || ab == null) {
                throw new IllegalArgumentException("merge " + rank + " (\"" + m[0] + "\", \"" + m[1]
                        + "\") uses or makes a piece that is not in the vocabulary");
            }
            // the first (lowest-rank) occurrence of a pair wins, as in HF
            this.merges.putIfAbsent(pairKey(a, b), ((long) rank << 32) | ab);
        }
        Arrays.fill(byteIds, -1);
        this.decoded = new byte[pieces.length][];
        this.byteValue = new int[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            int b = pre.byteLevel() != null ? -1 : byteToken(pieces[i]);
            byteValue[i] = b;
            if (b >= 0 && byteIds[b] < 0) {
                byteIds[b] = i;
            }
            byte[] raw = pre.byteLevel() != null && !added.containsKey(pieces[i]) ? ByteLevel.unspell(pieces[i]) : null;
            decoded[i] = raw != null ? raw
                    : pre.byteLevel() != null ? pieces[i].getBytes(StandardCharsets.UTF_8)
                    : pieces[i].replace(METASPACE, " ").getBytes(StandardCharsets.UTF_8);
        }
        this.addedIds = Map.copyOf(added);
        List<String> contents = new ArrayList<>(added.keySet());
        contents.removeIf(String::isEmpty);
        contents.sort((x, y) -> Integer.compare(y.length(), x.length())); // longest match first
        this.addedContents = List.copyOf(contents);
        this.unkId = unkId;
        this.bosId = bosId;
        this.eosId = eosId;
        this.pre = pre;
        this.options = options;
    }

    private static long pairKey(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** The byte of a piece spelled exactly {@code <0xHH>}, or -1. */
    static int byteToken(String p) {
        if (p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(p.charAt(3), 16);
        int lo = Character.digit(p.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
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

    @Override
    public boolean byteLevel() {
        return pre.byteLevel() != null;
    }

    @Override
    public String piece(int token) {
        return pieces[token];
    }

    /** The id of {@code piece} as spelled in the vocabulary ("▁" for spaces), or -1. */
    public int lookup(String piece) {
        Integer id = ids.get(piece);
        return id == null ? -1 : id;
    }

    public int mergeCount() {
        return merges.size();
    }

    @Override
    public int[] encode(String text, boolean bos, boolean eos) {
        List<Integer> out = new ArrayList<>(text.length() + 2);
        if (bos) {
            out.add(bosId);
        }
        int segmentStart = 0;
        int i = 0;
        while (i < text.length()) {
            String added = addedAt(text, i);
            if (added == null) {
                i++;
                continue;
            }
            encodeSegment(text.substring(segmentStart, i), segmentStart == 0, out);
            out.add(addedIds.get(added));
            i += added.length();
            segmentStart = i;
        }
        encodeSegment(text.substring(segmentStart), segmentStart == 0, out);
        if (eos) {
            out.add(eosId);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private String addedAt(String text, int at) {
        for (String a : addedContents) {
            if (text.startsWith(a, at)) {
                return a;
            }
        }
        return null;
    }

    private void encodeSegment(String s, boolean first, List<Integer> out) {
        if (s.isEmpty()) {
            return;
        }
        if (pre.byteLevel() != null) {
            for (String word : pre.byteLevel().words(s)) {
                encodeWord(word, out);
            }
            return;
        }
        if (pre.normalizerPrepend()) {
            s = METASPACE + s;
        }
        if (pre.normalizerReplace()) {
            s = s.replace(" ", METASPACE);
        }
        if (pre.metaspace() != null) {
            s = s.replace(" ", METASPACE);
            boolean prepend = pre.metaspace() == Prepend.ALWAYS || (pre.metaspace() == Prepend.FIRST && first);
            if (prepend && !s.startsWith(METASPACE)) {
                s = METASPACE + s;
            }
        }
        if (pre.metaspace() != null && pre.split()) {
            int from = 0;
            for (int k = 1; k <= s.length(); k++) {
                if (k == s.length() || s.startsWith(METASPACE, k)) {
                    encodeWord(s.substring(from, k), out);
                    from = k;
                }
            }
        } else {
            encodeWord(s, out);
        }
    }

    private void encodeWord(String word, List<Integer> out) {
        if (options.ignoreMerges()) {
            Integer whole = ids.get(word);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        int[] sym = new int[word.length() * 4];
        int n = 0;
        boolean lastUnk = false;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            String ch = word.substring(i, i + Character.charCount(cp));
            i += ch.length();
            Integer id = ids.get(ch);
            if (id != null) {
                sym[n++] = id;
                lastUnk = false;
                continue;
            }
            if (options.byteFallback()) {
                byte[] utf8 = ch.getBytes(StandardCharsets.UTF_8);
                boolean all = true;
                for (byte b : utf8) {
                    all &= byteIds[b & 0xFF] >= 0;
                }
                if (all) {
                    for (byte b : utf8) {
                        sym[n++] = byteIds[b & 0xFF];
                    }
                    lastUnk = false;
                    continue;
                }
            }
            if (unkId < 0) {
                throw new IllegalArgumentException("tokenizer: \"" + ch + "\" is not in the vocabulary and there is "
                        + "neither byte fallback nor an unk token");
            }
            if (!(options.fuseUnk() && lastUnk)) {
                sym[n++] = unkId;
            }
            lastUnk = true;
        }
        n = mergeByRank(sym, n);
        for (int k = 0; k < n; k++) {
            out.add(sym[k]);
        }
    }

    /** Merges the adjacent pair of lowest rank (leftmost on ties) until none merges; returns the new length. */
    private int mergeByRank(int[] sym, int n) {
        return PairMerger.merge(sym, n, (left, right, priority) -> {
            Long m = merges.get(pairKey(left, right));
            if (m == null) {
                return -1;
            }
            priority[0] = m >>> 32; // the rank is in the high bits, the merged id in the low bits
            return (int) (long) m;
        });
    }

    @Override
    public byte[] decode(int prevToken, int token) {
        if (token < 0 || token >= pieces.length) {
            return new byte[0];
        }
        if (pre.byteLevel() != null) {
            return decoded[token];
        }
        if (byteValue[token] >= 0) {
            return new byte[] {(byte) byteValue[token]};
        }
        byte[] p = decoded[token];
        if (prevToken == bosId && p.length > 0 && p[0] == ' ') {
            return Arrays.copyOfRange(p, 1, p.length);
        }
        return p;
    }
}
