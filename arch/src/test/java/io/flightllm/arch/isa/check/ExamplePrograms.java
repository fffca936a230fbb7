package io.flightllm.arch.isa.check;

import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.CoreStreams;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.isa.Param;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.isa.QueueSet;
import io.flightllm.arch.isa.St;
import io.flightllm.arch.isa.Sys;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Hand-written programs in the shape the compiler will emit: a 4-bit linear layer (64 rows, K = 1024) in K tiles
 * with double-buffered weights (LD and MV hand the two B halves back and forth with tokens), its INT8 output
 * quantized by MISC and stored to a KV-cache row at {@code pos} by ST, then a barrier across cores.
 */
final class ExamplePrograms {
    /** Test limits: round numbers of the order of BRIEF.md's buffers; not a hardware preset. */
    static Limits limits(int cores) {
        Map<Buffer, Long> b = Map.of(Buffer.A, 8L << 20, Buffer.B, 128L << 10, Buffer.GLOBAL, 1L << 20,
                Buffer.META, 64L << 10, Buffer.FSB, 4L << 10, Buffer.BIAS, 256L << 10, Buffer.SCALE, 64L << 10);
        return new Limits(b, 32, 1L << 30, 1L << 30, Limits.ranges(2048, 128), cores, 8, 0);
    }

    static final int TILES = 4;
    static final int ROWS = 64;
    static final int TILE_BLOCKS = 16;
    static final int GROUP = 8;

    static List<Instruction> linearCore(int core, int tiles) {
        int channel = core * 8;
        int groups = tiles * TILE_BLOCKS / GROUP;
        List<Instruction> s = new ArrayList<>();
        s.add(Ld.builder().target(Buffer.A).channel(channel).addr(0x1000).len(tiles * TILE_BLOCKS * 16).build());
        s.add(Ld.builder().target(Buffer.SCALE).fp16(true).channel(channel).addr(0x8000).len(ROWS * groups * 2)
                .build());
        s.add(Ld.builder().target(Buffer.SCALE).buf(1000).channel(channel).addr(0x2000).len(4).build());
        int tileLines = ROWS * TILE_BLOCKS;
        for (int i = 0; i < tiles; i++) {
            Ld.Builder ld = Ld.builder().target(Buffer.B).wbits(4).buf(i % 2 * tileLines).channel(channel)
                    .addr(0x100000 + (long) i * tileLines * 8).len(tileLines * 8).releaseTo(Queue.MV);
            if (i >= 2) {
                ld.waitOn(Queue.MV);
            }
            s.add(ld.build());
        }
        for (int i = 0; i < tiles; i++) {
            boolean first = i == 0;
            boolean last = i == tiles - 1;
            QueueSet rel = i + 2 < tiles ? QueueSet.of(Queue.LD) : last ? QueueSet.of(Queue.MISC) : QueueSet.NONE;
            s.add(Mv.builder().waitOn(Queue.LD).releases(rel).k(TILE_BLOCKS).k0(i * TILE_BLOCKS).rows(ROWS)
                    .a(i * TILE_BLOCKS).b(i % 2 * tileLines).ws(true).wscale(i * TILE_BLOCKS / GROUP).wstride(groups)
                    .group(GROUP).ascale(1000).first(first).last(last).psum(first && last ? 0 : 0x100)
                    .out(last ? 0x40 : 0).build());
        }
        s.add(Misc.builder().waitOn(Queue.MV).releaseTo(Queue.ST).op(MiscOp.QUANT).n(ROWS).a(0x40).dst(0x2000)
                .sdst(1001).build());
        s.add(St.builder().waitOn(Queue.MISC).src(Buffer.A).buf(0x2000).len(ROWS).channel(channel).addr(0x200000)
                .param(Param.POS).pstride(ROWS).build());
        s.add(Sys.builder().build());
        return s;
    }

    static CoreStreams linear(int cores) {
        List<List<Instruction>> c = new ArrayList<>();
        for (int i = 0; i < cores; i++) {
            c.add(linearCore(i, TILES));
        }
        return new CoreStreams(c);
    }

    private ExamplePrograms() {
    }
}
