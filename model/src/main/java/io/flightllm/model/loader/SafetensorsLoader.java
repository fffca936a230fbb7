package io.flightllm.model.loader;

import io.flightllm.model.Model;
import io.flightllm.model.ModelFormatException;
import java.nio.file.Path;

/** Hugging Face directories (in progress in this session; replaced by the real reader). */
public final class SafetensorsLoader {
    private SafetensorsLoader() {
    }

    public static Model load(Path path) {
        throw new ModelFormatException(path + ": Hugging Face directories are not available yet");
    }
}
