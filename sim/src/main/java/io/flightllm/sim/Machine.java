package io.flightllm.sim;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.isa.Asm;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.MatrixOp;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.Mm;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.isa.Param;
import io.flightllm.arch.isa.St;
import io.flightllm.arch.isa.Sys;
import io.flightllm.arch.isa.check.Access;
import io.flightllm.arch.isa.check.Footprint;
import io.flightllm.arch.isa.check.Limits;

import java.util.List;

/**
 * The simulated device: HBM channels and DDR (sparse, zero until written), and per core the on-chip buffers (GLOBAL's
 * upper half shared by all cores), the LD/ST unit, the MPE and the SFU. {@link #run} executes one launch: one
 * instruction stream per core under the token protocol, each instruction bounds-checked from its footprint before it
 * runs. Errors are {@link SimException}s naming the core, the queue, the instruction's index and text.
 */
public final class Machine {
    private final HardwareConfig hw;
    private final SimOptions options;
    private final OffChipMemory[] hbm;
    private final OffChipMemory ddr;
    private final CoreState[] cores;
    private final LoadStoreUnit[] ldst;
    private final MatrixUnit[] mpe;
    private final SfuUnit[] sfu;
    private final Counters counters;

    public Machine(HardwareConfig hw, SimOptions options) {
        this.hw = hw;
        this.options = options;
        hbm = new OffChipMemory[hw.hbm().channels()];
        for (int c = 0; c < hbm.length; c++) {
            hbm[c] = new OffChipMemory("HBM channel " + c, hw.hbm().channelBytes());
        }
        ddr = new OffChipMemory("DDR", options.ddrBytes());
        counters = new Counters(hw.cores(), hbm.length);
        byte[] shared = new byte[Math.toIntExact(hw.buffers().globalBytes() / 2)];
        cores = new CoreState[hw.cores()];
        ldst = new LoadStoreUnit[hw.cores()];
        mpe = new MatrixUnit[hw.cores()];
        sfu = new SfuUnit[hw.cores()];
        for (int c = 0; c < cores.length; c++) {
            cores[c] = new CoreState(c, hw.buffers(), shared);
            ldst[c] = new LoadStoreUnit(this, cores[c], counters.cores[c]);
            mpe[c] = new MatrixUnit(cores[c], hw.mpe(), counters.cores[c]);
            sfu[c] = new SfuUnit(cores[c], counters.cores[c]);
        }
    }

    public HardwareConfig hw() {
        return hw;
    }

    public SimOptions options() {
        return options;
    }

    public OffChipMemory hbm(int channel) {
        return hbm[channel];
    }

    public OffChipMemory ddr() {
        return ddr;
    }

    public Counters counters() {
        return counters;
    }

    /** Bytes [at, at + len) of an on-chip buffer of {@code core} (a copy; GLOBAL's upper half is the shared window). */
    public byte[] readBuffer(int core, Buffer b, long at, int len) {
        Span s = cores[core].span(b, at, len);
        byte[] out = new byte[len];
        System.arraycopy(s.array(), s.offset(), out, 0, len);
        return out;
    }

    /** Writes {@code bytes} at byte {@code at} of an on-chip buffer of {@code core}. */
    public void writeBuffer(int core, Buffer b, long at, byte[] bytes) {
        Span s = cores[core].span(b, at, bytes.length);
        System.arraycopy(bytes, 0, s.array(), s.offset(), bytes.length);
    }

    /** The limits the static checker would use for this device (same sizes, depth and DDR window). */
    public Limits limits(java.util.Map<Param, Limits.Range> params) {
        java.util.Map<Buffer, Long> b = new java.util.EnumMap<>(Buffer.class);
        for (Buffer buf : Buffer.values()) {
            b.put(buf, CoreState.bytes(hw.buffers(), buf));
        }
        return new Limits(b, hbm.length, hw.hbm().channelBytes(), ddr.capacity(), params, hw.cores(),
                options.tokenDepth(), 0);
    }

    /** Executes one launch: {@code streams.get(c)} on core c, with the given parameter block. */
    public void run(List<? extends List<Instruction>> streams, Params params) {
        if (streams.size() > cores.length) {
            throw new SimException(SimException.Kind.LAUNCH, -1, -1, "the launch has " + streams.size()
                    + " streams, " + hw.name() + " has " + cores.length + " cores");
        }
        @SuppressWarnings("unchecked")
        List<List<Instruction>> s = (List<List<Instruction>>) streams;
        new Scheduler(s, options.tokenDepth(), options.schedule(), (c, i, inst) -> execute(c, i, inst, params)).run();
        counters.launches++;
    }

    private void execute(int c, int index, Instruction inst, Params p) {
        try {
            checkBounds(c, inst, p);
            switch (inst) {
                case Ld x -> ldst[c].load(x, p);
                case St x -> ldst[c].store(x, p);
                case Mm x -> mpe[c].execute(MatrixOp.of(x));
                case Mv x -> mpe[c].execute(MatrixOp.of(x));
                case Misc x -> sfu[c].execute(x, p);
                case Sys x -> counters.cores[c].barriers++;
            }
            counters.cores[c].instructions[inst.queue().ordinal()]++;
        } catch (SimException e) {
            throw new SimException(e.kind(), c, index, "core " + c + " " + inst.queue() + " #" + index + " "
                    + Asm.format(inst) + ": " + e.detail());
        } catch (IndexOutOfBoundsException e) {
            throw new SimException(SimException.Kind.BOUNDS, c, index, "core " + c + " " + inst.queue() + " #"
                    + index + " " + Asm.format(inst) + ": " + e.getMessage());
        }
    }

    /** Every byte range the instruction touches, at this launch's parameter values, inside its memory. */
    private void checkBounds(int c, Instruction inst, Params p) {
        for (Access a : Footprint.of(inst, q -> new Limits.Range(p.value(q), p.value(q)))) {
            if (a.bytes() == 0) {
                continue;
            }
            String problem = switch (a.region()) {
                case Access.Region.OnChip oc -> a.hi() > cores[c].size(oc.buffer())
                        ? "beyond the buffer's " + cores[c].size(oc.buffer()) + " bytes" : null;
                case Access.Region.OffChip off when off.mem() == Mem.HBM && off.channel() >= hbm.length ->
                        "channel " + off.channel() + " does not exist (the HBM has " + hbm.length + " channels)";
                case Access.Region.OffChip off when off.mem() == Mem.HBM -> a.hi() > hbm[off.channel()].capacity()
                        ? "beyond the channel's " + hbm[off.channel()].capacity() + " bytes" : null;
                case Access.Region.OffChip off -> a.hi() > ddr.capacity()
                        ? "beyond the DDR's " + ddr.capacity() + " bytes" : null;
            };
            if (problem != null) {
                throw new SimException(SimException.Kind.BOUNDS, c, -1, a + " " + problem + " (pos " + p.pos()
                        + ", ctx_len " + p.ctxLen() + ", n_valid_rows " + p.nValidRows() + ")");
            }
        }
    }
}
