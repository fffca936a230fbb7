package io.flightllm.twin;

import io.flightllm.compress.CompressedModel;
import io.flightllm.model.Model;
import io.flightllm.model.forward.LlamaForward;
import io.flightllm.model.forward.ScalarMatVec;

/**
 * Verification level 2: a compressed model's twin logits against the FP32 reference along the reference's greedy
 * sequence from BOS (measured, never asserted equal).
 *
 * @param top1   fraction of positions where both argmaxes agree
 * @param meanKl mean KL(p_ref || p_twin) in nats, softmax in double
 */
public record Agreement(int positions, double top1, double meanKl) {

    public static Agreement measure(Model model, CompressedModel cm, int steps) {
        LlamaForward ref = new LlamaForward(model.config(), model.weights(), new ScalarMatVec(), steps);
        int agree = 0;
        double kl = 0;
        try (FastTwin twin = new FastTwin(cm, 2, steps)) {
            int token = model.config().bosId();
            for (int pos = 0; pos < steps; pos++) {
                float[] r = ref.forward(token, pos);
                float[] t = twin.forward(token, pos);
                int next = Logits.argmax(r);
                agree += next == Logits.argmax(t) ? 1 : 0;
                kl += kl(r, t);
                token = next;
            }
        }
        return new Agreement(steps, agree / (double) steps, kl / steps);
    }

    static double kl(float[] ref, float[] twin) {
        double[] p = softmax(ref);
        double[] q = softmax(twin);
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                s += p[i] * (Math.log(p[i]) - Math.log(Math.max(q[i], Double.MIN_NORMAL)));
            }
        }
        return s;
    }

    private static double[] softmax(float[] x) {
        double mx = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            mx = Math.max(mx, v);
        }
        double[] e = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            e[i] = Math.exp(x[i] - mx);
            sum += e[i];
        }
        for (int i = 0; i < x.length; i++) {
            e[i] /= sum;
        }
        return e;
    }
}
