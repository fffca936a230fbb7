package io.flightllm.arch.isa;

import java.util.List;

/**
 * The instruction streams of one launch, one per core (index = core). The checker and the assembler work on this;
 * a {@code .flp} will hold one per length bucket.
 */
public record CoreStreams(List<List<Instruction>> cores) {
    public CoreStreams {
        cores = cores.stream().<List<Instruction>>map(List::copyOf).toList();
    }

    @SafeVarargs
    public static CoreStreams of(List<? extends Instruction>... streams) {
        return new CoreStreams(List.of(streams).stream().<List<Instruction>>map(List::copyOf).toList());
    }

    public int coreCount() {
        return cores.size();
    }

    public List<Instruction> core(int i) {
        return cores.get(i);
    }
}
