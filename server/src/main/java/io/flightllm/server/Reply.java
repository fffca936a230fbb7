package io.flightllm.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.runtime.Completion;
import java.util.Locale;

/** The OpenAI response objects of one request: a whole completion, stream chunks, the usage chunk. */
record Reply(boolean chat, String id, long created) {
    private ObjectNode head(String model, boolean chunk) {
        ObjectNode o = RequestBody.JSON.createObjectNode();
        o.put("id", id);
        o.put("object", chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion");
        o.put("created", created);
        o.put("model", model);
        return o;
    }

    static String finishReason(Completion c) {
        return c.finishReason().name().toLowerCase(Locale.ROOT); // stop or length
    }

    private static void usage(ObjectNode o, Completion c) {
        ObjectNode u = o.putObject("usage");
        u.put("prompt_tokens", c.promptTokens());
        u.put("completion_tokens", c.completionTokens());
        u.put("total_tokens", c.promptTokens() + c.completionTokens());
    }

    ObjectNode whole(Completion c, String model) {
        ObjectNode o = head(model, false);
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode m = choice.putObject("message");
            m.put("role", "assistant");
            m.put("content", c.text());
        } else {
            choice.put("text", c.text());
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(c));
        usage(o, c);
        return o;
    }

    /**
     * A stream chunk with {@code text}; {@code role} marks a chat stream's first chunk; {@code end} (non-null) makes
     * it the last chunk, carrying the finish reason.
     */
    ObjectNode chunk(String model, String text, boolean role, Completion end) {
        ObjectNode o = head(model, true);
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode d = choice.putObject("delta");
            if (role) {
                d.put("role", "assistant");
            }
            if (end == null) {
                d.put("content", text);
            }
        } else {
            choice.put("text", text);
        }
        choice.putNull("logprobs");
        if (end == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason(end));
        }
        return o;
    }

    /** The extra chunk of {@code stream_options.include_usage}: no choices, the usage. */
    ObjectNode usageChunk(String model, Completion c) {
        ObjectNode o = head(model, true);
        o.putArray("choices");
        usage(o, c);
        return o;
    }
}
