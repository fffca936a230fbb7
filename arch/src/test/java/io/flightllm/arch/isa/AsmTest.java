package io.flightllm.arch.isa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AsmTest {
    @TempDir
    Path dir;

    private static CoreStreams randomProgram(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<List<Instruction>> cores = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            cores.add(RandomInstructions.stream(300, r));
        }
        cores.add(List.of());
        return new CoreStreams(cores);
    }

    @Test
    void wholeProgramsRoundTripThroughText() {
        CoreStreams p = randomProgram(3);
        String text = Asm.format(p);
        assertThat(Asm.parse(text, "p.s")).isEqualTo(p);
        assertThat(Asm.format(Asm.parse(text, "p.s"))).isEqualTo(text);
        // With word-offset comments too.
        assertThat(Asm.parse(Asm.format(p, true), "p.s")).isEqualTo(p);
    }

    @Test
    void handWrittenTextParses() {
        CoreStreams p = Asm.parse("""
                # a comment line
                LD target=b wbits=4 channel=3 addr=0x1000 len=4096 release=MV   # trailing comment
                mv wait=LD k=256 rows=64 a=0x100 first=1 last=1 ws=1 wscale=0 wstride=32 group=8

                MISC op=scale imm=0.125 n=64 a=0x10 dst=0x20
                MISC op=rmsnorm imm=0x3727c5ac n=64
                SYS
                """, "hand.s");
        assertThat(p.coreCount()).isEqualTo(1);
        List<Instruction> s = p.core(0);
        assertThat(s).hasSize(5);
        Ld ld = (Ld) s.get(0);
        assertThat(ld.target()).isEqualTo(Buffer.B);
        assertThat(ld.wbits()).isEqualTo(4);
        assertThat(ld.addr()).isEqualTo(0x1000);
        assertThat(ld.releases()).isEqualTo(QueueSet.of(Queue.MV));
        Mv mv = (Mv) s.get(1);
        assertThat(mv.k()).isEqualTo(256);
        assertThat(mv.rows()).isEqualTo(64);
        assertThat(((Misc) s.get(2)).imm()).isEqualTo(0.125f);
        assertThat(((Misc) s.get(3)).imm()).isEqualTo(Float.intBitsToFloat(0x3727c5ac));
        assertThat(Asm.format(s.get(2))).isEqualTo("MISC op=scale n=64 a=0x10 dst=0x20 imm=0.125");
    }

    @Test
    void errorsNameTheLineAndTheField() {
        assertThatThrownBy(() -> Asm.parse("SYS\nMV rows=17\n", "x.s")).isInstanceOf(InstructionException.class)
                .hasMessage("x.s:2: MV: field rows = 17: 17 is not allowed (allowed: 16..16384, multiples of 16)");
        assertThatThrownBy(() -> Asm.parse("LD tagret=b", "x.s"))
                .hasMessageStartingWith("x.s:1: LD has no field 'tagret' (fields: wait, release, target,");
        assertThatThrownBy(() -> Asm.parse("LD target=c", "x.s"))
                .hasMessage("x.s:1: LD: field target = c: 'c' is not allowed (allowed: 0=a, 1=b, 2=global, 3=meta,"
                        + " 4=fsb, 5=bias, 6=scale)");
        assertThatThrownBy(() -> Asm.parse("LD k", "x.s")).hasMessage("x.s:1: LD: 'k' is not name=value");
        assertThatThrownBy(() -> Asm.parse("JMP", "x.s")).hasMessageContaining("x.s:1: unknown instruction 'JMP'");
        assertThatThrownBy(() -> Asm.parse("MV k=2 k=3", "x.s")).hasMessage("x.s:1: MV: field k given twice");
        assertThatThrownBy(() -> Asm.parse("MV wait=MV", "x.s")).hasMessageContaining("field wait = MV")
                .hasMessageContaining("own queue");
        assertThatThrownBy(() -> Asm.parse("MV wait=XX", "x.s")).hasMessageContaining("'XX' is not a queue");
        assertThatThrownBy(() -> Asm.parse("MV reserved_w2=1", "x.s")).hasMessageContaining("has no field");
        assertThatThrownBy(() -> Asm.parse("MV a=0x", "x.s")).hasMessageContaining("'0x' is not a number");
        assertThatThrownBy(() -> Asm.parse("MISC imm=abc", "x.s")).hasMessageContaining("'abc' is not a float");
        assertThatThrownBy(() -> Asm.parse(".core 1\nSYS", "x.s"))
                .hasMessage("x.s:1: .core 1: expected .core 0 (cores are numbered in order from 0)");
        assertThatThrownBy(() -> Asm.parse("SYS\n.core 0", "x.s")).hasMessageContaining("expected .core 1");
        assertThatThrownBy(() -> Asm.parse(".loop 3", "x.s")).hasMessageContaining("unknown directive");
    }

    @Test
    void rawStreamFilesRoundTripAndBadFilesAreNamed() throws IOException {
        CoreStreams p = randomProgram(5);
        Path f = dir.resolve("core0.bin");
        RawStream.write(f, p.core(0));
        assertThat(Files.size(f)).isEqualTo(4L * Isa.encode(p.core(0)).length);
        assertThat(RawStream.read(f)).isEqualTo(p.core(0));
        // Little-endian words: the first byte holds bits [7:0] of word 0, the fourth the opcode.
        byte[] bytes = Files.readAllBytes(f);
        assertThat((bytes[3] & 0xff) >>> 4).isEqualTo(Isa.format(p.core(0).getFirst().queue()).opcode());

        Path odd = Files.write(dir.resolve("odd.bin"), new byte[] {1, 2, 3, 4, 5});
        assertThatThrownBy(() -> RawStream.read(odd)).hasMessageContaining("odd.bin: 5 bytes is not a whole number "
                + "of 32-bit words");
        Path bad = Files.write(dir.resolve("bad.bin"), new byte[] {0, 0, 0, 0x60});
        assertThatThrownBy(() -> RawStream.read(bad)).hasMessageContaining("bad.bin: instruction 0 (word 0): field "
                + "opcode w0[31:28] = 0110");
    }
}
