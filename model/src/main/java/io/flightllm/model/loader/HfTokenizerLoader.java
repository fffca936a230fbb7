package io.flightllm.model.loader;

import io.flightllm.model.ModelFormatException;
import io.flightllm.model.tokenizer.Tokenizer;
import java.nio.file.Path;

/** HF tokenizer.json (in progress in this session; replaced by the real reader). */
public final class HfTokenizerLoader {
    private HfTokenizerLoader() {
    }

    public static Tokenizer load(Path path) {
        throw new ModelFormatException(path + ": tokenizer.json is not available yet");
    }
}
