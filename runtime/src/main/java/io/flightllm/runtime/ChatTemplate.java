package io.flightllm.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.flightllm.model.gguf.GgufFile;
import io.flightllm.model.gguf.GgufValue;
import io.flightllm.model.hf.Json;
import io.flightllm.model.loader.MappedFile;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.tokenizer.Tokenizer;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a list of chat messages becomes prompt tokens.
 * <ul>
 * <li>{@link #LLAMA2}: LLaMA-2 chat as Meta's reference code builds it: each earlier user/assistant pair is
 * {@code <s>[INST] user [/INST] answer </s>}, the last user message is {@code <s>[INST] user [/INST]}, and a leading
 * system message is wrapped in {@code <<SYS>>\n...\n<</SYS>>\n\n} at the start of the first user message.</li>
 * <li>{@link #PLAIN}: for base models without a chat format (stories260K): the contents of all messages, whatever
 * their role, joined with a newline, after BOS; the model simply continues that text.</li>
 * </ul>
 */
public enum ChatTemplate {
    LLAMA2, PLAIN;

    public static final List<String> NAMES = List.of("auto", "llama2", "plain");

    /** One chat message; role is system, user or assistant. */
    public record Message(String role, String content) {
    }

    /** The prompt tokens (BOS first) for {@code messages}; errors name the message index. */
    public int[] encode(List<Message> messages, Tokenizer tok) {
        if (messages.isEmpty()) {
            throw new InputException("messages is empty; expected at least one message");
        }
        for (int i = 0; i < messages.size(); i++) {
            String role = messages.get(i).role();
            if (!role.equals("system") && !role.equals("user") && !role.equals("assistant")) {
                throw new InputException("messages[" + i + "].role is '" + role
                        + "'; expected system, user or assistant");
            }
        }
        return this == PLAIN ? plain(messages, tok) : llama2(messages, tok);
    }

    private static int[] plain(List<Message> messages, Tokenizer tok) {
        List<String> parts = new ArrayList<>();
        for (Message m : messages) {
            parts.add(m.content());
        }
        return tok.encode(String.join("\n", parts), true, false);
    }

    private static int[] llama2(List<Message> messages, Tokenizer tok) {
        List<Message> dialog = new ArrayList<>(messages);
        if (dialog.getFirst().role().equals("system")) {
            if (dialog.size() < 2) {
                throw new InputException("messages has only a system message; expected a user message after it");
            }
            Message sys = dialog.removeFirst();
            Message first = dialog.removeFirst();
            dialog.addFirst(new Message(first.role(), "<<SYS>>\n" + sys.content().strip() + "\n<</SYS>>\n\n"
                    + first.content().strip()));
        }
        int offset = messages.size() - dialog.size();
        for (int i = 0; i < dialog.size(); i++) {
            String expected = i % 2 == 0 ? "user" : "assistant";
            if (!dialog.get(i).role().equals(expected)) {
                throw new InputException("messages[" + (i + offset) + "].role is '" + dialog.get(i).role()
                        + "'; the LLaMA-2 chat format expects user and assistant turns alternating, starting with "
                        + "user (after an optional system message)");
            }
        }
        if (dialog.size() % 2 == 0) {
            throw new InputException("the last message is from the assistant; expected a user message last");
        }
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i + 1 < dialog.size(); i += 2) {
            String turn = "[INST] " + dialog.get(i).content().strip() + " [/INST] "
                    + dialog.get(i + 1).content().strip() + " ";
            for (int t : tok.encode(turn, true, true)) {
                ids.add(t);
            }
        }
        for (int t : tok.encode("[INST] " + dialog.getLast().content().strip() + " [/INST]", true, false)) {
            ids.add(t);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** {@code auto} (see {@link #detect}), {@code llama2} or {@code plain}. */
    public static ChatTemplate named(String name, Path model) {
        return switch (name) {
            case "auto" -> detect(model);
            case "llama2" -> LLAMA2;
            case "plain" -> PLAIN;
            default -> throw new InputException("--chat-template is '" + name + "'; expected one of " + NAMES);
        };
    }

    /**
     * LLAMA2 when the model's own metadata has a chat template in the LLaMA-2 format (GGUF
     * {@code tokenizer.chat_template}, or {@code chat_template} in a Hugging Face directory's
     * {@code tokenizer_config.json}, containing {@code [INST]}); PLAIN otherwise (llama2.c files and .flm carry none).
     */
    public static ChatTemplate detect(Path model) {
        if (Backend.isFlm(model)) {
            return PLAIN;
        }
        String template = switch (ModelLoader.detect(model)) {
            case LLAMA2C -> null;
            case GGUF -> {
                try (Arena arena = Arena.ofConfined()) {
                    GgufValue v = GgufFile.read(MappedFile.map(model, arena)).get("tokenizer.chat_template");
                    yield v instanceof GgufValue.Str s ? s.text() : null;
                }
            }
            case HF_DIRECTORY -> {
                Path cfg = model.resolve("tokenizer_config.json");
                if (!Files.isRegularFile(cfg)) {
                    yield null;
                }
                JsonNode t = Json.read(cfg, 16 << 20).get("chat_template");
                yield t != null && t.isTextual() ? t.asText() : null;
            }
        };
        return template != null && template.contains("[INST]") ? LLAMA2 : PLAIN;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
