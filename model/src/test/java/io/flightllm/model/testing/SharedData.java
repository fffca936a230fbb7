package io.flightllm.model.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shared test data (../shared beside the repository root, or $FLIGHTLLM_SHARED). Where it is absent, tests
 * that need it are skipped with a message naming the path, except under CI=true, where they fail: CI always has it.
 */
public final class SharedData {
    private SharedData() {
    }

    /** The repository root: $FLIGHTLLM_REPO_ROOT (set by the build), else the nearest parent holding mvnw. */
    public static Path repoRoot() {
        String env = System.getenv("FLIGHTLLM_REPO_ROOT");
        if (env != null && !env.isBlank() && Files.isRegularFile(Path.of(env, "mvnw"))) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            if (Files.isRegularFile(p.resolve("mvnw")) && Files.isRegularFile(p.resolve("flightllm"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("cannot find the repository root above " + Path.of("").toAbsolutePath());
    }

    /** The shared folder, or a skip (a failure under CI=true) when it is missing. */
    public static Path root() {
        String env = System.getenv("FLIGHTLLM_SHARED");
        Path p = env != null && !env.isBlank() ? Path.of(env) : repoRoot().resolve("../shared").normalize();
        if (!Files.isDirectory(p.resolve("models"))) {
            String msg = "shared test data not found at " + p.toAbsolutePath()
                    + " (set FLIGHTLLM_SHARED or place shared/ beside the repository)";
            if ("true".equals(System.getenv("CI"))) {
                fail(msg);
            }
            abort(msg);
        }
        return p;
    }

    public static Path model(String name) {
        return file("models/" + name);
    }

    public static Path reference(String name) {
        return file("reference/llama2c/" + name);
    }

    public static Path file(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            String msg = "shared file missing: " + p.toAbsolutePath();
            if ("true".equals(System.getenv("CI"))) {
                fail(msg);
            }
            abort(msg);
        }
        return p;
    }
}
