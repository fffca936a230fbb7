package io.flightllm.runtime;

import io.flightllm.model.forward.ExactVectorMatVec;
import io.flightllm.model.forward.MatVec;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.model.forward.VectorMatVec;
import java.util.List;

/** The reference backend's matrix kernels by name ({@code --kernels}) and the {@code --threads} rule. */
public final class Kernels {
    public static final List<String> NAMES = List.of("golden", "exact", "exact-transposed", "vector");

    private Kernels() {
    }

    /** {@code --threads}: null means all cores; 1 to 1024 otherwise. */
    public static int threads(Integer threads) {
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (t < 1 || t > 1024) {
            throw new InputException("--threads is " + t + "; expected 1 to 1024");
        }
        return t;
    }

    /** golden, exact, exact-transposed or vector; {@code threads} (null = all cores) applies to all but golden. */
    public static MatVec matVec(String kernels, Integer threads) {
        int t = threads(threads);
        return switch (kernels) {
            case "golden" -> new ScalarMatVec();
            case "vector" -> new VectorMatVec(t);
            case "exact" -> new ExactVectorMatVec(t, true);
            case "exact-transposed" -> new ExactVectorMatVec(t, false);
            default -> throw new InputException("--kernels is '" + kernels
                    + "'; expected golden, exact, exact-transposed or vector");
        };
    }
}
