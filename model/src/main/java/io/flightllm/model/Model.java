package io.flightllm.model;

import io.flightllm.model.tokenizer.Tokenizer;
import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * A loaded checkpoint: its config, its (memory-mapped) weights, the tokenizer embedded in the file if there is one,
 * and the arena that owns the mapping. Close it to unmap.
 *
 * @param tokenizer the tokenizer stored in the checkpoint (GGUF metadata, HF tokenizer.json), or null (llama2.c)
 * @param format    a short human-readable name of the file format, for {@code inspect}
 */
public record Model(Path source, String format, ModelConfig config, Weights weights, Tokenizer tokenizer, Arena arena)
        implements AutoCloseable {

    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
        }
    }
}
