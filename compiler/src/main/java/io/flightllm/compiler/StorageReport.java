package io.flightllm.compiler;

import java.util.List;
import java.util.Map;

/**
 * Instruction storage of a compilation against the artifact-style baseline (docs/compiler.md "Length-adaptive
 * compilation"): {@code baselineBytes} counts fully unrolled programs, one per prefill length 1..max (in 16-row
 * token tiles, each attending to exactly its own context) and one per decode context 1..max, computed from the same
 * emitter without materializing them; {@code reduction} = baseline / emitted.
 *
 * @param perLengthInstructionBytes bucket name ("prefill.128", "decode.16") -> bytes of all cores' streams
 */
public record StorageReport(long totalInstructionBytes, long totalInstructions,
                            Map<String, Long> perLengthInstructionBytes,
                            long baselineBytes, double reduction, double compileSeconds, List<String> buckets,
                            long weightImageBytes, int prefillChunkRows) {
}
