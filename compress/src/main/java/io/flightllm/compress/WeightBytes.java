package io.flightllm.compress;

import io.flightllm.compress.flm.FlmLayout;

/**
 * Bytes of a compressed model's weights as stored in a {@code .flm} (DESIGN.md "Metric definitions"): bit-packed values,
 * indices (4-bit positions or 16-bit masks, per linear), one byte per block density, FP16 scales and FP32 biases of all linear layers (classifier
 * included), over their dense parameter count; embeddings and norms are counted separately.
 *
 * @param denseParams parameters of the source matrices (real shapes, before head padding)
 */
public record WeightBytes(long values, long indices, long densities, long scales, long biases, long denseParams,
                          long embeddingBytes, long normBytes) {
    public static final WeightBytes ZERO = new WeightBytes(0, 0, 0, 0, 0, 0, 0, 0);

    /** The bytes of one compressed linear whose source matrix had {@code sourceParams} parameters. */
    public static WeightBytes of(CompressedLinear l, long sourceParams) {
        return new WeightBytes(FlmLayout.valuesBytes(l), FlmLayout.indexBytes(l), FlmLayout.densitiesBytes(l),
                FlmLayout.scalesBytes(l), l.bias() == null ? 0 : 4L * l.bias().length, sourceParams, 0, 0);
    }

    public WeightBytes plus(WeightBytes o) {
        return new WeightBytes(values + o.values, indices + o.indices, densities + o.densities, scales + o.scales,
                biases + o.biases, denseParams + o.denseParams, embeddingBytes + o.embeddingBytes,
                normBytes + o.normBytes);
    }

    public WeightBytes withEmbeddingAndNorms(long embedding, long norms) {
        return new WeightBytes(values, indices, densities, scales, biases, denseParams, embeddingBytes + embedding,
                normBytes + norms);
    }

    /** Values + indices + densities + scales (+ biases): the linear weight image. */
    public long linearBytes() {
        return values + indices + densities + scales + biases;
    }

    /** 8 x (values + indices + densities + scales) / dense parameters. */
    public double bitsPerWeight() {
        return denseParams == 0 ? 0 : 8.0 * (values + indices + densities + scales) / denseParams;
    }
}
