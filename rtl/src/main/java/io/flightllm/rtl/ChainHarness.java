package io.flightllm.rtl;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.mpe.ChainPlan;
import io.flightllm.arch.mpe.CsdChain;
import io.flightllm.arch.mpe.Dsp48e2;
import io.flightllm.arch.mpe.VpuInput;
import io.flightllm.arch.mpe.VpuOutput;
import io.flightllm.arch.numerics.Sparsity;
import java.util.List;

/** Co-simulation of a chain (VPU, dense chain) or an MPU of them: one bus input = one cycle of {@link #rows()} rows. */
final class ChainHarness extends Harness {
    private final ChainPlan plan;
    private final CsdChain model;

    ChainHarness(HardwareConfig config, RtlUnit unit) {
        super(config, unit, inputs(unit.plan(config), rows(config, unit)), outputs(unit.plan(config),
                rows(config, unit)));
        this.plan = unit.plan(config);
        this.model = new CsdChain(plan);
    }

    private static BusLayout inputs(ChainPlan plan, int rows) {
        int d = plan.chainLength();
        BusLayout in = new BusLayout().add("in_mm", 1);
        if (plan.sparse()) {
            in.add("in_nlog", ChainGenerator.NLOG_BITS);
        }
        in.add("in_w", rows * d * 8);
        if (plan.sparse()) {
            in.add("in_idx", rows * d * Dsp48e2.INDEX_BITS);
        }
        return in.add("in_act0", Sparsity.BLOCK * 8).add("in_act1", Sparsity.BLOCK * 8);
    }

    private static BusLayout outputs(ChainPlan plan, int rows) {
        int k = plan.ports();
        return new BusLayout().add("out_port_valid", rows * k).add("out_lo", rows * k * plan.outBits())
                .add("out_hi", rows * k * plan.outBits());
    }

    private static int rows(HardwareConfig config, RtlUnit unit) {
        return switch (unit) {
            case MPU, DENSE_MPU -> config.mpe().mvRows();
            case VPU, DENSE_CHAIN -> 1;
            case DEQUANT -> throw new IllegalArgumentException("the dequantizer is not a chain");
        };
    }

    ChainPlan plan() {
        return plan;
    }

    /** VPUs driven in one cycle: mvRows for an MPU, else 1. */
    int rows() {
        return rows(config, unit);
    }

    @Override
    int latency() {
        return ChainGenerator.latency(plan);
    }

    /** Rows of one cycle: same N, mode and activations (the MPU broadcasts them), own weights and positions. */
    Stimulus stimulus(String label, List<VpuInput> rows) {
        if (rows.size() != rows()) {
            throw new IllegalArgumentException(rows.size() + " rows for " + rows() + " VPUs");
        }
        VpuInput first = rows.getFirst();
        int d = plan.chainLength();
        int k = plan.ports();
        int ow = plan.outBits();
        BusLayout.Value iv = in().value().set("in_mm", first.mm() ? 1 : 0);
        if (plan.sparse()) {
            iv.set("in_nlog", ChainGenerator.log2(first.n()));
        }
        for (int i = 0; i < Sparsity.BLOCK; i++) {
            iv.set("in_act0", i, 8, first.act0()[i]).set("in_act1", i, 8, first.act1()[i]);
        }
        BusLayout.Value ov = out().value();
        for (int r = 0; r < rows.size(); r++) {
            VpuInput row = rows.get(r);
            if (row.n() != first.n() || row.mm() != first.mm() || row.act0() != first.act0()
                    || row.act1() != first.act1()) {
                throw new IllegalArgumentException("row " + r + " does not share the block and mode of row 0");
            }
            for (int i = 0; i < d; i++) {
                iv.set("in_w", r * d + i, 8, row.w()[i]);
                if (plan.sparse()) {
                    iv.set("in_idx", r * d + i, Dsp48e2.INDEX_BITS, row.idx()[i]);
                }
            }
            VpuOutput y = model.run(row);
            for (int p = 0; p < k; p++) {
                ov.set("out_port_valid", r * k + p, 1, y.valid()[p] ? 1 : 0);
                ov.set("out_lo", r * k + p, ow, y.lo()[p]);
                ov.set("out_hi", r * k + p, ow, y.hi()[p]);
            }
        }
        return new Stimulus(label, iv.bits(), ov.bits());
    }
}
