package io.flightllm.arch.isa;

/** SYS operations. */
public enum SysOp {
    /** Completes only when every core has reached its barrier of the same index. */
    BARRIER
}
