package io.flightllm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.runtime.ChatTemplate.Message;
import io.flightllm.runtime.testing.RunOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatTemplateTest {
    private static final Tokenizer TOK = ModelLoader.loadTokenizer(RunOutput.tok512(), 512);

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }

    @Test
    void llama2WrapsTurnsAsMetasReferenceDoes() {
        List<Message> dialog = List.of(new Message("system", " Be brief. "), new Message("user", "Hi"),
                new Message("assistant", " Hello! "), new Message("user", "Tell a story"));
        int[] expected = concat(
                TOK.encode("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! ", true, true),
                TOK.encode("[INST] Tell a story [/INST]", true, false));
        assertThat(ChatTemplate.LLAMA2.encode(dialog, TOK)).containsExactly(expected);
    }

    @Test
    void llama2RefusesDialogsOutOfOrder() {
        assertThatThrownBy(() -> ChatTemplate.LLAMA2.encode(List.of(new Message("assistant", "x")), TOK))
                .isInstanceOf(InputException.class).hasMessageContaining("messages[0].role");
        assertThatThrownBy(() -> ChatTemplate.LLAMA2.encode(List.of(new Message("user", "a"),
                new Message("assistant", "b")), TOK)).hasMessageContaining("expected a user message last");
        assertThatThrownBy(() -> ChatTemplate.LLAMA2.encode(List.of(new Message("system", "a")), TOK))
                .hasMessageContaining("only a system message");
        assertThatThrownBy(() -> ChatTemplate.PLAIN.encode(List.of(new Message("tool", "a")), TOK))
                .hasMessageContaining("messages[0].role is 'tool'");
        assertThatThrownBy(() -> ChatTemplate.PLAIN.encode(List.of(), TOK)).hasMessageContaining("empty");
    }

    @Test
    void plainJoinsTheContentsWithNewlines() {
        List<Message> dialog = List.of(new Message("system", "S"), new Message("user", "Lily had a cat"));
        assertThat(ChatTemplate.PLAIN.encode(dialog, TOK)).containsExactly(TOK.encode("S\nLily had a cat", true,
                false));
    }

    @Test
    void detectionReadsTheModelsOwnMetadata(@TempDir Path dir) throws IOException {
        assertThat(ChatTemplate.detect(RunOutput.stories())).isEqualTo(ChatTemplate.PLAIN);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"{% for m in messages %}"
                + "[INST] {{ m.content }} [/INST]{% endfor %}\"}");
        assertThat(ChatTemplate.detect(dir)).isEqualTo(ChatTemplate.LLAMA2);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"<|im_start|>\"}");
        assertThat(ChatTemplate.detect(dir)).isEqualTo(ChatTemplate.PLAIN);
        assertThat(ChatTemplate.named("llama2", RunOutput.stories())).isEqualTo(ChatTemplate.LLAMA2);
        assertThatThrownBy(() -> ChatTemplate.named("chatml", dir)).isInstanceOf(InputException.class)
                .hasMessageContaining("--chat-template is 'chatml'");
    }
}
