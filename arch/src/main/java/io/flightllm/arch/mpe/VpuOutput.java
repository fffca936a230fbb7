package io.flightllm.arch.mpe;

/**
 * What a VPU's reduction nodes emit for one input: per output port k (the node at slice (k + 1) minN - 1), whether it
 * ends a sub-chain in this mode, the low lane (token row 0; the whole dot in MV mode) and the corrected high lane
 * (token row 1; 0 in MV mode). Ports that do not end a sub-chain still show the running partial sum, as the RTL
 * does, so the co-simulation compares every port.
 */
public record VpuOutput(boolean[] valid, int[] lo, int[] hi) {
    public int ports() {
        return lo.length;
    }
}
