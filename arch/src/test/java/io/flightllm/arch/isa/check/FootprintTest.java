package io.flightllm.arch.isa.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.isa.Param;
import io.flightllm.arch.isa.St;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Footprints computed by hand from docs/isa.md's semantics. */
class FootprintTest {
    private static final Limits.Range POS = new Limits.Range(0, 10);

    private static List<String> of(Instruction i) {
        return Footprint.of(i, p -> p == Param.NONE ? new Limits.Range(0, 0) : POS).stream()
                .map(a -> a.region() + " " + a.lo() + ".." + a.hi() + (a.write() ? " w " : " r ") + a.operand())
                .toList();
    }

    private static Access.Region.OnChip on(Buffer b) {
        return new Access.Region.OnChip(b);
    }

    @Test
    void loads() {
        // 4-bit dequantizer: 64 bytes -> 128 INT8 per chunk, 8 chunks; source spans 3 x 100 + 1 x 1000 + 64.
        assertThat(of(Ld.builder().target(Buffer.B).wbits(4).len(64).n0(4).n1(2).s0(100).s1(1000).buf(2).channel(5)
                .addr(0x40).build())).containsExactly("B 32..1056 w buf", "HBM channel 5 64..1428 r addr");
        // 3-bit: 6 bytes hold 16 values.
        assertThat(of(Ld.builder().target(Buffer.B).wbits(3).len(6).build())).first().isEqualTo("B 0..16 w buf");
        // FP16 widening into SCALE (4-byte entries): 10 bytes -> 20 bytes at entry 3.
        assertThat(of(Ld.builder().target(Buffer.SCALE).fp16(true).len(10).buf(3).mem(Mem.DDR).build()))
                .containsExactly("SCALE 12..32 w buf", "DDR 0..10 r addr");
        // Zero fill reads nothing.
        assertThat(of(Ld.builder().target(Buffer.GLOBAL).zero(true).len(32).n2(3).build()))
                .containsExactly("GLOBAL 0..96 w buf");
        // Parameterized: addr + pos x pstride over pos in [0, 10].
        assertThat(of(Ld.builder().target(Buffer.GLOBAL).param(Param.POS).pstride(512).len(512).addr(1000).build()))
                .containsExactly("GLOBAL 0..512 w buf", "HBM channel 0 1000..6632 r addr");
    }

    @Test
    void stores() {
        assertThat(of(St.builder().src(Buffer.SCALE).fp16(true).len(8).n(3).buf(5).stride(100).param(Param.POS)
                .pstride(2).build())).containsExactly("SCALE 20..68 r buf", "HBM channel 0 0..228 w addr");
    }

    @Test
    void matrixTiles() {
        Mv mv = Mv.builder().k(4).rows(32).a(1).b(2).out(3).first(false).last(true).psum(10).ws(true).wscale(5)
                .wstride(3).group(2).k0(3).ascale(7).bias(true).biasAddr(1).build();
        assertThat(of(mv)).containsExactly("A 16..80 r a", "B 32..2080 r b", "SCALE 20..404 r wscale",
                "SCALE 28..32 r ascale", "GLOBAL 160..2720 r psum", "BIAS 16..144 r bias_addr",
                "GLOBAL 48..176 w out");
        assertThat(Footprint.of(mv, p -> POS).get(0).region()).isEqualTo(on(Buffer.A));
        // A middle tile: partials in and out, no result.
        Mv mid = Mv.builder().k(2).rows(16).sparse(true).bLines(7).idx(1).idxLines(2).fsb(3).psum(1).build();
        assertThat(of(mid)).containsExactly("A 0..32 r a", "B 0..112 r b", "META 16..48 r idx", "FSB 48..50 r fsb",
                "SCALE 0..4 r ascale", "GLOBAL 16..1296 r psum", "GLOBAL 16..1296 w psum");
    }

    @Test
    void miscRows() {
        assertThat(of(Misc.builder().op(MiscOp.QUANT).n(40).rows(3).seg(1).a(2).aStride(10).dst(4).dStride(3)
                .sdst(8).build())).containsExactly("GLOBAL 32..512 r a", "A 64..208 w dst", "SCALE 32..68 w sdst");
        assertThat(of(Misc.builder().op(MiscOp.ROPE).n(64).rows(2).seg(2).b(1).bStride(4).build())) // a_stride 0: both rows read row 0
                .containsExactly("GLOBAL 0..256 r a", "GLOBAL 16..208 r b", "GLOBAL 0..256 w dst");
        assertThat(of(Misc.builder().op(MiscOp.LAYERNORM).n(16).c(9).b(5).build()))
                .containsExactly("GLOBAL 0..64 r a", "GLOBAL 80..144 r b", "GLOBAL 144..208 r c", "GLOBAL 0..64 w dst");
    }
}
