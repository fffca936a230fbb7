package io.flightllm.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.runtime.Completion;
import io.flightllm.runtime.TokenLogprob;
import java.util.List;
import java.util.Locale;

/**
 * The OpenAI response objects of one request: a whole completion, stream chunks, the usage chunk.
 *
 * @param logprobs the answer carries {@code logprobs}: completions' legacy arrays (tokens, token_logprobs, top_logprobs,
 *                 text_offset) or chat's content list
 */
record Reply(boolean chat, String id, long created, boolean logprobs) {
    Reply(boolean chat, String id, long created) {
        this(chat, id, created, false);
    }

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

    private static void usage(ObjectNode o, int promptTokens, int completionTokens) {
        ObjectNode u = o.putObject("usage");
        u.put("prompt_tokens", promptTokens);
        u.put("completion_tokens", completionTokens);
        u.put("total_tokens", promptTokens + completionTokens);
    }

    /**
     * One choice per completion, in order; {@code echoes.get(i)} is choice i's echoed prompt text (which precedes its
     * generated text) or null. Usage sums the choices.
     */
    ObjectNode whole(List<Completion> cs, List<String> echoes, String model) {
        ObjectNode o = head(model, false);
        ArrayNode choices = o.putArray("choices");
        for (int i = 0; i < cs.size(); i++) {
            Completion c = cs.get(i);
            String echo = echoes.get(i);
            ObjectNode choice = choices.addObject();
            choice.put("index", i);
            if (chat) {
                ObjectNode m = choice.putObject("message");
                m.put("role", "assistant");
                m.put("content", c.text());
            } else {
                choice.put("text", echo == null ? c.text() : echo + c.text());
            }
            if (logprobs && chat) {
                chatLogprobs(choice.putObject("logprobs"), c.logprobs());
            } else if (logprobs) {
                ObjectNode lp = legacyArrays(choice.putObject("logprobs"));
                int offset = 0;
                if (echo != null) { // the prompt's tokens from 0 along their pieces, then the text after the prompt
                    legacy(lp, c.promptLogprobs(), 0);
                    offset = echo.codePointCount(0, echo.length());
                }
                legacy(lp, c.logprobs(), offset);
            } else {
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", finishReason(c));
        }
        usage(o, cs.stream().mapToInt(Completion::promptTokens).sum(),
                cs.stream().mapToInt(Completion::completionTokens).sum());
        return o;
    }

    /** The chat form: {content: [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}], refusal: null}. */
    private static void chatLogprobs(ObjectNode lp, List<TokenLogprob> scores) {
        ArrayNode content = lp.putArray("content");
        for (TokenLogprob t : scores) {
            ObjectNode e = content.addObject();
            entry(e, t.piece(), t.logprob(), t.bytes());
            ArrayNode top = e.putArray("top_logprobs");
            for (TokenLogprob.Alternative a : t.top()) {
                entry(top.addObject(), a.piece(), a.logprob(), a.bytes());
            }
        }
        lp.putNull("refusal");
    }

    private static void entry(ObjectNode e, String token, double logprob, byte[] bytes) {
        e.put("token", token);
        e.put("logprob", logprob);
        ArrayNode b = e.putArray("bytes");
        for (byte x : bytes) {
            b.add(x & 0xFF);
        }
    }

    /** The legacy completions form's four parallel arrays, empty. */
    private static ObjectNode legacyArrays(ObjectNode lp) {
        lp.putArray("tokens");
        lp.putArray("token_logprobs");
        lp.putArray("top_logprobs");
        lp.putArray("text_offset");
        return lp;
    }

    /**
     * Appends {@code scores} to the legacy arrays, text_offset counting code points into the returned text from
     * {@code offset}; returns the offset after them.
     */
    private static int legacy(ObjectNode lp, List<TokenLogprob> scores, int offset) {
        for (TokenLogprob t : scores) {
            ((ArrayNode) lp.get("tokens")).add(t.piece());
            ((ArrayNode) lp.get("token_logprobs")).add(t.logprob());
            ObjectNode alts = ((ArrayNode) lp.get("top_logprobs")).addObject();
            for (TokenLogprob.Alternative a : t.top()) {
                if (!alts.has(a.piece())) { // two ids with one text: the likelier one (listed first)
                    alts.put(a.piece(), a.logprob());
                }
            }
            ((ArrayNode) lp.get("text_offset")).add(offset);
            offset += t.piece().codePointCount(0, t.piece().length());
        }
        return offset;
    }

    /**
     * A stream chunk with {@code text}; {@code role} marks a chat stream's first chunk; {@code end} (non-null) makes
     * it the last chunk, carrying the finish reason.
     */
    ObjectNode chunk(String model, String text, boolean role, Completion end) {
        return chunk(model, text, role, end, List.of(), 0);
    }

    /**
     * As {@link #chunk(String, String, boolean, Completion)}, carrying the scores of the tokens sampled since the
     * previous chunk when the request asked for logprobs; {@code offset} is where {@code text} starts in the whole
     * text (code points, for the legacy form's text_offset).
     */
    ObjectNode chunk(String model, String text, boolean role, Completion end, List<TokenLogprob> scores, int offset) {
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
        if (logprobs && chat) {
            chatLogprobs(choice.putObject("logprobs"), scores);
        } else if (logprobs) {
            legacy(legacyArrays(choice.putObject("logprobs")), scores, offset);
        } else {
            choice.putNull("logprobs");
        }
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
        usage(o, c.promptTokens(), c.completionTokens());
        return o;
    }
}
