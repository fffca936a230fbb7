package io.flightllm.rtl;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the external tools (verilator, yosys) on the PATH. */
public final class Tools {
    public static final String VERILATOR = "verilator";
    public static final String YOSYS = "yosys";

    private Tools() {
    }

    public static Optional<Path> find(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, tool);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The tool's path, or a {@link ToolMissingException} saying how to install it. */
    public static Path require(String tool) {
        return find(tool).orElseThrow(() -> new ToolMissingException(tool + " is not installed (not on the PATH); "
                + "on Debian/Ubuntu: apt-get install -y " + tool));
    }

    /** A required external tool is absent. */
    public static final class ToolMissingException extends RuntimeException {
        public ToolMissingException(String message) {
            super(message);
        }
    }
}
