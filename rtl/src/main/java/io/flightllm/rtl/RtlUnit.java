package io.flightllm.rtl;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.mpe.ChainPlan;
import java.util.List;
import java.util.Locale;

/** The generated units: each knows its chain plan, top module and the files it needs. */
public enum RtlUnit {
    /** one sparse CSD chain */
    VPU,
    /** the dense baseline chain of the same length */
    DENSE_CHAIN,
    /** mvRows sparse VPUs sharing the activations */
    MPU,
    /** mvRows dense chains, the baseline of the MPU */
    DENSE_MPU,
    /** b-bit codes to INT8 */
    DEQUANT;

    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public boolean sparse() {
        return this == VPU || this == MPU || this == DEQUANT;
    }

    public ChainPlan plan(HardwareConfig config) {
        return sparse() ? ChainPlan.sparse(config.mpe()) : ChainPlan.dense(config.mpe());
    }

    public String module(HardwareConfig config) {
        ChainPlan plan = plan(config);
        return switch (this) {
            case VPU, DENSE_CHAIN -> ChainGenerator.moduleName(plan);
            case MPU, DENSE_MPU -> MpuGenerator.moduleName(plan);
            case DEQUANT -> DequantGenerator.MODULE;
        };
    }

    /** This unit's file and the files of the modules it instantiates. */
    public List<RtlFile> files(HardwareConfig config) {
        ChainPlan plan = plan(config);
        RtlFile chain = new RtlFile(ChainGenerator.moduleName(plan) + ".v", ChainGenerator.generate(config, plan));
        return switch (this) {
            case VPU, DENSE_CHAIN -> List.of(chain);
            case MPU, DENSE_MPU -> List.of(chain,
                    new RtlFile(MpuGenerator.moduleName(plan) + ".v", MpuGenerator.generate(config, plan)));
            case DEQUANT -> List.of(new RtlFile(DequantGenerator.MODULE + ".v",
                    DequantGenerator.generate(config, plan)));
        };
    }
}
