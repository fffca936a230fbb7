package io.flightllm.cli;

import io.flightllm.model.testing.SharedData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Broken inputs for {@code flightllm run}, written into a scratch directory: each case is the command line and the
 * fragments its single error line must contain (the file or field at fault and what was expected).
 */
final class BadInputs {
    /** One bad-input case. */
    record Case(String name, List<String> args, List<String> mustMention) {
        @Override
        public String toString() {
            return name;
        }
    }

    private BadInputs() {
    }

    static List<Case> all(Path dir) {
        try {
            Path stories = SharedData.model("stories260K.bin");
            String tok = SharedData.model("tok512.bin").toString();
            byte[] good = Files.readAllBytes(stories);
            List<Case> cases = new ArrayList<>();

            Path truncated = write(dir, "truncated.bin", Arrays.copyOf(good, good.length - 1000));
            cases.add(run("truncated model", truncated, tok, List.of("truncated.bin", "1056540", "1055540")));

            byte[] random = new byte[4096];
            new Random(42).nextBytes(random);
            Path rnd = write(dir, "random.bin", random);
            cases.add(run("random bytes", rnd, tok, List.of("random.bin", "expected")));

            byte[] ak = Arrays.copyOf(good, 512);
            ByteBuffer.wrap(ak).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0x616b3432).putInt(4, 7);
            Path badVersion = write(dir, "version7.bin", ak);
            cases.add(run("ak42 magic, unknown version", badVersion, tok, List.of("version7.bin", "version", "7")));

            Path longer = write(dir, "longer.bin", Arrays.copyOf(good, good.length + 4));
            cases.add(run("size disagrees with header", longer, tok, List.of("longer.bin", "1056540", "1056544")));

            cases.add(run("dim = 2^30", patch(dir, "dim.bin", good, 0, 1 << 30), tok,
                    List.of("dim.bin", "dim", "1073741824")));
            cases.add(run("n_layers = -1", patch(dir, "layers.bin", good, 8, -1), tok,
                    List.of("layers.bin", "n_layers", "-1")));
            cases.add(run("hidden_dim = 2^31-1", patch(dir, "hidden.bin", good, 4, Integer.MAX_VALUE), tok,
                    List.of("hidden.bin", "hidden_dim", "2147483647")));
            cases.add(run("seq_len = 2^20 (v0 RoPE tables absent)", patch(dir, "seqlen.bin", good, 24, 1 << 20), tok,
                    List.of("seqlen.bin", "bytes")));
            cases.add(run("n_kv_heads not dividing n_heads", patch(dir, "kv.bin", good, 16, 3), tok,
                    List.of("kv.bin", "n_kv_heads", "3")));

            Path alone = Files.createDirectories(dir.resolve("alone"));
            Path aloneModel = Files.copy(stories, alone.resolve("model.bin"));
            cases.add(new Case("missing tokenizer", List.of("run", "--model", aloneModel.toString()),
                    List.of("model.bin", "tokenizer.bin", "--tokenizer")));

            Path mismatch = Files.createDirectories(dir.resolve("mismatch"));
            Path mismatchModel = Files.copy(stories, mismatch.resolve("model.bin"));
            Files.copy(SharedData.model("tokenizer.bin"), mismatch.resolve("tokenizer.bin"));
            cases.add(new Case("32000-token tokenizer for a 512-vocab model",
                    List.of("run", "--model", mismatchModel.toString()), List.of("tokenizer.bin", "512")));
            cases.add(new Case("explicit mismatched tokenizer", List.of("run", "--model", stories.toString(),
                    "--tokenizer", SharedData.model("tokenizer.bin").toString()), List.of("tokenizer.bin", "512")));

            Path notUtf8 = write(dir, "prompt-latin1.txt", new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
            cases.add(new Case("non-UTF-8 prompt file", List.of("run", "--model", stories.toString(), "--tokenizer",
                    tok, "--prompt-file", notUtf8.toString()), List.of("prompt-latin1.txt", "UTF-8", "0xE9 at offset 3")));

            byte[] big = new byte[(1 << 20) + 1];
            Arrays.fill(big, (byte) 'a');
            Path bigPrompt = write(dir, "prompt-big.txt", big);
            cases.add(new Case("prompt file over 1 MiB", List.of("run", "--model", stories.toString(), "--tokenizer",
                    tok, "--prompt-file", bigPrompt.toString()), List.of("prompt-big.txt", "1048577", "1 MiB")));

            cases.add(new Case("--steps abc", List.of("run", "--model", stories.toString(), "--steps", "abc"),
                    List.of("--steps", "abc")));
            cases.add(new Case("--temperature x", List.of("run", "--model", stories.toString(), "--temperature",
                    "x"), List.of("--temperature", "x")));
            cases.add(new Case("--steps -1", List.of("run", "--model", stories.toString(), "--tokenizer", tok,
                    "--steps", "-1"), List.of("--steps", "-1")));
            cases.add(new Case("nonexistent model", List.of("run", "--model", dir.resolve("nope.bin").toString()),
                    List.of("nope.bin", "not found")));
            Path emptyDir = Files.createDirectories(dir.resolve("hf-without-config"));
            cases.add(new Case("directory without config.json", List.of("run", "--model", emptyDir.toString()),
                    List.of("hf-without-config")));
            cases.add(new Case("inspect of a truncated model", List.of("inspect", truncated.toString()),
                    List.of("truncated.bin", "1056540")));

            Path badWord = write(dir, "badword.bin", new byte[] {0, 0, 0, 0x60});
            cases.add(new Case("disasm of an unknown opcode", List.of("disasm", badWord.toString()),
                    List.of("badword.bin", "instruction 0", "opcode", "0110", "0001=LD")));
            Path oddStream = write(dir, "odd.bin", new byte[] {0, 0, 0, (byte) 0xf0, 0});
            cases.add(new Case("disasm of a partial word", List.of("disasm", oddStream.toString()),
                    List.of("odd.bin", "5 bytes", "32-bit words")));
            Path badText = write(dir, "bad.s", "LD target=c\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            cases.add(new Case("asm of an unknown buffer", List.of("asm", badText.toString(), "-o",
                    dir.resolve("bad.bin").toString()), List.of("bad.s:1", "target", "6=scale")));
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Case run(String name, Path model, String tok, List<String> mention) {
        return new Case(name, List.of("run", "--model", model.toString(), "--tokenizer", tok, "--steps", "8"),
                mention);
    }

    private static Path write(Path dir, String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** A copy of {@code good} with the int32 at {@code offset} replaced. */
    private static Path patch(Path dir, String name, byte[] good, int offset, int value) throws IOException {
        byte[] b = good.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
        return write(dir, name, b);
    }
}
