package io.flightllm.rtl;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.nio.file.Path;

/**
 * Tests that need verilator or yosys: skipped with a message naming the missing tool on a developer machine, failed
 * under CI=true, where .ci/run installs both (the project's rule for shared test data).
 */
final class RequiredTool {
    private RequiredTool() {
    }

    static Path require(String tool) {
        return Tools.find(tool).orElseGet(() -> {
            String msg = tool + " is not installed (apt-get install -y " + tool + "); .ci/run installs it";
            if ("true".equals(System.getenv("CI"))) {
                fail(msg);
            }
            abort(msg);
            return null;
        });
    }

    /** Verilator builds are cached here across test runs (per configuration and source hash). */
    static Path cache() {
        return Path.of("target", "rtl-cache").toAbsolutePath();
    }
}
