package io.flightllm.model.loader;

import io.flightllm.model.Model;
import io.flightllm.model.ModelFormatException;
import io.flightllm.model.tokenizer.Llama2cTokenizerFile;
import io.flightllm.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens any supported checkpoint by looking at what it is (directory, magic bytes), never at its name alone. */
public final class ModelLoader {
    private ModelLoader() {
    }

    public enum Format { LLAMA2C, GGUF, HF_DIRECTORY }

    public static Format detect(Path path) {
        if (!Files.exists(path)) {
            throw new ModelFormatException(path + ": file not found");
        }
        if (Files.isDirectory(path)) {
            return Format.HF_DIRECTORY;
        }
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(path)) {
            int n = in.readNBytes(magic, 0, 4);
            if (n == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F') {
                return Format.GGUF;
            }
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
        }
        return Format.LLAMA2C;
    }

    public static Model load(Path path) {
        return switch (detect(path)) {
            case LLAMA2C -> Llama2cLoader.load(path);
            case GGUF -> GgufLoader.load(path);
            case HF_DIRECTORY -> SafetensorsLoader.load(path);
        };
    }

    /**
     * The checkpoint's parameter count as its file holds them (HF's count): the loaded tensors, plus the 2 rows that
     * OPT's position table keeps before position 0 and the loader skips. A tied head counts once.
     */
    public static long fileParameters(Model model) {
        long n = 0;
        for (io.flightllm.model.Tensor t : model.weights().all()) {
            n += t.elements();
        }
        if (model.weights().positionEmbedding() != null) {
            n += (long) OptTensors.POSITION_OFFSET * model.config().dim();
        }
        return n;
    }

    /**
     * The tokenizer for {@code model}: the explicit file if given (llama2.c .bin, GGUF, or HF tokenizer.json), else
     * the one stored in the checkpoint, else {@code tokenizer.bin} beside a llama2.c checkpoint (run.c itself looks in the working directory).
     */
    public static Tokenizer tokenizer(Model model, Path explicit) {
        return tokenizer(model.source(), model.config().vocabSize(), model.tokenizer(), explicit,
                model.config().family() == io.flightllm.model.ModelConfig.Family.OPT);
    }

    /**
     * The same rule for any model file ({@code .flm} included): {@code explicit}, else {@code embedded}, else
     * {@code tokenizer.bin} beside {@code source} (inside it for a directory); its size must be {@code vocab}.
     */
    public static Tokenizer tokenizer(Path source, int vocab, Tokenizer embedded, Path explicit) {
        return tokenizer(source, vocab, embedded, explicit, false);
    }

    /**
     * @param paddedVocab true when the model's vocabulary may have padding rows past the tokenizer's (OPT: 50272
     *                    rows, 50265 tokens); the tokenizer must then have at most {@code vocab} tokens. A GPT-2
     *                    byte-level BPE tokenizer is always allowed such padding (so a {@code .flm} of an OPT
     *                    model, which has no checkpoint family to ask, takes its tokenizer.json)
     */
    public static Tokenizer tokenizer(Path source, int vocab, Tokenizer embedded, Path explicit, boolean paddedVocab) {
        Tokenizer t;
        if (explicit != null) {
            t = loadTokenizer(explicit, vocab);
        } else if (embedded != null) {
            t = embedded;
        } else {
            Path src = source.toAbsolutePath();
            Path dir = Files.isDirectory(src) ? src : src.getParent();
            Path beside = dir == null ? Path.of("tokenizer.bin") : dir.resolve("tokenizer.bin");
            if (!Files.isRegularFile(beside)) {
                throw new ModelFormatException(source + ": no tokenizer: pass --tokenizer, or put "
                        + "tokenizer.bin beside the model (looked for " + beside + ")");
            }
            t = Llama2cTokenizerFile.read(beside, vocab);
        }
        paddedVocab |= t.byteLevel();
        if (paddedVocab ? t.vocabSize() > vocab : t.vocabSize() != vocab) {
            throw new ModelFormatException((explicit != null ? explicit : source) + ": the tokenizer has "
                    + t.vocabSize() + " tokens; the model's vocab_size is " + vocab + (paddedVocab ? " (at most that "
                    + "many expected)" : "") + " (mismatched tokenizer?)");
        }
        return t;
    }

    /** Loads a standalone tokenizer file of any supported kind. */
    public static Tokenizer loadTokenizer(Path path, int expectedVocab) {
        if (!Files.exists(path)) {
            throw new ModelFormatException(path + ": tokenizer file not found");
        }
        if (Files.isDirectory(path)) {
            path = path.resolve("tokenizer.json");
        }
        String name = path.getFileName().toString();
        if (name.endsWith(".json")) {
            return HfTokenizerLoader.load(path);
        }
        if (detect(path) == Format.GGUF) {
            return GgufLoader.loadTokenizer(path);
        }
        return Llama2cTokenizerFile.read(path, expectedVocab);
    }
}
