package io.flightllm.model.tokenizer;

import io.flightllm.model.ModelFormatException;
import io.flightllm.model.loader.MappedFile;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * llama2.c tokenizer.bin: int32 max_token_length, then per token {float32 score, int32 len, len bytes}. The file does
 * not store the vocabulary size; it must hold exactly the model's number of tokens, checked here.
 */
public final class Llama2cTokenizerFile {
    private Llama2cTokenizerFile() {
    }

    /** Reads {@code path}; {@code expectedVocab} is the model's vocab_size (or -1 to accept any count). */
    public static SentencePieceTokenizer read(Path path, int expectedVocab) {
        try (Arena arena = Arena.ofConfined()) {
            MappedFile f = MappedFile.map(path, arena);
            int maxLen = f.i32(0, "max_token_length");
            if (maxLen <= 0 || maxLen > 1 << 16) {
                throw ModelFormatException.field(path, "max_token_length", maxLen,
                        "in [1, 65536] (is this a llama2.c tokenizer.bin?)");
            }
            List<byte[]> pieces = new ArrayList<>();
            List<Float> scores = new ArrayList<>();
            long at = 4;
            while (at < f.size()) {
                int id = pieces.size();
                float score = f.f32(at, "score of token " + id);
                int len = f.i32(at + 4, "length of token " + id);
                if (len < 0 || len > maxLen) {
                    throw ModelFormatException.field(path, "length of token " + id, len,
                            "in [0, max_token_length = " + maxLen + "]");
                }
                pieces.add(f.bytes(at + 8, len, "bytes of token " + id));
                scores.add(score);
                at += 8 + len;
                if (expectedVocab > 0 && pieces.size() > expectedVocab) {
                    break;
                }
            }
            if (expectedVocab > 0 && pieces.size() != expectedVocab) {
                throw new ModelFormatException(path + ": the tokenizer holds " + (pieces.size() > expectedVocab
                        ? "more than " + expectedVocab : pieces.size()) + " tokens; the model's vocab_size is "
                        + expectedVocab + " (mismatched tokenizer?)");
            }
            if (pieces.size() < 259) {
                throw new ModelFormatException(path + ": the tokenizer holds " + pieces.size()
                        + " tokens; expected at least 259 (unk, BOS, EOS and 256 byte tokens)");
            }
            float[] s = new float[scores.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = scores.get(i);
            }
            return new SentencePieceTokenizer(pieces.toArray(byte[][]::new), s, 1, 2, 3);
        }
    }
}
