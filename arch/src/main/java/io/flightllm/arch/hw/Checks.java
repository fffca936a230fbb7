package io.flightllm.arch.hw;

import java.util.List;

/** Collects validation errors so one message lists every bad field. */
record Checks(List<String> errors) {
    void error(String message) {
        errors.add(message);
    }

    void notBlank(String field, String value) {
        if (value == null || value.isBlank()) {
            errors.add(field + " is missing; expected a non-empty string");
        }
    }

    void atLeast(String field, long value, long min) {
        if (value < min) {
            errors.add(field + " = " + value + "; expected >= " + min);
        }
    }

    void atLeast(String field, long value, long min, String why) {
        if (value < min) {
            errors.add(field + " = " + value + " is too small for " + why + "; expected >= " + min);
        }
    }

    void positive(String field, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            errors.add(field + " = " + value + "; expected a finite value > 0");
        }
    }

    void fraction(String field, double value) {
        if (!(value > 0 && value <= 1)) {
            errors.add(field + " = " + value + "; expected a value in (0, 1]");
        }
    }

    void multipleOf(String field, int value, int unit) {
        if (value < unit || value % unit != 0) {
            errors.add(field + " = " + value + "; expected a positive multiple of " + unit);
        }
    }
}
