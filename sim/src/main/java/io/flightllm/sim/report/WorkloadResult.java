package io.flightllm.sim.report;

import io.flightllm.arch.isa.Queue;

import java.util.Map;

/**
 * The metrics of one workload (DESIGN.md "Metric definitions").
 *
 * @param prefillMs            prompt processing time
 * @param decodeMs             time of all decode steps
 * @param decodeTokensPerS     decode tokens / decode time
 * @param endToEndTokensPerS   decode tokens / (prefill + decode time)
 * @param watts                mean board power during decode, or null without a power model
 * @param tokensPerJoule       decode tokens per joule of the decode steps, or null
 * @param tokensPerSPerDollar  decode tokens/s per dollar of board price, or null when no price is recorded
 * @param hbmUtilization       HBM bytes moved / (peak bandwidth x decode time)
 * @param achievedGBps         weight bytes per token x decode tokens/s / 1e9
 * @param dspUtilization       useful MACs / (2 x MPE DSPs x cycles), decode steps
 * @param busy                 per queue, the busy fraction averaged over cores and weighted over the decode steps
 */
public record WorkloadResult(Workload workload, double prefillMs, double decodeMs, double decodeTokensPerS,
                             double endToEndTokensPerS, Double watts, Double tokensPerJoule, Double tokensPerSPerDollar,
                             double hbmUtilization, double achievedGBps, double dspUtilization,
                             Map<Queue, Double> busy) {
}
