package io.flightllm.rtl;

import io.flightllm.arch.hw.HardwareConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every generated file of one configuration. */
public final class RtlDesign {
    private RtlDesign() {
    }

    /** The VPU, the dense chain, both MPUs and the dequantizer, each file once. */
    public static List<RtlFile> generate(HardwareConfig config) {
        Map<String, RtlFile> files = new LinkedHashMap<>();
        for (RtlUnit u : RtlUnit.values()) {
            for (RtlFile f : u.files(config)) {
                files.putIfAbsent(f.name(), f);
            }
        }
        return new ArrayList<>(files.values());
    }

    /** Writes files into {@code dir} (created if needed), each through a temporary file and a rename. */
    public static List<Path> write(List<RtlFile> files, Path dir) {
        List<Path> out = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            for (RtlFile f : files) {
                Path target = dir.resolve(f.name());
                Path tmp = dir.resolve(f.name() + ".tmp");
                Files.writeString(tmp, f.text(), StandardCharsets.UTF_8);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                out.add(target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write the generated Verilog: " + e.getMessage(), e);
        }
        return out;
    }
}
