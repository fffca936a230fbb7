package io.flightllm.arch.isa.check;

import java.util.List;
import java.util.stream.Collectors;

/** The checker's verdict: empty when the program is proven free of deadlocks and out-of-bounds accesses. */
public record CheckReport(List<Violation> violations) {
    public CheckReport {
        violations = List.copyOf(violations);
    }

    public boolean ok() {
        return violations.isEmpty();
    }

    public List<Violation> of(Violation.Kind kind) {
        return violations.stream().filter(v -> v.kind() == kind).toList();
    }

    @Override
    public String toString() {
        return ok() ? "ok" : violations.stream().map(Violation::toString).collect(Collectors.joining("\n"));
    }
}
