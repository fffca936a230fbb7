package io.flightllm.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * One token of a scored text with its log-probability under the model's next-token distribution (log-softmax of the
 * raw logits, before temperature or top-p), and the {@code top.size()} most likely tokens at that position.
 *
 * @param piece the token's text as the tokenizer decodes it after the previous token (UTF-8; a byte-level piece that
 *              splits a character shows a replacement character)
 */
public record TokenLogprob(int token, String piece, double logprob, List<Alternative> top) {
    /** A candidate token at the position. */
    public record Alternative(int token, String piece, double logprob) {
    }

    public TokenLogprob {
        top = List.copyOf(top);
    }

    /** log-softmax of {@code logits} in double: x_i - max - log(sum_j exp(x_j - max)). */
    public static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : logits) {
            sum += Math.exp(x - max);
        }
        double log = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - log;
        }
        return out;
    }

    /**
     * The entry of {@code token} at a position with log-probabilities {@code lp}: its own value and the {@code k} most
     * likely tokens (descending; ties by lower id); {@code piece} names a token id there.
     */
    public static TokenLogprob of(int token, double[] lp, int k, IntFunction<String> piece) {
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
