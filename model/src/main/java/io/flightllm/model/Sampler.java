package io.flightllm.model;

import java.util.Arrays;

/**
 * The sampler of llama2.c run.c, reproduced exactly so seeded runs match byte for byte: xorshift64* coins,
 * temperature, softmax, multinomial or top-p sampling with run.c's candidate pre-filter.
 */
public final class Sampler {
    private final int vocabSize;
    private final float temperature;
    private final float topp;
    private long state;
    private final int[] candidateIndex;
    private final float[] candidateProb;

    /**
     * @param temperature 0 = greedy argmax
     * @param topp        nucleus threshold; 0 or 1 (or outside (0, 1)) samples from the full distribution
     * @param seed        the xorshift state's initial value (run.c's rng_seed)
     */
    public Sampler(int vocabSize, float temperature, float topp, long seed) {
        this.vocabSize = vocabSize;
        this.temperature = temperature;
        this.topp = topp;
        this.state = seed;
        this.candidateIndex = new int[vocabSize];
        this.candidateProb = new float[vocabSize];
    }

    /** xorshift64*, returning the upper 32 bits of the product as an unsigned value. */
    public int nextU32() {
        state ^= state >>> 12;
        state ^= state << 25;
        state ^= state >>> 27;
        return (int) ((state * 0x2545F4914F6CDD1DL) >>> 32);
    }

    /** A float in [0, 1): the top 24 bits of a u32 over 2^24. */
    public float nextFloat() {
        return (nextU32() >>> 8) / 16777216.0f;
    }

    /** Samples a token from {@code logits}; like run.c, the array is overwritten (scaled, then softmaxed). */
    public int sample(float[] logits) {
        if (temperature == 0.0f) {
            return argmax(logits, vocabSize);
        }
        for (int i = 0; i < vocabSize; i++) {
            logits[i] /= temperature;
        }
        softmax(logits, vocabSize);
        float coin = nextFloat();
        if (topp <= 0 || topp >= 1) {
            return sampleMultinomial(logits, coin);
        }
        return sampleTopP(logits, coin);
    }

    public static int argmax(float[] p, int n) {
        int best = 0;
        float max = p[0];
        for (int i = 1; i < n; i++) {
            if (p[i] > max) {
                max = p[i];
                best = i;
            }
        }
        return best;
    }

    /** run.c's softmax: max, then exp(x - max) and a running sum in index order, then division. */
    public static void softmax(float[] x, int n) {
        float max = x[0];
        for (int i = 1; i < n; i++) {
            if (x[i] > max) {
                max = x[i];
            }
        }
        float sum = 0.0f;
        for (int i = 0; i < n; i++) {
            x[i] = CMath.expf(x[i] - max);
            sum += x[i];
        }
        for (int i = 0; i < n; i++) {
            x[i] /= sum;
        }
    }

    private int sampleMultinomial(float[] p, float coin) {
        float cdf = 0.0f;
        for (int i = 0; i < vocabSize; i++) {
            cdf += p[i];
            if (coin < cdf) {
                return i;
            }
        }
        return vocabSize - 1;
    }

    private int sampleTopP(float[] p, float coin) {
        int n0 = 0;
        float cutoff = (1.0f - topp) / (vocabSize - 1);
        for (int i = 0; i < vocabSize; i++) {
            if (p[i] >= cutoff) {
                candidateIndex[n0] = i;
                candidateProb[n0] = p[i];
                n0++;
            }
        }
        sortDescending(n0);
        float cumulative = 0.0f;
        int last = n0 - 1;
        for (int i = 0; i < n0; i++) {
            cumulative += candidateProb[i];
            if (cumulative > topp) {
                last = i;
                break;
            }
        }
        float r = coin * cumulative;
        float cdf = 0.0f;
        for (int i = 0; i <= last; i++) {
            cdf += candidateProb[i];
            if (r < cdf) {
                return candidateIndex[i];
            }
        }
        return candidateIndex[last];
    }

    /** Stable descending sort of the first n candidates by probability (ties keep index order). */
    private void sortDescending(int n) {
        long[] keyed = new long[n];
        for (int i = 0; i < n; i++) {
            // probabilities are non-negative, so their bit patterns order like the values
            keyed[i] = ((long) (~Float.floatToRawIntBits(candidateProb[i]) & 0x7FFFFFFF) << 32) | i;
        }
        Arrays.sort(keyed);
        int[] idx = new int[n];
        float[] prob = new float[n];
        for (int i = 0; i < n; i++) {
            int k = (int) keyed[i];
            idx[i] = candidateIndex[k];
            prob[i] = candidateProb[k];
        }
        System.arraycopy(idx, 0, candidateIndex, 0, n);
        System.arraycopy(prob, 0, candidateProb, 0, n);
    }
}
