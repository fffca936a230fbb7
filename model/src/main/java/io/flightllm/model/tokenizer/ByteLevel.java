package io.flightllm.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level pre-tokenization as Hugging Face {@code tokenizers} runs it (pre-tokenizer and decoder type
 * "ByteLevel"): a segment is split into words by GPT-2's regex (contractions, optional space + letters, optional
 * space + digits, optional space + other symbols, whitespace runs that leave their last space to the next word), and
 * every UTF-8 byte of a word becomes one printable character of the byte-to-unicode table (the printable Latin-1
 * bytes map to themselves, the other 68 bytes to U+0100 upwards in byte order), so every byte string has a spelling.
 *
 * @param addPrefixSpace prepend a space to a segment that does not start with one
 * @param useRegex       split with GPT-2's regex (false: the whole segment is one word)
 */
public record ByteLevel(boolean addPrefixSpace, boolean useRegex) {
    /**
     * GPT-2's pattern. UNICODE_CHARACTER_CLASS makes {@code \s} Unicode White_Space, as in the Oniguruma regex that
     * {@code tokenizers} uses.
     */
    static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char ch = (char) (printable ? b : next++);
            BYTE_TO_CHAR[b] = ch;
            CHAR_TO_BYTE[ch] = b;
        }
    }

    /** The character that spells byte {@code b} (0..255). */
    public static char byteChar(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a character of the table stands for, or -1. */
    public static int charByte(char ch) {
        return ch < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[ch] : -1;
    }

    /** The words of {@code segment}, each spelled in the byte alphabet. */
    public List<String> words(String segment) {
        if (addPrefixSpace && !segment.startsWith(" ")) {
            segment = " " + segment;
        }
        List<String> out = new ArrayList<>();
        if (!useRegex) {
            out.add(spell(segment));
            return out;
        }
        Matcher m = GPT2_SPLIT.matcher(segment);
        while (m.find()) { // every character matches one alternative, so the matches tile the segment
            out.add(spell(m.group()));
        }
        return out;
    }

    /** {@code s}'s UTF-8 bytes in the byte alphabet. */
    public static String spell(String s) {
        byte[] utf8 = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        }
        return new String(out);
    }

    /** The bytes a piece spelled in the byte alphabet stands for, or null if a character is not in the table. */
    public static byte[] unspell(String piece) {
        byte[] out = new byte[piece.length()];
        for (int i = 0; i < piece.length(); i++) {
            int b = charByte(piece.charAt(i));
            if (b < 0) {
                return null;
            }
            out[i] = (byte) b;
        }
        return out;
    }
}
