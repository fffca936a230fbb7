package io.flightllm.rtl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds a Verilator simulator of a harness (the unit's Verilog, the bus wrapper and the C++ testbench) and runs it on
 * a file of hex input lines. A build is cached under {@code cacheRoot} by a hash of every source and the Verilator
 * version, so each configuration compiles once.
 */
final class Verilator {
    private static final Pattern SUMMARY = Pattern.compile("vectors (\\d+) outputs (\\d+) cycles (\\d+)");
    private final Path cacheRoot;
    private final Path verilator;

    Verilator(Path cacheRoot) {
        this.cacheRoot = cacheRoot;
        this.verilator = Tools.require(Tools.VERILATOR);
    }

    /** Output lines of one run and the clock edges it took. */
    record Run(List<String> outputs, long cycles) {
    }

    /** One simulator for all {@code units} (of one configuration); unit k is selected by passing k to {@link #run}. */
    Path build(List<Harness> units, String name) {
        String tb = testbench();
        List<RtlFile> sources = CosimTop.sources(units);
        int in = units.stream().mapToInt(h -> h.in().width()).max().orElseThrow();
        int out = units.stream().mapToInt(h -> h.out().width()).max().orElseThrow();
        int drain = units.stream().mapToInt(Harness::latency).max().orElseThrow() + 8;
        List<String> cflags = List.of("-DIN_W=" + in, "-DOUT_W=" + out, "-DDRAIN=" + drain);
        String version = version();
        String key = hash(version, String.join(" ", cflags), tb, sources);
        Path dir = cacheRoot.resolve(name + "-" + key);
        Path sim = dir.resolve("obj").resolve("sim");
        if (Files.isExecutable(sim)) {
            return sim;
        }
        try {
            Files.createDirectories(cacheRoot);
            Path tmp = Files.createTempDirectory(cacheRoot, "build-");
            List<String> cmd = new ArrayList<>(List.of(verilator.toString(), "--cc", "--exe", "--build", "-j", "2",
                    "--top-module", "cosim_top", "--Mdir", "obj", "-o", "sim", "-Wno-fatal", "--x-assign", "fast",
                    "--x-initial", "fast", "-MAKEFLAGS", "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0"));
            for (String f : cflags) {
                cmd.add("-CFLAGS");
                cmd.add(f);
            }
            for (RtlFile f : sources) {
                Files.writeString(tmp.resolve(f.name()), f.text(), StandardCharsets.UTF_8);
                cmd.add(f.name());
            }
            Files.writeString(tmp.resolve("testbench.cpp"), tb, StandardCharsets.UTF_8);
            cmd.add("testbench.cpp");
            try {
                ProcessRunner.run(cmd, tmp, tmp.resolve("build.log"));
            } catch (RuntimeException e) {
                Files.copy(tmp.resolve("build.log"), cacheRoot.resolve("failed-build.log"),
                        StandardCopyOption.REPLACE_EXISTING);
                deleteTree(tmp);
                throw e;
            }
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isExecutable(sim)) { // not a concurrent build of the same key
                    throw e;
                }
                deleteTree(tmp);
            }
            return sim;
        } catch (IOException e) {
            throw new UncheckedIOException(cacheRoot + ": cannot build the Verilator simulator: " + e.getMessage(), e);
        }
    }

    Run run(Path sim, int sel, List<String> inputs) {
        try {
            Files.createDirectories(cacheRoot);
            Path work = Files.createTempDirectory(cacheRoot, "run-");
            try {
                Path in = work.resolve("in.hex");
                Path out = work.resolve("out.hex");
                Files.write(in, inputs, StandardCharsets.US_ASCII);
                String log = ProcessRunner.run(List.of(sim.toString(), String.valueOf(sel), in.toString(), out.toString()), work,
                        work.resolve("run.log"));
                Matcher m = SUMMARY.matcher(log);
                if (!m.find()) {
                    throw new IllegalStateException(sim + ": no summary line in its output: "
                            + ProcessRunner.tail(log, 500));
                }
                return new Run(Files.readAllLines(out, StandardCharsets.US_ASCII), Long.parseLong(m.group(3)));
            } finally {
                deleteTree(work);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(cacheRoot + ": co-simulation files: " + e.getMessage(), e);
        }
    }

    private String version() {
        try {
            Files.createDirectories(cacheRoot);
            Path log = Files.createTempFile(cacheRoot, "version-", ".log");
            try {
                return ProcessRunner.run(List.of(verilator.toString(), "--version"), cacheRoot, log).strip();
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(cacheRoot + ": " + e.getMessage(), e);
        }
    }

    static String testbench() {
        try (InputStream in = Verilator.class.getResourceAsStream("testbench.cpp")) {
            if (in == null) {
                throw new IllegalStateException("resource testbench.cpp is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String hash(String version, String flags, String tb, List<RtlFile> sources) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(version.getBytes(StandardCharsets.UTF_8));
            md.update(flags.getBytes(StandardCharsets.UTF_8));
            md.update(tb.getBytes(StandardCharsets.UTF_8));
            for (RtlFile f : sources) {
                md.update(f.name().getBytes(StandardCharsets.UTF_8));
                md.update(f.text().getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
