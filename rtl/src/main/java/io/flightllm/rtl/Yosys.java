package io.flightllm.rtl;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.mpe.ChainPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Synthesizes a unit with Yosys for AMD UltraScale+ ({@code synth_xilinx -family xcup}, whose multipliers map to
 * DSP48E2) and reads the cell counts. Hierarchy is kept, so an MPU synthesizes its VPU once and counts it per
 * instance.
 */
public final class Yosys {
    /** The command that synthesizes {@code top}; recorded in reports and docs/rtl.md. */
    public static final String SYNTH = "synth_xilinx -family xcup -noiopad -noclkbuf -top ";
    private static final Pattern CELL = Pattern.compile("^\\s+(\\S+)\\s+(\\d+)\\s*$");

    private final Path yosys;
    private final Path work;

    public Yosys(Path work) {
        this.yosys = Tools.require(Tools.YOSYS);
        this.work = work;
    }

    /**
     * Counts of one synthesized unit: DSP48E2, LUTs used as logic (LUT1..LUT6), LUTs used as shift registers
     * (SRL16E/SRLC32E), flip-flops (FDRE/FDSE/FDCE/FDPE), carry chains and every cell type as Yosys names it.
     */
    public record Report(String unit, String module, int dsp48e2, int lutLogic, int lutSrl, int ff, int carry,
                         int macsPerCycleMv, int macsPerCycleMm, Map<String, Integer> cells, String command) {
        public int lutTotal() {
            return lutLogic + lutSrl;
        }
    }

    public Report synth(HardwareConfig config, RtlUnit unit) {
        return synth(config, unit, true);
    }

    /**
     * With {@code mapLuts} false the flow stops before LUT mapping ({@code -run :map_luts}): DSP48E2 cells are final
     * by then, LUT counts are not. Tests use it to check the DSP mapping quickly.
     */
    Report synth(HardwareConfig config, RtlUnit unit, boolean mapLuts) {
        String top = unit.module(config);
        try {
            Files.createDirectories(work);
            Path dir = Files.createTempDirectory(work, "synth-" + unit.id() + "-");
            try {
                StringBuilder script = new StringBuilder();
                for (RtlFile f : unit.files(config)) {
                    Files.writeString(dir.resolve(f.name()), f.text(), StandardCharsets.UTF_8);
                    script.append("read_verilog ").append(f.name()).append('\n');
                }
                script.append(SYNTH).append(top).append(mapLuts ? "" : " -run :map_luts").append('\n');
                script.append("tee -o stat.txt stat -top ").append(top).append('\n');
                Files.writeString(dir.resolve("synth.ys"), script.toString(), StandardCharsets.UTF_8);
                ProcessRunner.run(List.of(yosys.toString(), "-q", "-s", "synth.ys"), dir, dir.resolve("yosys.log"));
                Map<String, Integer> cells = cells(Files.readString(dir.resolve("stat.txt"), StandardCharsets.UTF_8));
                ChainPlan plan = unit.plan(config);
                int copies = unit == RtlUnit.MPU || unit == RtlUnit.DENSE_MPU ? config.mpe().mvRows()
                        : unit == RtlUnit.DEQUANT ? 0 : 1;
                return new Report(unit.id(), top, count(cells, "DSP48E2"),
                        count(cells, "LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6"), count(cells, "SRL16E", "SRLC32E"),
                        count(cells, "FDRE", "FDSE", "FDCE", "FDPE"), count(cells, "CARRY4", "CARRY8"),
                        copies * plan.macsPerCycle(false), copies * plan.macsPerCycle(true), cells,
                        "yosys: " + SYNTH + top);
            } finally {
                Verilator.deleteTree(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(work + ": cannot run the synthesis: " + e.getMessage(), e);
        }
    }

    /**
     * Cell counts of the last statistics block: the "design hierarchy" totals when the design has submodules, else
     * the top module's own list.
     */
    static Map<String, Integer> cells(String stat) {
        int at = stat.lastIndexOf("=== design hierarchy ===");
        String block = at >= 0 ? stat.substring(at) : stat.substring(Math.max(0, stat.lastIndexOf("===")));
        int cellsAt = block.indexOf("Number of cells:");
        if (cellsAt < 0) {
            throw new IllegalStateException("no cell counts in the Yosys statistics: " + ProcessRunner.tail(stat, 400));
        }
        Map<String, Integer> cells = new LinkedHashMap<>();
        List<String> lines = new ArrayList<>(block.substring(cellsAt).lines().skip(1).toList());
        for (String line : lines) {
            Matcher m = CELL.matcher(line);
            if (!m.matches()) {
                break;
            }
            cells.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return cells;
    }

    private static int count(Map<String, Integer> cells, String... types) {
        int n = 0;
        for (String t : types) {
            n += cells.getOrDefault(t, 0);
        }
        return n;
    }
}
