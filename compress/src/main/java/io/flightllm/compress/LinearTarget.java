package io.flightllm.compress;

/**
 * What a {@link LinearCompressor} must produce for one matrix: its place in the model, its bit width, its scale group
 * size and its per-16x16-block densities (decided by the pipeline from the {@link CompressionProfile}).
 *
 * @param layer          decoder layer index, or -1 for the classifier
 * @param kind           which linear it is
 * @param bits           weight bit width, one of {@code WeightQuantizer.BITS}
 * @param groupSize      columns per FP16 scale (a multiple of 16, at most the padded column count)
 * @param blockDensities [rowBlocks][colBlocks] row-major, each in {@link BlockDensity#CHOICES}, for the matrix as
 *                       handed to the compressor (after head padding)
 */
public record LinearTarget(int layer, LinearKind kind, int bits, int groupSize, byte[] blockDensities) {

    /** The tensor name the compressed layer must carry ("layers.3.wq", "classifier"). */
    public String name() {
        return kind.tensorName(layer);
    }
}
