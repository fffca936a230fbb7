package io.flightllm.arch.mpe;

import io.flightllm.arch.numerics.Sparsity;

/**
 * Bit-accurate model of one CSD chain (a VPU): per slice the sparse MUX picks the activation(s) at the slice's 4-bit
 * position, the slice multiplies the packed pair by the weight and adds the cascade input; at every group end a
 * reduction node passes the sum on, cuts the chain (emitting an output and restarting from zero) or, inside a
 * sub-chain longer than the overflow-free segment, adjusts for overflow: the low lane is added to a side sum and only
 * the corrected high lane (times 2^18) continues down the cascade. The generated RTL computes exactly this, register
 * widths included.
 */
public final class CsdChain {
    private final ChainPlan plan;

    public CsdChain(ChainPlan plan) {
        this.plan = plan;
    }

    public ChainPlan plan() {
        return plan;
    }

    public VpuOutput run(VpuInput in) {
        int d = plan.chainLength();
        if (in.w().length != d) {
            throw new IllegalArgumentException("the chain has " + d + " slices; got " + in.w().length + " weights");
        }
        if (!plan.supports(in.n())) {
            throw new IllegalArgumentException("N = " + in.n() + " is not a mode of this chain; expected one of "
                    + plan.modes() + " (N = 0 blocks are skipped by the controller and never reach a chain)");
        }
        int bits = plan.outBits();
        int ports = plan.ports();
        boolean[] valid = new boolean[ports];
        int[] lo = new int[ports];
        int[] hi = new int[ports];
        long z = 0;
        long side = 0;
        for (int i = 0; i < d; i++) {
            int pos = plan.sparse() ? in.idx()[i] : i % Sparsity.BLOCK;
            int a0 = in.act0()[pos];
            int a1 = in.mm() ? in.act1()[pos] : 0;
            long p = Dsp48e2.mac(Dsp48e2.pack(a0, a1), in.w()[i], z);
            if ((i + 1) % plan.minN() == 0) {
                int k = (i + 1) / plan.minN() - 1;
                valid[k] = plan.portValid(k, in.n());
                lo[k] = (int) Dsp48e2.wrap(side + Dsp48e2.lowLane(p), bits);
                hi[k] = (int) Dsp48e2.wrap(Dsp48e2.highLane(p), bits);
            }
            switch (plan.link(i, in.n())) {
                case PASS -> z = p;
                case CUT -> {
                    z = 0;
                    side = 0;
                }
                case ADJUST -> {
                    side = Dsp48e2.wrap(side + Dsp48e2.lowLane(p), bits);
                    z = Dsp48e2.withoutLowLane(p);
                }
            }
        }
        return new VpuOutput(valid, lo, hi);
    }
}
