package io.flightllm.compiler.plan;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.compiler.shape.LinearShape;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.LinearKind;

import java.util.ArrayList;
import java.util.List;

/**
 * The model-parallel split of one core: the KV heads it owns (with their query heads, so attention never crosses
 * cores), and for every other matrix a contiguous range of 16-row blocks. Every core computes its rows from the full
 * input vector, which all cores read from the shared global buffer; a SYS barrier follows each split operator.
 *
 * @param kvHeads   KV heads of this core (possibly empty when there are more cores than KV heads)
 * @param qHeads    the query heads that read those KV heads
 */
public record CorePlan(int core, Range kvHeads, Range qHeads, Range oRowBlocks, Range ffnRowBlocks,
                       Range w2RowBlocks, Range classifierRowBlocks) {

    public static List<CorePlan> of(ModelShape m, HardwareConfig hw) {
        int cores = hw.cores();
        int kvMul = m.config().kvMul();
        LinearShape o = m.linear(0, LinearKind.O);
        LinearShape w1 = m.linear(0, LinearKind.W1);
        LinearShape w2 = m.linear(0, LinearKind.W2);
        List<CorePlan> plans = new ArrayList<>();
        for (int c = 0; c < cores; c++) {
            Range kv = Range.split(m.config().nKvHeads(), cores, c);
            plans.add(new CorePlan(c, kv, new Range(kv.start() * kvMul, kv.end() * kvMul),
                    Range.split(o.rowBlocks(), cores, c), Range.split(w1.rowBlocks(), cores, c),
                    Range.split(w2.rowBlocks(), cores, c), Range.split(m.classifier().rowBlocks(), cores, c)));
        }
        return plans;
    }

    /** The 16-row blocks of {@code kind} this core computes. */
    public Range rowBlocks(LinearKind kind, int paddedHeadSize) {
        int hb = paddedHeadSize / 16;
        return switch (kind) {
            case Q -> new Range(qHeads.start() * hb, qHeads.end() * hb);
            case K, V -> new Range(kvHeads.start() * hb, kvHeads.end() * hb);
            case O -> oRowBlocks;
            case W1, W3 -> ffnRowBlocks;
            case W2 -> w2RowBlocks;
            case CLASSIFIER -> classifierRowBlocks;
        };
    }
}
