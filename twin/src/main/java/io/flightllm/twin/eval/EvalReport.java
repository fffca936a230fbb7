package io.flightllm.twin.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;

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

    /**
     * A metric with nothing to measure (no greedy positions: every continuation ended at once; bits unknown) is NaN
     * here and null in JSON, which JSON readers take as "no value" (Jackson's default would write the string "NaN").
     */
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .registerModule(new SimpleModule("non-finite-as-null")
                    .addSerializer(Double.TYPE, NonFinite.SERIALIZER)
                    .addSerializer(Double.class, NonFinite.SERIALIZER)
                    .addSerializer(double[].class, NonFinite.ARRAY_SERIALIZER)
                    .addDeserializer(Double.TYPE, NonFinite.DESERIALIZER)
                    .addDeserializer(double[].class, NonFinite.ARRAY_DESERIALIZER));

    /** Non-finite doubles as JSON null, and null back as NaN. */
    private static final class NonFinite {
        static final JsonSerializer<Double> SERIALIZER = new JsonSerializer<>() {
            @Override
            public void serialize(Double v, JsonGenerator g, SerializerProvider p) throws IOException {
                write(g, v);
            }
        };
        static final JsonSerializer<double[]> ARRAY_SERIALIZER = new JsonSerializer<>() {
            @Override
            public void serialize(double[] a, JsonGenerator g, SerializerProvider p) throws IOException {
                g.writeStartArray(a, a.length);
                for (double v : a) {
                    write(g, v);
                }
                g.writeEndArray();
            }
        };
        static final JsonDeserializer<Double> DESERIALIZER = new JsonDeserializer<>() {
            @Override
            public Double deserialize(JsonParser p, DeserializationContext c) throws IOException {
                return p.getDoubleValue();
            }

            @Override
            public Double getNullValue(DeserializationContext c) {
                return Double.NaN;
            }
        };

        static final JsonDeserializer<double[]> ARRAY_DESERIALIZER = new JsonDeserializer<>() {
            @Override
            public double[] deserialize(JsonParser p, DeserializationContext c) throws IOException {
                if (!p.isExpectedStartArrayToken()) {
                    return (double[]) c.handleUnexpectedToken(double[].class, p);
                }
                java.util.List<Double> out = new java.util.ArrayList<>();
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    out.add(t == JsonToken.VALUE_NULL ? Double.NaN : p.getDoubleValue());
                }
                return out.stream().mapToDouble(Double::doubleValue).toArray();
            }
        };

        private static void write(JsonGenerator g, double v) throws IOException {
            if (Double.isFinite(v)) {
                g.writeNumber(v);
            } else {
                g.writeNull();
            }
        }
    }

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
