package io.flightllm.runtime;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * One token of a scored text with its log-probability under the model's next-token distribution (the log-softmax of
 * the raw logits, before temperature or top-p, as {@code twin.eval.Metrics.logSoftmax} computes it), and the
 * {@code top.size()} most likely tokens at that position.
 *
 * @param bytes the token's bytes as the tokenizer decodes it after the previous token (a byte-fallback or byte-level
 *              token may hold part of a UTF-8 character)
 */
public record TokenLogprob(int token, byte[] bytes, double logprob, List<Alternative> top) {
    /** A candidate token at the position. */
    public record Alternative(int token, byte[] bytes, double logprob) {
        public Alternative {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        /** The bytes as text (a partial character shows as U+FFFD). */
        public String piece() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    public TokenLogprob {
        bytes = bytes.clone();
        top = List.copyOf(top);
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The bytes as text (a partial character shows as U+FFFD). */
    public String piece() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * The entry of {@code token} at a position with log-probabilities {@code lp}: its own value and the {@code k} most
     * likely tokens (descending; ties by lower id); {@code piece} gives a token id's bytes there.
     */
    public static TokenLogprob of(int token, double[] lp, int k, IntFunction<byte[]> piece) {
        List<Alternative> top = new ArrayList<>(k);
        boolean[] taken = new boolean[lp.length];
        for (int n = 0; n < Math.min(k, lp.length); n++) {
            int best = -1;
            for (int i = 0; i < lp.length; i++) {
                if (!taken[i] && (best < 0 || lp[i] > lp[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            top.add(new Alternative(best, piece.apply(best), lp[best]));
        }
        return new TokenLogprob(token, piece.apply(token), lp[token], top);
    }
}
