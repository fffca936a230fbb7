package io.flightllm.runtime;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns the byte pieces of generated tokens into text deltas that are safe to send: UTF-8 sequences split across
 * byte-fallback tokens are joined before they are emitted (invalid bytes become U+FFFD), and text that might be the
 * start of a stop string is held back until it is known not to be one. When a stop string appears, the text before it
 * is emitted and the stream ends ({@link #stopped}); the stop string itself is never emitted.
 */
public final class TextStream {
    private final List<String> stops;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(64);
    private final StringBuilder held = new StringBuilder();
    private final StringBuilder emitted = new StringBuilder();
    private boolean stopped;

    /** @param stops stop strings (none empty) */
    public TextStream(List<String> stops) {
        for (String s : stops) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("empty stop string");
            }
        }
        this.stops = List.copyOf(stops);
    }

    /**
     * The bytes of a piece that the server emits: as run.c, a piece is cut at a NUL and a piece that is a single ASCII
     * control byte other than white space is dropped; unlike run.c, a lone byte >= 0x80 is kept, because it is part
     * of a multi-byte UTF-8 character spread over byte-fallback tokens.
     */
    static int visibleLength(byte[] piece) {
        int len = 0;
        while (len < piece.length && piece[len] != 0) {
            len++;
        }
        if (len == 1) {
            int b = piece[0] & 0xFF;
            boolean control = b < 0x20 || b == 0x7F;
            boolean space = b == ' ' || (b >= '\t' && b <= '\r');
            if (control && !space) {
                return 0;
            }
        }
        return len;
    }

    /** Appends one token's bytes; returns the text that can be emitted now (often empty while bytes are held). */
    public String append(byte[] piece) {
        if (stopped) {
            return "";
        }
        int len = visibleLength(piece);
        if (pending.remaining() < len) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + len));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        pending.put(piece, 0, len);
        pending.flip();
        CharBuffer out = CharBuffer.allocate(pending.remaining() + 1);
        utf8.decode(pending, out, false); // an incomplete trailing sequence stays in pending
        pending.compact();
        held.append(out.flip());
        return release(false);
    }

    /** Ends the stream: returns the held-back text (and U+FFFD for an incomplete trailing UTF-8 sequence). */
    public String finish() {
        if (stopped) {
            return "";
        }
        pending.flip();
        CharBuffer out = CharBuffer.allocate(pending.remaining() + 1);
        utf8.decode(pending, out, true);
        utf8.flush(out);
        pending.clear();
        held.append(out.flip());
        return release(true);
    }

    /** True once a stop string has been seen. */
    public boolean stopped() {
        return stopped;
    }

    /** Everything emitted so far. */
    public String text() {
        return emitted.toString();
    }

    private String release(boolean all) {
        int cut = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) {
                cut = i;
            }
        }
        int n;
        if (cut >= 0) {
            stopped = true;
            n = cut;
        } else {
            n = all ? held.length() : held.length() - heldSuffix();
        }
        String d = held.substring(0, n);
        if (stopped) {
            held.setLength(0);
        } else {
            held.delete(0, n);
        }
        emitted.append(d);
        return d;
    }

    /** Length of the longest suffix of the held text that is a proper prefix of a stop string. */
    private int heldSuffix() {
        String h = held.toString();
        int best = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, h.length()); k > best; k--) {
                if (h.regionMatches(h.length() - k, s, 0, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }
}
