package io.flightllm.rtl.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import io.flightllm.rtl.Tools;
import java.nio.file.Path;

/**
 * Tests that need verilator or yosys: skipped with a message naming the missing tool on a developer machine, failed
 * under CI=true, where .ci/run installs both (the project's rule for shared test data).
 */
public final class RequiredTool {
    private RequiredTool() {
    }

    public static Path require(String tool) {
        return Tools.find(tool).orElseGet(() -> {
            String msg = tool + " is not installed (apt-get install -y " + tool + "); .ci/run installs it";
            if ("true".equals(System.getenv("CI"))) {
                fail(msg);
            }
            abort(msg);
            return null;
        });
    }

    /**
     * Verilator builds are cached here across test runs (per configuration and source hash): the repository's
     * target/rtl-cache, shared with the cli module's tests, or this module's target/ when run alone.
     */
    public static Path cache() {
        String root = System.getenv("FLIGHTLLM_REPO_ROOT");
        Path base = root != null && !root.isBlank() ? Path.of(root, "target") : Path.of("target");
        return base.resolve("rtl-cache").toAbsolutePath();
    }
}
