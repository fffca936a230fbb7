package io.flightllm.model.loader;

import io.flightllm.model.Model;
import io.flightllm.model.ModelFormatException;
import io.flightllm.model.tokenizer.Tokenizer;
import java.nio.file.Path;

/** GGUF v3 (in progress in this session; replaced by the real reader). */
public final class GgufLoader {
    private GgufLoader() {
    }

    public static Model load(Path path) {
        throw new ModelFormatException(path + ": GGUF loading is not available yet");
    }

    public static Tokenizer loadTokenizer(Path path) {
        throw new ModelFormatException(path + ": GGUF tokenizers are not available yet");
    }
}
