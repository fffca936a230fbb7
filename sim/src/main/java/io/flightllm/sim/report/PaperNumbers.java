package io.flightllm.sim.report;

import java.util.Map;

/**
 * The published numbers the timing model is calibrated against and compared with (BRIEF.md sections 3, 5 and 6,
 * with their sources there). Nothing here feeds the model; reports and tests set results against them.
 */
public final class PaperNumbers {
    private PaperNumbers() {
    }

    /** U280 board, LLaMA2-7B, decode step in ms by context (third-party measurement, 3.43 GB image). */
    public static final Map<Integer, Double> U280_STEP_MS = Map.of(128, 17.50, 512, 18.99);
    /** The U280 image those were measured with, in bytes (3.43 GB). */
    public static final long U280_IMAGE_BYTES = 3_430_000_000L;
    /** VHK158 artifact profile, decode step in ms by context. */
    public static final Map<Integer, Double> VHK158_STEP_MS = Map.of(144, 9.28, 512, 9.81, 1024, 10.62, 1536, 11.42,
            2048, 12.23);
    /** VHK158 artifact profile, decode tokens/s per workload, and their geomean. */
    public static final Map<Workload, Double> VHK158_TOKENS_PER_S = Map.of(new Workload(128, 512), 103.5,
            new Workload(128, 1024), 99.2, new Workload(128, 1536), 95.4, new Workload(512, 512), 97.2,
            new Workload(512, 1024), 93.5, new Workload(512, 1536), 90.1);
    public static final double VHK158_GEOMEAN = 96.4;
    /** VHK158 artifact profile, prefill ms by prompt length. */
    public static final Map<Integer, Double> VHK158_PREFILL_MS = Map.of(128, 289.9, 512, 1181.4);
    /** Figure 1: V100 about 45 token/s at about 220 W and about $12K; U280 about 55 token/s at about 45 W. */
    public static final double V100_TOKENS_PER_S = 45;
    public static final double V100_WATTS = 220;
    public static final double V100_PRICE_USD = 12_000;
    public static final double U280_BOARD_WATTS = 45;
    /** Claimed U280 gains over the V100S: energy and cost efficiency. */
    public static final double CLAIM_ENERGY_VS_V100S = 6.0;
    public static final double CLAIM_COST_VS_V100S = 1.8;
    /** Measured H200 (FP16, CUDA graphs): about 139 token/s at about 0.39 token/J. */
    public static final double H200_TOKENS_PER_S = 139;
    public static final double H200_TOKENS_PER_JOULE = 0.39;
}
