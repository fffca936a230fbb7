package io.flightllm.arch.program;

import io.flightllm.arch.hw.HardwareConfig;

import java.util.List;
import java.util.Map;

/**
 * The manifest of a {@code .flp}: target, model ABI, options, regions, buckets, and the payload names of the weight
 * image (one per HBM channel that holds weights), the DDR image (tables) and the per-block density maps.
 *
 * @param weightImage   HBM channel -> payload name (empty for shapes-only programs)
 * @param densityMaps   linear name -> payload name of its [rowBlocks][colBlocks] N bytes (kept even without weights,
 *                      for the timing model)
 */
public record Program(HardwareConfig target, ModelAbi model, ProgramOptions options, List<Region> regions,
                      List<Bucket> buckets, Map<Integer, String> weightImage, String ddrImage,
                      Map<String, String> densityMaps) {
    public Program {
        regions = List.copyOf(regions);
        buckets = List.copyOf(buckets);
        weightImage = Map.copyOf(weightImage);
        densityMaps = Map.copyOf(densityMaps);
    }

    public Region region(String name, int core) {
        return regions.stream().filter(r -> r.name().equals(name) && r.core() == core).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("program has no region " + name + " of core " + core));
    }

    /** The bucket of {@code kind} that serves {@code length} (the smallest one at least that long). */
    public Bucket bucketFor(Bucket.Kind kind, int length) {
        return buckets.stream().filter(b -> b.kind() == kind && b.length() >= length)
                .min(java.util.Comparator.comparingInt(Bucket::length))
                .orElseThrow(() -> new IllegalArgumentException("no " + kind + " bucket holds length " + length
                        + "; the largest is " + buckets.stream().filter(b -> b.kind() == kind)
                        .mapToInt(Bucket::length).max().orElse(0)));
    }
}
