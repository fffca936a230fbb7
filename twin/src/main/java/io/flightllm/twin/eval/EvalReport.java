package io.flightllm.twin.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * A model's accuracy against the dense FP32 reference over a corpus (teacher forcing), plus top-1 agreement along
 * the reference's greedy continuations of the reference prompts. Every metric has a 95% percentile bootstrap interval
 * over sequences ({@code <name>_ci95 = [low, high]}; over prompts for the greedy metric). Means are over positions
 * (a resample's mean is its total over its total positions).
 */
@JsonPropertyOrder(alphabetic = false)
public record EvalReport(
        @JsonProperty("model") String model,
        @JsonProperty("corpus") String corpus,
        @JsonProperty("perplexity_label") String perplexityLabel,
        @JsonProperty("sequences") int sequences,
        @JsonProperty("tokens") int tokens,
        @JsonProperty("positions") int positions,
        @JsonProperty("kl_divergence") double klDivergence,
        @JsonProperty("kl_divergence_ci95") double[] klDivergenceCi95,
        @JsonProperty("top1_agreement") double top1Agreement,
        @JsonProperty("top1_agreement_ci95") double[] top1AgreementCi95,
        @JsonProperty("perplexity") double perplexity,
        @JsonProperty("perplexity_ci95") double[] perplexityCi95,
        @JsonProperty("reference_perplexity") double referencePerplexity,
        @JsonProperty("reference_perplexity_ci95") double[] referencePerplexityCi95,
        @JsonProperty("max_abs_logit_error") double maxAbsLogitError,
        @JsonProperty("max_abs_logit_error_ci95") double[] maxAbsLogitErrorCi95,
        @JsonProperty("mean_abs_logit_error") double meanAbsLogitError,
        @JsonProperty("mean_abs_logit_error_ci95") double[] meanAbsLogitErrorCi95,
        @JsonProperty("greedy_sequences") int greedySequences,
        @JsonProperty("greedy_positions") int greedyPositions,
        @JsonProperty("greedy_top1_agreement") double greedyTop1Agreement,
        @JsonProperty("greedy_top1_agreement_ci95") double[] greedyTop1AgreementCi95,
        @JsonProperty("bits_per_weight") double bitsPerWeight,
        @JsonProperty("bits_per_weight_ci95") double[] bitsPerWeightCi95) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("EvalReport is not serializable", e);
        }
    }

    public static EvalReport fromJson(String json) {
        try {
            return JSON.readValue(json, EvalReport.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not an EvalReport: " + e.getOriginalMessage(), e);
        }
    }
}
