package io.flightllm.arch.isa.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.arch.isa.Asm;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.CoreStreams;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.Mm;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.isa.Param;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.isa.St;
import io.flightllm.arch.isa.Sys;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgramCheckerTest {
    private static final Limits LIMITS = ExamplePrograms.limits(4);

    private static CoreStreams parse(String text) {
        return Asm.parse(text, "test.s");
    }

    private static CheckReport check(String text) {
        return ProgramChecker.check(parse(text), LIMITS);
    }

    @Test
    void theExamplePipelinePassesOnOneToFourCores() {
        for (int cores = 1; cores <= 4; cores++) {
            CheckReport r = ProgramChecker.check(ExamplePrograms.linear(cores), LIMITS);
            assertThat(r.violations()).as(r.toString()).isEmpty();
        }
        // Longer K: the double-buffer handshake over 40 tiles.
        CoreStreams longer = CoreStreams.of(ExamplePrograms.linearCore(0, 40));
        assertThat(ProgramChecker.check(longer, LIMITS).violations()).isEmpty();
    }

    @Test
    void aHandMadeDeadlockIsCaughtWithItsCycle() {
        CheckReport r = check("""
                LD release=MM wait=MM
                MM release=LD wait=LD
                """);
        assertThat(r.violations()).hasSize(1);
        assertThat(r.violations().getFirst().kind()).isEqualTo(Violation.Kind.DEADLOCK);
        assertThat(r.violations().getFirst().message()).isEqualTo("deadlock: core 0 #0 LD wait=MM release=MM waits "
                + "for a token from MM -> core 0 #1 MM wait=LD release=LD waits for a token from LD -> back to "
                + "core 0 #0");
    }

    @Test
    void oneExtraWaitDeadlocksTheExample() {
        // The first MV also waits for MISC, whose only instruction waits for the last MV.
        List<Instruction> s = new ArrayList<>(ExamplePrograms.linearCore(0, 4));
        int firstMv = 7;
        Mv mv0 = (Mv) s.get(firstMv);
        s.set(firstMv, mv0.toBuilder().waitOn(Queue.LD, Queue.MISC).build());
        CheckReport r = ProgramChecker.check(CoreStreams.of(s), LIMITS);
        assertThat(r.of(Violation.Kind.DEADLOCK)).hasSize(1);
        assertThat(r.of(Violation.Kind.DEADLOCK).getFirst().message()).contains("#7 MV wait=LD,MISC")
                .contains("waits for a token from MISC").contains("#11 MISC wait=MV");
    }

    @Test
    void tokenUnderflowIsNamed() {
        CheckReport r = check("""
                LD release=MV
                MV wait=LD
                MV wait=LD
                """);
        assertThat(r.violations()).singleElement().satisfies(v -> {
            assertThat(v.kind()).isEqualTo(Violation.Kind.UNDERFLOW);
            assertThat(v.index()).isEqualTo(2);
            assertThat(v.message()).isEqualTo("core 0 #2 MV wait=LD waits for a token from LD, but LD has completed"
                    + " all its instructions (LD released 1 token(s) to MV, all taken)");
        });
    }

    @Test
    void unbalancedTokensAreFlagged() {
        CheckReport r = check("""
                LD release=MV,MISC
                LD release=MV
                MV wait=LD
                """);
        assertThat(r.violations()).extracting(Violation::kind).containsOnly(Violation.Kind.UNBALANCED);
        assertThat(r.violations()).extracting(Violation::message).containsExactlyInAnyOrder(
                "core 0: 1 token(s) from LD to MV are never taken (LD released 2, MV took 1)",
                "core 0: 1 token(s) from LD to MISC are never taken (LD released 1, MISC took 0)");
    }

    private static String repeat(String line, int n) {
        return (line + "\n").repeat(n);
    }

    @Test
    void theDepthEightCounterBlocksReleases() {
        // Nine releases to MV are fine while MV takes them ...
        assertThat(check(repeat("LD release=MV", 9) + repeat("MV wait=LD", 9)).violations()).isEmpty();
        // ... but a ninth release that MV never takes blocks LD forever once the counter holds 8.
        CheckReport over = check(repeat("LD release=MV", 9));
        assertThat(over.violations()).singleElement().satisfies(v -> {
            assertThat(v.kind()).isEqualTo(Violation.Kind.OVERFLOW);
            assertThat(v.message()).isEqualTo("core 0 #8 LD release=MV cannot release to MV: the LD->MV counter is "
                    + "full (8 tokens) and MV has completed all its instructions");
        });
        // A cycle that exists only because of the depth: LD's 9th release waits for MV, MV waits for MISC, MISC
        // waits for the LD token that comes after the 9th release.
        String cyc = repeat("LD release=MV", 9) + "LD release=MISC\nMISC wait=LD release=MV\nMV wait=MISC\n"
                + repeat("MV wait=LD", 9);
        CheckReport r = check(cyc);
        assertThat(r.of(Violation.Kind.DEADLOCK)).singleElement().extracting(Violation::message).asString()
                .contains("#8 LD release=MV cannot release to MV (counter full)")
                .contains("waits for a token from MISC").contains("waits for a token from LD");
        Limits deeper = new Limits(LIMITS.bufferBytes(), 32, 1L << 30, 1L << 30, LIMITS.params(), 4, 9, 0);
        assertThat(ProgramChecker.check(parse(cyc), deeper).violations()).isEmpty();
    }

    @Test
    void barriersMustMatchAcrossCores() {
        CheckReport r = check("""
                .core 0
                SYS
                SYS
                .core 1
                SYS
                """);
        assertThat(r.violations()).singleElement().satisfies(v -> {
            assertThat(v.kind()).isEqualTo(Violation.Kind.BARRIER);
            assertThat(v.message()).isEqualTo("core 0 #1 SYS is barrier 1 of core 0, but core 1 has only 1 SYS "
                    + "instruction(s): the barrier never completes");
        });
        // A core stuck before its barrier holds every other core at the barrier: the cycle is reported.
        CheckReport stuck = check("""
                .core 0
                SYS release=LD
                LD wait=SYS
                .core 1
                LD wait=MM
                MM wait=LD
                SYS
                """);
        assertThat(stuck.of(Violation.Kind.DEADLOCK)).singleElement().extracting(Violation::core).isEqualTo(1);
        // Tokens from a SYS arrive only after the barrier completes on every core.
        assertThat(check("""
                .core 0
                MV release=SYS
                SYS wait=MV release=LD
                LD wait=SYS
                .core 1
                SYS
                """).violations()).isEmpty();
    }

    @Test
    void aBoundedDispatchQueueCanDeadlockWhereAnUnboundedOneDoesNot() {
        String text = """
                LD wait=MV
                LD
                MV release=LD
                """;
        assertThat(check(text).violations()).isEmpty();
        Limits shallow = new Limits(LIMITS.bufferBytes(), 32, 1L << 30, 1L << 30, LIMITS.params(), 4, 8, 1);
        CheckReport r = ProgramChecker.check(parse(text), shallow);
        assertThat(r.of(Violation.Kind.DEADLOCK)).singleElement().extracting(Violation::message).asString()
                .contains("core 0 dispatcher cannot hand #1 to LD (queue full)");
    }

    @Test
    void outOfBoundsAccessesAreCaughtNamingBufferFieldAndRange() {
        CheckReport b = ProgramChecker.check(CoreStreams.of(List.of(
                Ld.builder().target(Buffer.B).buf(0x1f00).len(0x2000).build())), LIMITS);
        assertThat(b.violations()).singleElement().satisfies(v -> {
            assertThat(v.kind()).isEqualTo(Violation.Kind.BOUNDS);
            assertThat(v.message()).isEqualTo("core 0 #0 LD target=b buf=0x1f00 len=8192: writes B bytes [0x1f000, 0x21000) "
                    + "(buf) beyond the buffer's 131072 bytes");
        });
        // One byte less fits exactly.
        assertThat(ProgramChecker.check(CoreStreams.of(List.of(
                Ld.builder().target(Buffer.B).buf(0x1e00).len(0x2000).build())), LIMITS).violations()).isEmpty();

        // In bounds at pos = 0, out of bounds at the largest pos.
        St st = St.builder().src(Buffer.A).len(64).addr((1L << 30) - 64 * 1024).param(Param.POS).pstride(64).build();
        assertThat(ProgramChecker.check(CoreStreams.of(List.of(st)), LIMITS).violations()).singleElement()
                .extracting(Violation::message).asString()
                .endsWith("writes HBM channel 0 bytes [0x3fff0000, 0x40010000) (addr) beyond the channel's "
                        + "1073741824 bytes for pos in [0, 2047]");
        St fits = st.toBuilder().addr((1L << 30) - 2048 * 64).build();
        assertThat(ProgramChecker.check(CoreStreams.of(List.of(fits)), LIMITS).violations()).isEmpty();

        CheckReport ch = ProgramChecker.check(CoreStreams.of(List.of(Ld.builder().channel(40).build())), LIMITS);
        assertThat(ch.violations()).singleElement().extracting(Violation::message).asString()
                .contains("channel 40 does not exist (the HBM has 32 channels)");

        // MM's A rows: m x a_stride lines from a.
        Mm mm = Mm.builder().m(128).k(16).aStride(4000).a((8 << 20) / 16 - 127 * 4000 - 16).rows(16).last(true)
                .outStride(4).build();
        assertThat(ProgramChecker.check(CoreStreams.of(List.of(mm)), LIMITS).violations()).isEmpty();
        Mm far = mm.toBuilder().a(mm.a() + 1).build();
        assertThat(ProgramChecker.check(CoreStreams.of(List.of(far)), LIMITS).violations()).singleElement()
                .extracting(Violation::message).asString().contains("reads A bytes").contains("(a) beyond the "
                        + "buffer's 8388608 bytes");
    }

    @Test
    void rulesCatchInconsistentFields() {
        CheckReport r = ProgramChecker.check(CoreStreams.of(List.of(
                Ld.builder().target(Buffer.GLOBAL).wbits(4).build(),
                Mv.builder().rows(16).sparse(false).bLines(3).last(true).build(),
                Mv.builder().rows(16).first(true).last(false).bias(true).build(),
                Sys.builder().build())), LIMITS);
        assertThat(r.of(Violation.Kind.RULE)).extracting(Violation::message).containsExactly(
                "core 0 #0 LD target=global wbits=4: wbits=4 needs target=b (the dequantizer writes into B only)",
                "core 0 #1 MV last=1 b_lines=3: b_lines=3 must be 0 when sparse=0",
                "core 0 #2 MV first=1 bias=1: bias=1 must be 0 when last=0 (the results are written only by the "
                        + "last tile)");
    }
}
