package io.flightllm.arch.hw;

/**
 * The energy and cost model of a board: static power plus energy per operation, and the board's price. Sources in
 * docs/hardware.md; the timing model turns counted operations into watts, token/J and token/s per dollar.
 *
 * @param staticWatts            board power that does not scale with work (leakage, clocks, the shell, fans, HBM
 *                               refresh)
 * @param macPicojoules          energy of one INT8 multiply-accumulate in a DSP slice, with its operand routing
 * @param onChipBytePicojoules   energy of moving one byte into or out of an on-chip buffer (BRAM/URAM port access)
 * @param hbmBytePicojoules      energy of moving one byte between HBM and the fabric (DRAM core, I/O and PHY)
 * @param boardPriceUsd          price of one board in US dollars, or null when not recorded (cost metrics are then
 *                               omitted)
 * @param source                 where the numbers come from, one line
 */
public record PowerSpec(double staticWatts, double macPicojoules, double onChipBytePicojoules,
                        double hbmBytePicojoules, Double boardPriceUsd, String source) {

    void check(Checks c) {
        if (!(staticWatts >= 0) || Double.isInfinite(staticWatts)) {
            c.error("power.staticWatts = " + staticWatts + "; expected a finite value >= 0");
        }
        for (double[] v : new double[][]{{macPicojoules}, {onChipBytePicojoules}, {hbmBytePicojoules}}) {
            if (!(v[0] >= 0) || Double.isInfinite(v[0])) {
                c.error("power energies (macPicojoules, onChipBytePicojoules, hbmBytePicojoules) = " + macPicojoules
                        + ", " + onChipBytePicojoules + ", " + hbmBytePicojoules + "; expected finite values >= 0");
                break;
            }
        }
        if (boardPriceUsd != null) {
            c.positive("power.boardPriceUsd", boardPriceUsd);
        }
        c.notBlank("power.source", source);
    }
}
