package io.flightllm.arch.isa;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/** Random instructions: every field drawn uniformly from its domain's raw values. */
final class RandomInstructions {
    private RandomInstructions() {
    }

    /** The words of a random valid instruction of format {@code f}. */
    static int[] words(Format f, RandomGenerator r) {
        int[] w = new int[f.words()];
        for (Field field : f.fields()) {
            field.deposit(w, 0, field.domain().randomRaw(r));
        }
        return w;
    }

    static Instruction instruction(Format f, RandomGenerator r) {
        return Isa.decodeOne(words(f, r), 0, 0);
    }

    static List<Instruction> stream(int n, RandomGenerator r) {
        List<Instruction> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            s.add(instruction(Isa.formats().get(r.nextInt(Isa.formats().size())), r));
        }
        return s;
    }
}
