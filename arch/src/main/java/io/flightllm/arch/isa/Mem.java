package io.flightllm.arch.isa;

/** The off-chip memory an LD or ST addresses: HBM (weights, KV cache, activations) or DDR (tables). */
public enum Mem {
    HBM, DDR
}
