package io.flightllm.sim.timing;

import java.util.ArrayList;
import java.util.List;

/**
 * The instruction streams of one launch, one per core, and optionally the block densities of each matrix
 * instruction's weight tile (the MPE's cycles follow them, and an MM/MV does not carry them).
 *
 * @param words     per core, the encoded stream (32-bit words back to back)
 * @param densities per core, one entry per MM/MV in stream order: the N of each 16x16 block of its weight tile,
 *                  [rows / 16][k] row-major, or null for a dense tile or an operand that is no weight tile; the whole
 *                  list, or one core's array, may be null when not known (sparse tiles then count at their mean N,
 *                  from the kept values the instruction reads)
 */
public record Launch(List<int[]> words, List<byte[][]> densities) {
    public Launch {
        words = List.copyOf(words);
        if (densities != null) {
            if (densities.size() != words.size()) {
                throw new IllegalArgumentException("densities for " + densities.size() + " cores, streams for "
                        + words.size());
            }
            densities = new ArrayList<>(densities); // may hold nulls
        }
    }

    public static Launch of(List<int[]> words) {
        return new Launch(words, null);
    }

    public int cores() {
        return words.size();
    }

    /** The density entries of one core's matrix instructions, or null. */
    public byte[][] densities(int core) {
        return densities == null ? null : densities.get(core);
    }
}
