package io.flightllm.arch.isa.check;

import io.flightllm.arch.isa.Asm;
import io.flightllm.arch.isa.CoreStreams;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.Param;
import io.flightllm.arch.isa.St;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The static program checker: field consistency ({@link Rules}), bounds of every access over all loop iterations
 * and parameter values ({@link Footprint}), and the token protocol ({@link TokenChecker}: no deadlock, no
 * underflow, no overflow, barriers that match, no token left over). Field domains are already guaranteed by the
 * decoder and the builders.
 */
public final class ProgramChecker {
    private ProgramChecker() {
    }

    public static CheckReport check(CoreStreams program, Limits limits) {
        List<Violation> v = new ArrayList<>();
        if (program.coreCount() > limits.cores()) {
            v.add(new Violation(Violation.Kind.CORES, -1, -1, "the program has " + program.coreCount()
                    + " streams, the device " + limits.cores() + " cores"));
        }
        for (int c = 0; c < program.coreCount(); c++) {
            List<Instruction> s = program.core(c);
            for (int i = 0; i < s.size(); i++) {
                Instruction inst = s.get(i);
                for (String r : Rules.check(inst)) {
                    v.add(new Violation(Violation.Kind.RULE, c, i, where(c, i, inst) + ": " + r));
                }
                bounds(c, i, inst, limits, v);
            }
        }
        v.addAll(TokenChecker.check(program, limits.tokenDepth(), limits.dispatchDepth()));
        return new CheckReport(v);
    }

    private static String where(int c, int i, Instruction inst) {
        return "core " + c + " #" + i + " " + Asm.format(inst);
    }

    private static void bounds(int c, int i, Instruction inst, Limits limits, List<Violation> v) {
        Param param = switch (inst) {
            case Ld ld -> ld.param();
            case St st -> st.param();
            default -> Param.NONE;
        };
        for (Access a : Footprint.of(inst, limits::range)) {
            if (a.bytes() == 0) {
                continue;
            }
            String problem = switch (a.region()) {
                case Access.Region.OnChip oc -> a.hi() > limits.bytes(oc.buffer())
                        ? "beyond the buffer's " + limits.bytes(oc.buffer()) + " bytes" : null;
                case Access.Region.OffChip off when off.mem() == Mem.HBM && off.channel() >= limits.hbmChannels() ->
                        "channel " + off.channel() + " does not exist (the HBM has " + limits.hbmChannels()
                                + " channels)";
                case Access.Region.OffChip off when off.mem() == Mem.HBM -> a.hi() > limits.hbmChannelBytes()
                        ? "beyond the channel's " + limits.hbmChannelBytes() + " bytes" : null;
                case Access.Region.OffChip off -> a.hi() > limits.ddrBytes()
                        ? "beyond the DDR's " + limits.ddrBytes() + " bytes" : null;
            };
            if (problem != null) {
                Limits.Range r = limits.range(param);
                String over = param == Param.NONE ? "" : String.format(Locale.ROOT, " for %s in [%d, %d]",
                        param.name().toLowerCase(Locale.ROOT), r.min(), r.max());
                v.add(new Violation(Violation.Kind.BOUNDS, c, i, where(c, i, inst) + ": " + a + " " + problem
                        + over));
            }
        }
    }
}
