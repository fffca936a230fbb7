package io.flightllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigException;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.rtl.CoSimulation;
import io.flightllm.rtl.RtlDesign;
import io.flightllm.rtl.RtlUnit;
import io.flightllm.rtl.Tools;
import io.flightllm.rtl.Yosys;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code flightllm rtl generate|verify|synth}: the MPE's Verilog, its co-simulation and its synthesis (docs/rtl.md). */
@Command(name = "rtl", mixinStandardHelpOptions = true,
        description = "Generate the MPE's Verilog, co-simulate it against the Java model (Verilator), synthesize it "
                + "(Yosys, UltraScale+).",
        subcommands = {RtlCommand.Generate.class, RtlCommand.Verify.class, RtlCommand.Synth.class})
final class RtlCommand {
    static final String TARGET_HELP = "hardware config: a preset (u280, vhk158) or a JSON/YAML file "
            + "(default: ${DEFAULT-VALUE})";

    static HardwareConfig target(String target) {
        try {
            return HardwareConfigs.resolve(target);
        } catch (HardwareConfigException e) {
            throw new Main.UserInputException("--target: " + e.getMessage());
        }
    }

    static List<RtlUnit> units(List<String> names, List<RtlUnit> defaults) {
        if (names == null || names.isEmpty()) {
            return defaults;
        }
        List<RtlUnit> out = new ArrayList<>();
        for (String n : names) {
            RtlUnit u = null;
            for (RtlUnit x : RtlUnit.values()) {
                if (x.id().equals(n)) {
                    u = x;
                }
            }
            if (u == null) {
                throw new Main.UserInputException("--unit is '" + n + "'; expected one of "
                        + Arrays.stream(RtlUnit.values()).map(RtlUnit::id).toList());
            }
            if (!out.contains(u)) {
                out.add(u);
            }
        }
        return out;
    }

    /** Options of verify and synth. */
    static final class Common {
        @Option(names = "--target", paramLabel = "T", defaultValue = HardwareConfigs.DEFAULT, description = TARGET_HELP)
        String target;

        @Option(names = "--unit", paramLabel = "U", split = ",",
                description = "units, comma-separated: vpu, dense-chain, mpu, dense-mpu, dequant (default: verify "
                        + "vpu,dense-chain,mpu,dequant; synth all)")
        List<String> units;

        @Option(names = "--work", paramLabel = "DIR", defaultValue = "target/rtl",
                description = "work directory; Verilator builds are cached here (default: ${DEFAULT-VALUE})")
        Path work;

        @Option(names = "--json", description = "print one JSON object")
        boolean json;
    }

    static <T> T withTools(Supplier<T> work) {
        try {
            return work.get();
        } catch (Tools.ToolMissingException | HardwareConfigException e) {
            throw new Main.UserInputException(e.getMessage());
        }
    }

    static String json(Object o) throws Exception {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o);
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Write the Verilog of the VPU, the dense chain, both MPUs and the dequantizer.")
    static final class Generate implements Callable<Integer> {
        private final Console console;

        Generate(Console console) {
            this.console = console;
        }

        @Option(names = "--target", paramLabel = "T", defaultValue = HardwareConfigs.DEFAULT, description = TARGET_HELP)
        String target;

        @Option(names = "--out", paramLabel = "DIR", defaultValue = "rtl-out",
                description = "output directory (default: rtl-out)")
        Path out;

        @Override
        public Integer call() {
            HardwareConfig config = target(target);
            List<Path> files = withTools(() -> RtlDesign.write(RtlDesign.generate(config), out));
            PrintStream ps = new PrintStream(console.out(), true, StandardCharsets.UTF_8);
            for (Path f : files) {
                ps.println(f);
            }
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Co-simulate the generated RTL in Verilator against the Java model: MV and MM mode at every "
                    + "supported N, random vectors plus edge cases; the dequantizer at every weight width. Exit "
                    + "status 1 on any mismatch.")
    static final class Verify implements Callable<Integer> {
        private final Console console;

        Verify(Console console) {
            this.console = console;
        }

        @Mixin
        Common common;

        @Option(names = "--vectors", paramLabel = "N", defaultValue = "10000",
                description = "random vectors per mode, besides the edge cases (default: 10000); an MPU vector "
                        + "drives all its VPUs, so the MPU gets N / mvRows of them")
        int vectors;

        @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "random seed (default: 1)")
        long seed;

