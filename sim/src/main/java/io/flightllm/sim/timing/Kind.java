package io.flightllm.sim.timing;

/** What resource an instruction's time comes from. */
enum Kind {
    /** LD from an HBM channel. */
    HBM_LOAD,
    /** LD from DDR (tables). */
    DDR_LOAD,
    /** LD that writes zeros (no memory read). */
    ZERO_LOAD,
    /** ST to an HBM channel. */
    HBM_STORE,
    /** ST to DDR. */
    DDR_STORE,
    /** MM or MV. */
    MATRIX,
    /** MISC (special function unit). */
    SFU,
    /** SYS barrier. */
    BARRIER
}
