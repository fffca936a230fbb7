package io.flightllm.twin.eval;

/**
 * One sequence's sums over its scored positions (the bootstrap resamples whole sequences, so it needs the sums, not
 * the means).
 *
 * @param positions   scored positions (each has a next token)
 * @param klSum       sum of KL(ref || model), nats
 * @param top1        positions where the argmaxes agree
 * @param nllSum      sum of -log q(next token) under the model
 * @param refNllSum   sum of -log p(next token) under the reference
 * @param maxAbsError max |logit_ref - logit_model| over positions and vocabulary
 * @param absErrorSum sum over positions of the mean |logit_ref - logit_model| over the vocabulary
 */
public record SequenceStats(int positions, double klSum, int top1, double nllSum, double refNllSum,
                            double maxAbsError, double absErrorSum) {

    /** Scores one sequence: refLogits[i] and modelLogits[i] predict tokens[i + 1]. */
    public static SequenceStats score(int[] tokens, float[][] refLogits, float[][] modelLogits, int from) {
        int n = 0;
        double kl = 0;
        int top1 = 0;
        double nll = 0;
        double refNll = 0;
        double maxAbs = 0;
        double absSum = 0;
        for (int i = from; i + 1 < tokens.length; i++) {
            double[] lp = Metrics.logSoftmax(refLogits[i]);
            double[] lq = Metrics.logSoftmax(modelLogits[i]);
            kl += Metrics.kl(lp, lq);
            top1 += Metrics.argmax(refLogits[i]) == Metrics.argmax(modelLogits[i]) ? 1 : 0;
            nll -= lq[tokens[i + 1]];
            refNll -= lp[tokens[i + 1]];
            maxAbs = Math.max(maxAbs, Metrics.maxAbsDiff(refLogits[i], modelLogits[i]));
            absSum += Metrics.meanAbsDiff(refLogits[i], modelLogits[i]);
            n++;
        }
        return new SequenceStats(n, kl, top1, nll, refNll, maxAbs, absSum);
    }
}
