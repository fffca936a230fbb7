package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.program.Bucket;
import io.flightllm.arch.program.FlpReader;
import io.flightllm.compiler.CompileOptions;
import io.flightllm.compiler.Compiler;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.model.Model;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IsaCommandsTest {
    @TempDir
    Path dir;

    private static final String PROGRAM = """
            # two cores: a tile, its quantized output stored at pos, then a barrier
            .core 0
            LD release=MV target=b wbits=4 channel=3 addr=0x1000 len=8192
            MV wait=LD release=MISC k=16 rows=64 out=0x40 first=1 last=1 ws=1 wstride=2 group=8 ascale=0x3e8
            MISC wait=MV release=ST op=quant n=64 a=0x40 dst=0x2000 sdst=0x3e9
            ST wait=MISC src=a buf=0x2000 len=64 channel=3 addr=0x200000 param=pos pstride=64
            SYS
            .core 1
            SYS
            """;

    @Test
    void asmThenDisasmGivesTheCanonicalText() throws IOException {
        Path src = Files.writeString(dir.resolve("p.s"), PROGRAM);
        Path c0 = dir.resolve("c0.bin");
        Path c1 = dir.resolve("c1.bin");
        CliRunner.Result asm = CliRunner.run("asm", src.toString(), "-o", c0.toString(), "-o", c1.toString());
        assertThat(asm.code()).as(asm.err()).isZero();
        assertThat(asm.errLines()).containsExactly("core 0: 5 instructions, 32 words -> " + c0,
                "core 1: 1 instructions, 1 words -> " + c1);
        assertThat(Files.size(c0)).isEqualTo(32 * 4);

        CliRunner.Result dis = CliRunner.run("disasm", c0.toString(), c1.toString());
        assertThat(dis.code()).as(dis.err()).isZero();
        String text = dis.outText();
        assertThat(text).startsWith(".core 0\nLD release=MV target=b channel=3 addr=0x1000 len=8192 wbits=4\n")
                .contains("MISC wait=MV release=ST op=quant n=64 a=0x40 dst=0x2000 sdst=0x3e9\n")
                .endsWith(".core 1\nSYS\n");

        // The disassembly assembles to the same words.
        Path again = Files.writeString(dir.resolve("again.s"), text);
        Path d0 = dir.resolve("d0.bin");
        Path d1 = dir.resolve("d1.bin");
        assertThat(CliRunner.run("asm", again.toString(), "-o", d0.toString(), "-o", d1.toString()).code()).isZero();
        assertThat(Files.readAllBytes(d0)).isEqualTo(Files.readAllBytes(c0));
        assertThat(Files.readAllBytes(d1)).isEqualTo(Files.readAllBytes(c1));

        CliRunner.Result off = CliRunner.run("disasm", "--offsets", c0.toString());
        assertThat(off.outText()).contains("LD release=MV target=b channel=3 addr=0x1000 len=8192 wbits=4  # @0\n")
                .contains("  # @8\n");
    }

    @Test
    void badInputsGiveOneLineNamingFileAndField() throws IOException {
        Path src = Files.writeString(dir.resolve("p.s"), PROGRAM);
        CliRunner.Result few = CliRunner.run("asm", src.toString(), "-o", dir.resolve("x.bin").toString());
        assertThat(few.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(few.errLines()).containsExactly("flightllm asm: error: " + src
                + ": 2 core stream(s), but 1 -o file(s); expected one -o per core");

        Path bad = Files.writeString(dir.resolve("bad.s"), "SYS\nMV rows=17\n");
        CliRunner.Result r = CliRunner.run("asm", bad.toString(), "-o", dir.resolve("y.bin").toString());
        assertThat(r.errLines()).containsExactly("flightllm asm: error: " + bad + ":2: MV: field rows = 17: 17 is "
                + "not allowed (allowed: 16..16384, multiples of 16)");

        Path corrupt = Files.write(dir.resolve("corrupt.bin"), new byte[] {0, 0, 0, (byte) 0xf0, 1, 0, 0, (byte) 0xf0});
        CliRunner.Result d = CliRunner.run("disasm", corrupt.toString());
        assertThat(d.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(d.out()).isEmpty();
        assertThat(d.errLines()).containsExactly("flightllm disasm: error: " + corrupt + ": instruction 1 (SYS at "
                + "word 1): field reserved_w0 w0[15:0] = 1 is not allowed (allowed: 0)");

        assertThat(CliRunner.run("disasm", dir.resolve("none.bin").toString()).errLines())
                .containsExactly("flightllm disasm: error: " + dir.resolve("none.bin") + ": not found");
        Path latin = Files.write(dir.resolve("latin.s"), "SYS # caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(CliRunner.run("asm", latin.toString(), "-o", dir.resolve("z.bin").toString()).errLines())
                .containsExactly("flightllm asm: error: " + latin + ": not UTF-8 text");
    }

    /** A shapes-only stories260K program for the U280, written by the compiler. */
    private Path storiesFlp() throws IOException {
        ModelShape shape;
        try (Model m = ModelLoader.load(SharedData.model("stories260K.bin"))) {
            shape = ModelShape.fromProfile(m.config(), CompressionProfile.named("w4s8"));
        }
        Path flp = dir.resolve("stories.flp");
        new Compiler(shape, new CompileOptions(HardwareConfigs.preset("u280"), 64, 32, 16, true))
                .write(null, flp, (phase, done, total) -> { });
        return flp;
    }

    @Test
    void aCompiledProgramDisassemblesAssemblesAndChecks() throws IOException {
        Path flp = storiesFlp();
        CliRunner.Result check = CliRunner.run("check", flp.toString(), "--bucket", "decode:16");
        assertThat(check.code()).as(check.outText() + check.err()).isZero();
        assertThat(check.outText()).matches("decode:16: ok \\(3 cores, [0-9,]+ instructions\\)\n");

        CliRunner.Result dis = CliRunner.run("disasm", flp.toString(), "--bucket", "decode:16");
        assertThat(dis.code()).as(dis.err()).isZero();
        Path text = Files.write(dir.resolve("decode16.s"), dis.out());
        List<Path> outs = List.of(dir.resolve("d0.bin"), dir.resolve("d1.bin"), dir.resolve("d2.bin"));
        CliRunner.Result asm = CliRunner.run("asm", text.toString(), "-o", outs.get(0).toString(), "-o",
                outs.get(1).toString(), "-o", outs.get(2).toString());
        assertThat(asm.code()).as(asm.err()).isZero();
        try (Arena arena = Arena.ofConfined()) {
            FlpReader r = FlpReader.open(flp, arena);
            Bucket b = r.program().bucketFor(Bucket.Kind.DECODE, 16);
            for (int c = 0; c < 3; c++) {
                int[] words = r.words(b.streams().get(c));
                assertThat(Isa.encode(io.flightllm.arch.isa.RawStream.read(outs.get(c)))).isEqualTo(words);
            }
        }

        CliRunner.Result all = CliRunner.run("disasm", flp.toString());
        assertThat(all.outText()).contains("# bucket decode:16\n.core 0\n").contains("# bucket decode:64\n");
        assertThat(CliRunner.run("disasm", flp.toString(), "--bucket", "decode:17").errLines().getFirst())
                .contains("no bucket decode:17 (buckets: ").contains("decode:16");
    }

    @Test
    void checkReportsADeadlockAndFails() throws IOException {
        Path src = Files.writeString(dir.resolve("dead.s"), "LD wait=MM release=MM\nMM wait=LD release=LD\n");
        Path c0 = dir.resolve("dead.bin");
        assertThat(CliRunner.run("asm", src.toString(), "-o", c0.toString()).code()).isZero();
        CliRunner.Result r = CliRunner.run("check", c0.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_INPUT);
        assertThat(r.outText()).isEqualTo("raw streams: 1 violation(s)\n  DEADLOCK: deadlock: core 0 #0 LD wait=MM "
                + "release=MM waits for a token from MM -> core 0 #1 MM wait=LD release=LD waits for a token from LD"
                + " -> back to core 0 #0\n");
        assertThat(r.errLines()).containsExactly("flightllm check: error: " + c0 + ": 1 of 1 launch(es) failed the "
                + "check");
        // The same file with the tokens removed passes.
        Path ok = Files.writeString(dir.resolve("ok.s"), "LD\nMM\n");
        Path c1 = dir.resolve("ok.bin");
        assertThat(CliRunner.run("asm", ok.toString(), "-o", c1.toString()).code()).isZero();
        CliRunner.Result good = CliRunner.run("check", c1.toString(), "--target", "vhk158");
        assertThat(good.code()).isZero();
        assertThat(good.outText()).isEqualTo("raw streams: ok (1 cores, 2 instructions)\n");
    }
}
