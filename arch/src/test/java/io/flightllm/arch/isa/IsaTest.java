package io.flightllm.arch.isa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IsaTest {
    @Test
    void everyFormatCoversEveryBitExactlyOnce() {
        for (Format f : Isa.formats()) {
            assertThat(Format.coverageProblems(f.mnemonic(), f.words(), f.fields())).as(f.mnemonic()).isEmpty();
            int[] covered = new int[f.words()];
            for (Field field : f.fields()) {
                for (Slice s : field.slices()) {
                    assertThat(covered[s.word()] & s.mask()).as(f.mnemonic() + " " + field.name()).isZero();
                    covered[s.word()] |= s.mask();
                }
            }
            assertThat(covered).as(f.mnemonic()).containsOnly(-1);
        }
    }

    @Test
    void opcodesAndWordCountsAreTheDocumentedOnes() {
        assertThat(Isa.formats()).extracting(Format::mnemonic).containsExactly("LD", "ST", "MM", "MV", "MISC", "SYS");
        assertThat(Isa.formats()).extracting(Format::opcode).containsExactly(0b0001, 0b0010, 0b0011, 0b0100, 0b0101,
                0b1111);
        assertThat(Isa.formats()).extracting(Format::words).containsExactly(8, 6, 10, 9, 8, 1);
        for (Format f : Isa.formats()) {
            assertThat(f.field("opcode").bitsText()).isEqualTo("w0[31:28]");
            assertThat(f.field("wait").bitsText()).isEqualTo("w0[27:23]");
            assertThat(f.field("release").bitsText()).isEqualTo("w0[22:18]");
        }
    }

    /** A field table with an overlap, a gap, a bad slice, or a record that does not match is rejected. */
    @Test
    void theCoverageCheckFiresOnBadTables() {
        Domain u4 = new Domain.UInt(4, 0, 1, false);
        Domain u28 = new Domain.UInt(28, 0, 1, false);
        List<Field> overlap = List.of(Field.of("x", 0, 31, 28, u4, ""), Field.of("y", 0, 28, 25, u4, ""),
                Field.of("z", 0, 24, 0, new Domain.UInt(25, 0, 1, false), ""));
        assertThat(Format.coverageProblems("T", 1, overlap)).containsExactly("w0 bit 28 covered by both x and y");
        assertThatThrownBy(() -> new Format(Queue.SYS, 15, 1, overlap, null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("w0 bit 28 covered by both x and y");

        List<Field> gap = List.of(Field.of("x", 0, 31, 28, u4, ""), Field.of("y", 1, 27, 0, u28, ""));
        assertThat(Format.coverageProblems("T", 2, gap)).containsExactly("w0[27:0] covered by no field",
                "w1[31:28] covered by no field");

        List<Field> outside = List.of(Field.of("x", 0, 31, 28, u4, ""), Field.of("y", 0, 27, 0, u28, ""),
                Field.of("z", 1, 3, 0, u4, ""));
        assertThat(Format.coverageProblems("T", 1, outside))
                .containsExactly("field z at w1[3:0] lies outside the 1 words");

        List<Field> twice = List.of(Field.of("x", 0, 31, 28, u4, ""), Field.of("x", 0, 27, 0, u28, ""));
        assertThat(Format.coverageProblems("T", 1, twice)).containsExactly("field name x used twice");

        assertThatThrownBy(() -> Field.of("w", 0, 3, 0, u28, "")).hasMessageContaining("slices hold 4 bits");

        // The SYS table bound to a record whose components do not match.
        List<Field> sys = new ArrayList<>(Isa.format(Queue.SYS).fields());
        assertThatThrownBy(() -> new Format(Queue.SYS, 15, 1, sys, Ld.class)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("record Ld").hasMessageContaining("component target has no field");
        assertThat(new Format(Queue.SYS, 15, 1, sys, Sys.class).valuedFields()).hasSize(3);
    }

    @Test
    void tokenMasksAreMsbFirstInQueueOrderWithoutTheQueueItself() {
        // MV's others in order: LD ST MM MISC SYS -> bits 4..0.
        assertThat(QueueSet.of(Queue.LD).mask(Queue.MV)).isEqualTo(0b10000);
        assertThat(QueueSet.of(Queue.MM).mask(Queue.MV)).isEqualTo(0b00100);
        assertThat(QueueSet.of(Queue.MISC).mask(Queue.MV)).isEqualTo(0b00010);
        assertThat(QueueSet.of(Queue.SYS).mask(Queue.MV)).isEqualTo(0b00001);
        // LD's others: ST MM MV MISC SYS.
        assertThat(QueueSet.of(Queue.ST, Queue.SYS).mask(Queue.LD)).isEqualTo(0b10001);
        // SYS's others: LD ST MM MV MISC.
        assertThat(QueueSet.of(Queue.MISC).mask(Queue.SYS)).isEqualTo(0b00001);
        for (Queue self : Queue.values()) {
            for (int m = 0; m < 32; m++) {
                assertThat(QueueSet.fromMask(self, m).mask(self)).isEqualTo(m);
                assertThat(QueueSet.fromMask(self, m).contains(self)).isFalse();
            }
        }
        assertThatThrownBy(() -> QueueSet.of(Queue.MV).mask(Queue.MV)).hasMessageContaining("own queue MV");
    }

    /** One MV, encoded by hand from docs/isa.md's table: pins the layout independently of the table code. */
    @Test
    void oneMvEncodesToTheDocumentedBits() {
        Mv mv = Mv.builder().waitOn(Queue.LD).releaseTo(Queue.MISC).k(256).k0(3).rows(64).a(0x100).b(0x20)
                .out(0x40).first(true).last(true).ws(true).wscale(0x80).wstride(2).group(8).ascale(0x7ff).build();
        int[] w = Isa.encode(mv);
        assertThat(w).hasSize(9);
        assertThat(w[0]).isEqualTo(0b0100 << 28 | 0b10000 << 23 | 0b00010 << 18 | 255 << 6 | 1);
        assertThat(w[1]).isEqualTo(0x100 << 12 | 3);
        assertThat(w[2]).isEqualTo(0x40 << 14 | 3 << 4 | 1 << 3 | 1 << 2);
        assertThat(w[3]).isZero();
        assertThat(w[4]).isEqualTo(0x20 << 16);
        assertThat(w[5]).isZero();
        assertThat(w[6]).isEqualTo(0x80 << 16);
        assertThat(w[7]).isEqualTo(0x7ff << 16);
        assertThat(w[8]).isEqualTo(2 << 20 | 8 << 8);
        assertThat(Isa.decode(w)).containsExactly(mv);
        assertThat(Asm.format(mv)).isEqualTo("MV wait=LD release=MISC k=256 k0=3 rows=64 a=0x100 b=0x20 out=0x40"
                + " first=1 last=1 ws=1 wscale=0x80 wstride=2 group=8 ascale=0x7ff");
    }

    @Test
    void randomInstructionsRoundTripThroughWordsRecordsAndText() {
        SplittableRandom r = new SplittableRandom(7);
        for (Format f : Isa.formats()) {
            for (int i = 0; i < 1500; i++) {
                int[] w = RandomInstructions.words(f, r);
                Instruction inst = Isa.decodeOne(w, 0, 0);
                assertThat(inst.queue()).isEqualTo(f.queue());
                assertThat(Isa.encode(inst)).as(f.mnemonic()).isEqualTo(w);
                assertThat(Isa.decode(Isa.encode(inst))).containsExactly(inst);
                String text = Asm.format(inst);
                assertThat(Asm.parseLine(text, "t")).as(text).isEqualTo(inst);
                assertThat(rebuilt(inst)).isEqualTo(inst);
            }
        }
    }

    /** The same instruction through its builder. */
    private static Instruction rebuilt(Instruction inst) {
        return switch (inst) {
            case Ld x -> x.toBuilder().build();
            case St x -> x.toBuilder().build();
            case Mm x -> x.toBuilder().build();
            case Mv x -> x.toBuilder().build();
            case Misc x -> x.toBuilder().build();
            case Sys x -> x.toBuilder().build();
        };
    }

    @Test
    void streamsRoundTrip() {
        SplittableRandom r = new SplittableRandom(11);
        List<Instruction> s = RandomInstructions.stream(500, r);
        int[] w = Isa.encode(s);
        assertThat(Isa.decode(w)).isEqualTo(s);
        List<Isa.Decoded> d = Isa.decodeWithOffsets(w);
        assertThat(d.get(1).word()).isEqualTo(Isa.format(s.get(0).queue()).words());
    }

    @Test
    void theAllZeroInstructionIsTheBuilderDefault() {
        assertThat(Mv.builder().build()).isEqualTo(Isa.decodeOne(new int[] {0b0100 << 28, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 0));
        Ld ld = Ld.builder().build();
        assertThat(ld.n0()).isEqualTo(1);
        assertThat(ld.len()).isEqualTo(1);
        assertThat(ld.wbits()).isEqualTo(8);
        assertThat(Asm.format(ld)).isEqualTo("LD");
    }

    @Test
    void invalidValuesAreRejectedWhenBuiltNamingTheField() {
        assertThatThrownBy(() -> Mv.builder().rows(17).build()).isInstanceOf(InstructionException.class)
                .hasMessage("MV field rows = 17: 17 is not allowed (allowed: 16..16384, multiples of 16)");
        assertThatThrownBy(() -> Ld.builder().wbits(5).build())
                .hasMessageContaining("field wbits = 5").hasMessageContaining("0=8, 1=2, 2=3, 3=4");
        assertThatThrownBy(() -> Mm.builder().k(0).build()).hasMessageContaining("field k = 0")
                .hasMessageContaining("1..4096");
        assertThatThrownBy(() -> Ld.builder().buf(1 << 20).build()).hasMessageContaining("field buf = 1048576");
        assertThatThrownBy(() -> Mv.builder().waitOn(Queue.MV).build()).hasMessageContaining("field wait")
                .hasMessageContaining("own queue");
        assertThatThrownBy(() -> Misc.builder().op(null).build()).hasMessageContaining("MISC field op is not set");
    }

    @Test
    void corruptedWordsAreRejectedNamingInstructionWordFieldAndAllowedValues() {
        List<Instruction> s = List.of(Sys.builder().build(), Ld.builder().build(), Mv.builder().rows(64).build());
        int[] w = Isa.encode(s);
        int mvAt = 1 + 8;

        int[] reservedBit = w.clone();
        reservedBit[mvAt + 2] |= 1;
        assertThatThrownBy(() -> Isa.decode(reservedBit)).isInstanceOf(InstructionException.class)
                .hasMessage("instruction 2 (MV at word 9): field reserved_w2 w2[1:0] = 1 is not allowed (allowed: 0)");

        int[] badTarget = w.clone();
        badTarget[1] |= 7 << 15;
        assertThatThrownBy(() -> Isa.decode(badTarget)).hasMessage("instruction 1 (LD at word 1): field target "
                + "w0[17:15] = 7 is not allowed (allowed: 0=a, 1=b, 2=global, 3=meta, 4=fsb, 5=bias, 6=scale)");

        int[] badOpcode = w.clone();
        badOpcode[0] = 0b0110 << 28;
        assertThatThrownBy(() -> Isa.decode(badOpcode)).hasMessage("instruction 0 (word 0): field opcode w0[31:28] ="
                + " 0110 is not an instruction class (allowed: 0001=LD, 0010=ST, 0011=MM, 0100=MV, 0101=MISC,"
                + " 1111=SYS)");

        int[] truncated = Arrays.copyOf(w, w.length - 2);
        assertThatThrownBy(() -> Isa.decode(truncated))
                .hasMessage("instruction 2 (MV at word 9): MV has 9 words, the stream ends after 7");

        int[] badSysOp = {0b1111 << 28 | 1 << 16};
        assertThatThrownBy(() -> Isa.decode(badSysOp)).hasMessageContaining("field op w0[17:16] = 1");
    }
}
