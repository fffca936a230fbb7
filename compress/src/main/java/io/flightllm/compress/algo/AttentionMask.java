package io.flightllm.compress.algo;

import io.flightllm.arch.isa.MaskMode;

/**
 * Block-sparse causal attention for prefill: tokens are grouped in blocks of {@code blockSize}; query block qb attends
 * to key block kb (causally, k &le; q inside) when kb is one of the first {@code sinkBlocks} ("attention sinks") or
 * within the local band qb - kb &lt; {@code localBlocks}. Decode (one query) is unaffected by design: the compiler
 * applies the mask to prefill only. The masked keys of a row form one range, whose bounds the ISA's
 * {@link MaskMode#BLOCK} defines for the simulator and the twins alike.
 */
public record AttentionMask(int blockSize, int sinkBlocks, int localBlocks) {
    /** FlightLLM-style default: 64-token blocks, one sink block, a band of 4 blocks (the diagonal and 3 before). */
    public static final AttentionMask DEFAULT = new AttentionMask(64, 1, 4);

    public AttentionMask {
        if (blockSize <= 0 || blockSize % 16 != 0 || sinkBlocks < 0 || localBlocks < 1) {
            throw new IllegalArgumentException("attention mask: block size " + blockSize + ", sink blocks "
                    + sinkBlocks + ", local blocks " + localBlocks + "; expected a positive block size that is a "
                    + "multiple of 16 (the KV tile), sinks >= 0 and a band of at least 1 (the diagonal)");
        }
    }

    /** Parses {@code BLOCK:SINKS:BAND} (e.g. {@code 64:1:4}, the default); errors name the part and the rule. */
    public static AttentionMask parse(String spec) {
        String[] parts = spec.trim().split(":");
        if (parts.length != 3) {
            throw new IllegalArgumentException("attention mask '" + spec + "': expected BLOCK:SINKS:BAND, e.g. "
                    + DEFAULT.spec());
        }
        int[] v = new int[3];
        String[] names = {"BLOCK", "SINKS", "BAND"};
        for (int i = 0; i < 3; i++) {
            try {
                v[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("attention mask '" + spec + "': " + names[i] + " is '" + parts[i]
                        + "'; expected an integer", e);
            }
        }
        return new AttentionMask(v[0], v[1], v[2]);
    }

    /** The {@code BLOCK:SINKS:BAND} text {@link #parse} reads. */
    public String spec() {
        return blockSize + ":" + sinkBlocks + ":" + localBlocks;
    }

    /**
     * Start of the masked key range of the query at {@code queryPos}: keys t &le; queryPos are attended unless
     * {@code holeStart(q) <= t < holeEnd(q)} (the blocks after the sinks that lie before the band; empty when the band
     * reaches the sinks).
     */
    public int holeStart(int queryPos) {
        return MaskMode.holeStart(queryPos, blockSize, sinkBlocks, localBlocks);
    }

    /** End (exclusive) of the masked key range of {@code queryPos}; equal to {@link #holeStart} when none is masked. */
    public int holeEnd(int queryPos) {
        return MaskMode.holeEnd(queryPos, blockSize, sinkBlocks, localBlocks);
    }

    /** Whether the query at position q may attend to the key at position k. */
    public boolean allowed(int queryPos, int keyPos) {
        if (queryPos < 0 || keyPos < 0) {
            throw new IllegalArgumentException("positions " + queryPos + ", " + keyPos + " must be non-negative");
        }
        return keyPos <= queryPos && blockAllowed(queryPos / blockSize, keyPos / blockSize);
    }

    /** Whether query block qb visits key block kb at all (kb &le; qb). */
    public boolean blockAllowed(int queryBlock, int keyBlock) {
        return keyBlock <= queryBlock && (keyBlock < sinkBlocks || queryBlock - keyBlock < localBlocks);
    }

    /**
     * How much of causal attention the mask keeps for a sequence of {@code length} tokens.
     *
     * @param allowedPairs  (q, k) pairs attended
     * @param causalPairs   pairs full causal attention attends: length (length + 1) / 2
     * @param visitedBlocks key blocks visited over all query blocks
     * @param causalBlocks  blocks full causal attention visits
     */
    public record Density(long allowedPairs, long causalPairs, long visitedBlocks, long causalBlocks) {
        public double pairFraction() {
            return causalPairs == 0 ? 0 : (double) allowedPairs / causalPairs;
        }

        public double blockFraction() {
            return causalBlocks == 0 ? 0 : (double) visitedBlocks / causalBlocks;
        }
    }

    public Density density(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length " + length + " must be non-negative");
        }
        int nb = (length + blockSize - 1) / blockSize;
        long pairs = 0;
        long visited = 0;
        for (int qb = 0; qb < nb; qb++) {
            int q0 = qb * blockSize;
            int q1 = Math.min(length, q0 + blockSize);
            for (int kb = 0; kb <= qb; kb++) {
                if (!blockAllowed(qb, kb)) {
                    continue;
                }
                visited++;
                int k0 = kb * blockSize;
                for (int q = q0; q < q1; q++) { // keys k0..min(q, k0 + blockSize - 1)
                    pairs += Math.max(0, Math.min(q, k0 + blockSize - 1) - k0 + 1);
                }
            }
        }
        return new Density(pairs, (long) length * (length + 1) / 2, visited, (long) nb * (nb + 1) / 2);
    }
}
