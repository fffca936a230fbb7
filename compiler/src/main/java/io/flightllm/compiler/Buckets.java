package io.flightllm.compiler;

import java.util.ArrayList;
import java.util.List;

/**
 * Length buckets: prefill programs for prompts of up to {@code prefill}, 2 x {@code prefill}, ... tokens, and decode
 * programs for contexts of up to {@code decode}, 2 x {@code decode}, ... positions, the last bucket of each ending at
 * {@code maxContext}. The runtime picks the smallest bucket that holds the length and masks the rest.
 */
public record Buckets(int prefill, int decode, int maxContext) {
    public Buckets {
        if (prefill < 1 || decode < 1 || maxContext < 1) {
            throw new CompileException("bucket sizes and the context must be positive: prefill " + prefill
                    + ", decode " + decode + ", context " + maxContext);
        }
        if (decode % 16 != 0 && decode < maxContext) {
            throw new CompileException("decode bucket " + decode + " must be a multiple of 16 (the KV tile)");
        }
    }

    public List<Integer> prefillLengths() {
        return lengths(prefill);
    }

    public List<Integer> decodeLengths() {
        return lengths(decode);
    }

    private List<Integer> lengths(int step) {
        List<Integer> out = new ArrayList<>();
        for (int l = step; l < maxContext; l += step) {
            out.add(l);
        }
        out.add(maxContext);
        return out;
    }

    /** The smallest length in {@code lengths} that is at least {@code n}. */
    public static int bucketOf(List<Integer> lengths, int n) {
        for (int l : lengths) {
            if (l >= n) {
                return l;
            }
        }
        throw new IllegalArgumentException("length " + n + " exceeds the largest bucket "
                + lengths.get(lengths.size() - 1));
    }
}
