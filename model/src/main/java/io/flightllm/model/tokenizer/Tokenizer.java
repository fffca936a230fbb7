package io.flightllm.model.tokenizer;

/**
 * Text to token ids and back. {@link #decode} follows llama2.c's {@code decode}: it returns the raw bytes of one piece
 * (byte-fallback tokens become their single byte; after BOS a leading space is dropped), so multi-byte characters
 * split over byte tokens reassemble in the output stream.
 */
public interface Tokenizer {
    int vocabSize();

    /** Encodes {@code text}, with BOS (id {@link #bosId()}) first when {@code bos}, and EOS last when {@code eos}. */
    int[] encode(String text, boolean bos, boolean eos);

    /** The bytes that follow {@code prevToken} when {@code token} is emitted. */
    byte[] decode(int prevToken, int token);

    /** The vocabulary entry of {@code token} as stored (for inspection and tests). */
    String piece(int token);

    int bosId();

    /**
     * True when pieces are raw byte strings that are only text together (GPT-2 byte-level BPE: a piece may hold
     * part of a character), so they are written whole instead of through run.c's filter of lone non-printable bytes.
     */
    default boolean byteLevel() {
        return false;
    }

    int eosId();
}