        @Override
        public Integer call() throws Exception {
            if (vectors < 1 || vectors > 10_000_000) {
                throw new Main.UserInputException("--vectors is " + vectors + "; expected 1 to 10000000");
            }
            HardwareConfig config = target(common.target);
            List<RtlUnit> us = units(common.units, List.of(RtlUnit.VPU, RtlUnit.DENSE_CHAIN, RtlUnit.MPU,
                    RtlUnit.DEQUANT));
            CoSimulation.Report r = withTools(() -> new CoSimulation(config, common.work.toAbsolutePath(), us)
                    .verify(vectors, seed, line -> console.err().println("rtl verify: " + line)));
            PrintStream ps = new PrintStream(console.out(), true, StandardCharsets.UTF_8);
            if (common.json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("target", r.target());
                o.put("modes", r.modes());
                o.put("dequant", r.dequant());
                o.put("passed", r.passed());
                ps.println(json(o));
            } else {
                ps.printf(Locale.ROOT, "%-12s %-4s %3s %9s %9s %11s %10s %11s%n", "unit", "mode", "N", "vectors",
                        "rows", "mismatches", "cycles", "MACs/cycle");
                for (CoSimulation.ModeResult m : r.modes()) {
                    ps.printf(Locale.ROOT, "%-12s %-4s %3d %9d %9d %11d %10d %11d%n", m.unit(), m.mode(), m.n(),
                            m.vectors(), m.rows(), m.mismatches(), m.cycles(), m.macsPerCycle());
                }
                for (CoSimulation.DequantResult d : r.dequant()) {
                    ps.printf(Locale.ROOT, "%-12s %-4s %3s %9d %9s %11d%n", "dequant", d.bits() + "b", "-",
                            d.vectors(), "-", d.mismatches());
                }
            }
            if (!r.passed()) {
                for (CoSimulation.ModeResult m : r.modes()) {
                    for (String s : m.firstMismatches()) {
                        console.err().println("rtl verify: " + m.unit() + " " + m.mode() + " N=" + m.n() + ": " + s);
                    }
                }
                for (CoSimulation.DequantResult d : r.dequant()) {
                    for (String s : d.firstMismatches()) {
                        console.err().println("rtl verify: dequant " + d.bits() + "-bit: " + s);
                    }
                }
                console.err().println("rtl verify: error: the RTL differs from the Java model");
                return Main.EXIT_INPUT;
            }
            return 0;
        }
    }

    @Command(name = "synth", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Synthesize with Yosys (" + Yosys.SYNTH + "<top>) and report DSP48E2, LUT and FF counts, "
                    + "MACs per cycle in MV and MM mode, and the sparse logic's overhead over the dense chain.")
    static final class Synth implements Callable<Integer> {
        private final Console console;

        Synth(Console console) {
            this.console = console;
        }

        @Mixin
        Common common;

        @Override
        public Integer call() throws Exception {
            HardwareConfig config = target(common.target);
            List<RtlUnit> us = units(common.units, List.of(RtlUnit.values()));
            List<Yosys.Report> reports = withTools(() -> {
                Yosys y = new Yosys(common.work.toAbsolutePath());
                List<Yosys.Report> rs = new ArrayList<>();
                for (RtlUnit u : us) {
                    console.err().println("rtl synth: " + u.id() + " (" + u.module(config) + ")");
                    rs.add(y.synth(config, u));
                }
                return rs;
            });
            List<Map<String, Object>> overhead = new ArrayList<>();
            addOverhead(overhead, reports, "vpu", "dense-chain");
            addOverhead(overhead, reports, "mpu", "dense-mpu");
            PrintStream ps = new PrintStream(console.out(), true, StandardCharsets.UTF_8);
            if (common.json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("target", config.name());
                o.put("units", reports);
                o.put("overhead", overhead);
                ps.println(json(o));
                return 0;
            }
            ps.printf(Locale.ROOT, "%-12s %8s %9s %8s %9s %8s %7s %7s %7s%n", "unit", "DSP48E2", "LUT logic", "LUT SRL",
                    "LUT total", "FF", "CARRY", "MAC MV", "MAC MM");
            for (Yosys.Report r : reports) {
                ps.printf(Locale.ROOT, "%-12s %8d %9d %8d %9d %8d %7d %7d %7d%n", r.unit(), r.dsp48e2(), r.lutLogic(),
                        r.lutSrl(), r.lutTotal(), r.ff(), r.carry(), r.macsPerCycleMv(), r.macsPerCycleMm());
            }
            for (Map<String, Object> o : overhead) {
                ps.printf(Locale.ROOT, "sparse logic of %s over %s: +%d LUT (x%.2f), +%d FF (x%.2f)%n",
                        o.get("sparse"), o.get("dense"), o.get("extraLut"), o.get("lutRatio"), o.get("extraFf"),
                        o.get("ffRatio"));
            }
            ps.println("command: yosys, " + Yosys.SYNTH + "<top> (Yosys maps the multipliers only: the 48-bit "
                    + "post-adders and P registers are counted in LUT/FF, see docs/rtl.md)");
            return 0;
        }

        private static void addOverhead(List<Map<String, Object>> out, List<Yosys.Report> rs, String sparse,
                                        String dense) {
            Yosys.Report s = rs.stream().filter(r -> r.unit().equals(sparse)).findFirst().orElse(null);
            Yosys.Report d = rs.stream().filter(r -> r.unit().equals(dense)).findFirst().orElse(null);
            if (s == null || d == null) {
                return;
            }
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("sparse", sparse);
            o.put("dense", dense);
            o.put("extraLut", s.lutTotal() - d.lutTotal());
            o.put("extraFf", s.ff() - d.ff());
            o.put("lutRatio", (double) s.lutTotal() / Math.max(1, d.lutTotal()));
            o.put("ffRatio", (double) s.ff() / Math.max(1, d.ff()));
            out.add(o);
        }
    }
}
