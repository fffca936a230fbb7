package io.flightllm.compiler;

import io.flightllm.arch.hw.HardwareConfig;

/**
 * What to compile for.
 *
 * @param maxContext    positions the programs serve (capped by the model's own context)
 * @param prefillBucket context granularity of the prefill programs (and the largest prefill chunk)
 * @param decodeBucket  context granularity of the decode-step programs
 * @param shapesOnly    emit streams, ABI and density maps without a weight image
 */
public record CompileOptions(HardwareConfig hw, int maxContext, int prefillBucket, int decodeBucket,
                             boolean shapesOnly) {
    public static final int DEFAULT_PREFILL_BUCKET = 128;
    /**
     * 32 positions: twice the artifact's 16, which halves the decode programs (the stored bytes) at the cost of at most
     * 31 masked positions of attention per step.
     */
    public static final int DEFAULT_DECODE_BUCKET = 32;
}
