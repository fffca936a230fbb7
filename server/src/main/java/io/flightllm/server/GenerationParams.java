package io.flightllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.flightllm.runtime.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The validated fields of a completion or chat request. Absent and null fields take their defaults; a field of the
 * wrong type or out of range is a 400 naming it. Fields this server does not implement are refused when they would
 * change the answer (n > 1, best_of > 1, tools; echo with stream) and ignored
 * otherwise (user, presence and frequency penalties of 0, logit_bias {}).
 *
 * @param maxTokens  requested tokens, or null for the default (0 only with echo: score the prompt)
 * @param seed       the sampler seed, or null for a random one
 * @param prompts    the completion prompts, one per choice (null for chat)
 * @param messages   the chat messages (null for completions)
 * @param logprobs   alternatives per token (0 to 20; completions' logprobs, chat's top_logprobs with logprobs = true),
 *                   or null for no log-probabilities
 * @param echo       completions: the prompt precedes the text (and is scored when logprobs is set)
 */
record GenerationParams(String model, Integer maxTokens, float temperature, float topP, Long seed, List<String> stop,
                        boolean stream, boolean includeUsage, List<Prompt> prompts,
                        List<ChatTemplate.Message> messages, Integer logprobs, boolean echo) {
    /** Most prompts in one completions request (each is one choice). */
    static final int MAX_PROMPTS = 64;

    /** One completion prompt: text, or token ids (then {@code text} is null). */
    record Prompt(String text, int[] ids) {
    }

    /** Most stop strings accepted (OpenAI's limit). */
    static final int MAX_STOPS = 4;

    static GenerationParams completion(JsonNode body, int maxTokensLimit) {
        return parse(body, false, maxTokensLimit);
    }

    static GenerationParams chat(JsonNode body, int maxTokensLimit) {
        return parse(body, true, maxTokensLimit);
    }

    private static GenerationParams parse(JsonNode b, boolean chat, int maxTokensLimit) {
        String model = string(b, "model");
        if (model == null) {
            throw ApiException.invalid("model", "missing_required_parameter", "model is missing; expected the id "
                    + "of a model from GET /v1/models");
        }
        boolean echo = !chat && bool(b, "echo", false);
        Integer maxTokens = integer(b, "max_tokens", echo ? 0 : 1, maxTokensLimit);
        if (chat) {
            Integer mct = integer(b, "max_completion_tokens", 1, maxTokensLimit);
            if (mct != null && maxTokens != null && !mct.equals(maxTokens)) {
                throw ApiException.invalid("max_completion_tokens", "invalid_value", "max_tokens (" + maxTokens
                        + ") and max_completion_tokens (" + mct + ") differ; give one of them");
            }
            maxTokens = mct != null ? mct : maxTokens;
        }
        float temperature = number(b, "temperature", 0, 2, 1);
        float topP = number(b, "top_p", 0, 1, 1);
        Long seed = int64(b, "seed");
        List<String> stop = stops(b);
        boolean stream = bool(b, "stream", false);
        boolean includeUsage = false;
        JsonNode so = present(b, "stream_options");
        if (so != null) {
            if (!so.isObject()) {
                throw wrongType("stream_options", "an object", so);
            }
            includeUsage = bool(so, "include_usage", false, "stream_options.include_usage");
        }
        refuseUnsupported(b, chat);
        Integer logprobs = chat ? chatLogprobs(b) : logprobs(b);
        if (stream && echo) {
            throw ApiException.invalid("echo", "unsupported_value", "echo with stream = true is not supported; ask "
                    + "without stream");
        }
        List<Prompt> prompts = null;
        List<ChatTemplate.Message> messages = null;
        if (chat) {
            messages = messages(b);
        } else {
            prompts = prompts(b);
            if (stream && prompts.size() > 1) {
                throw ApiException.invalid("prompt", "unsupported_value", "a batch of " + prompts.size()
                        + " prompts with stream = true is not supported; stream one prompt per request");
            }
        }
        return new GenerationParams(model, maxTokens, temperature, topP, seed, stop, stream, includeUsage, prompts,
                messages, logprobs, echo);
    }

    /** Completions' logprobs: an integer 0 to 20 (alternatives per token); null, absent or false: none. */
    private static Integer logprobs(JsonNode b) {
        JsonNode lp = present(b, "logprobs");
        if (lp == null || (lp.isBoolean() && !lp.asBoolean())) {
            return null;
        }
        return alternatives("logprobs", lp);
    }

    /** A count of alternatives per token: an integer 0 to GenerationRequest.MAX_LOGPROBS. */
    private static int alternatives(String field, JsonNode n) {
        int max = io.flightllm.runtime.GenerationRequest.MAX_LOGPROBS;
        if (!n.isIntegralNumber()) {
            throw wrongType(field, "an integer 0 to " + max + " (alternatives per token)", n);
        }
        if (!n.canConvertToInt() || n.asInt() < 0 || n.asInt() > max) {
            throw ApiException.invalid(field, "invalid_value", field + " is " + n + "; expected 0 to " + max);
        }
        return n.asInt();
    }

    /** Chat's logprobs (a boolean) and top_logprobs (0 to 20, only with logprobs): alternatives per token or null. */
    private static Integer chatLogprobs(JsonNode b) {
        JsonNode lp = present(b, "logprobs");
        if (lp != null && !lp.isBoolean()) {
            throw wrongType("logprobs", "a boolean (chat completions; top_logprobs sets the alternatives)", lp);
        }
        JsonNode top = present(b, "top_logprobs");
        boolean on = lp != null && lp.asBoolean();
        if (top != null && !on) {
            throw ApiException.invalid("top_logprobs", "invalid_value", "top_logprobs needs logprobs = true");
        }
        if (!on) {
            return null;
        }
        return top == null ? 0 : alternatives("top_logprobs", top);
    }

    /**
     * The prompts: a string, an array of token ids, or an array of strings or of token-id arrays (a batch: one choice
     * each). Absent: one empty prompt (BOS alone). Ids are checked against the vocabulary by the caller.
     */
    private static List<Prompt> prompts(JsonNode b) {
        JsonNode p = present(b, "prompt");
        if (p == null) {
            return List.of(new Prompt("", null)); // OpenAI's default prompt is <|endoftext|>: here, BOS alone
        }
        if (p.isTextual()) {
            return List.of(new Prompt(p.asText(), null));
        }
        if (p.isArray() && !p.isEmpty() && p.get(0).isNumber()) {
            return List.of(new Prompt(null, ids(p, "prompt")));
        }
        if (!p.isArray() || p.isEmpty()) {
            throw ApiException.invalid("prompt", "invalid_type", "prompt is " + describe(p) + "; expected a string, "
                    + "an array of token ids, or a non-empty array of those");
        }
        if (p.size() > MAX_PROMPTS) {
            throw ApiException.invalid("prompt", "invalid_value", "prompt holds " + p.size() + " prompts; expected at "
                    + "most " + MAX_PROMPTS);
        }
        List<Prompt> out = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            JsonNode e = p.get(i);
            if (e.isTextual()) {
                out.add(new Prompt(e.asText(), null));
            } else if (e.isArray() && !e.isEmpty()) {
                out.add(new Prompt(null, ids(e, "prompt[" + i + "]")));
            } else {
                throw ApiException.invalid("prompt", "invalid_type", "prompt[" + i + "] is " + describe(e)
                        + "; expected a string or a non-empty array of token ids");
            }
        }
        return out;
    }

    /** A non-empty JSON array of token ids (non-negative integers). */
    private static int[] ids(JsonNode p, String where) {
        int[] ids = new int[p.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = p.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0) {
                throw ApiException.invalid("prompt", "invalid_type", where + "[" + i + "] is " + describe(t)
                        + "; expected a token id (a non-negative integer)");
            }
            ids[i] = t.asInt();
        }
        return ids;
    }

    private static void refuseUnsupported(JsonNode b, boolean chat) {
        JsonNode n = present(b, "n");
        if (n != null && !(n.isIntegralNumber() && n.asLong() == 1)) {
            throw ApiException.invalid("n", "unsupported_value", "n is " + n + "; this server returns one choice "
                    + "(n = 1)");
        }
        JsonNode bestOf = present(b, "best_of");
        if (bestOf != null && !(bestOf.isIntegralNumber() && bestOf.asLong() == 1)) {
            throw ApiException.invalid("best_of", "unsupported_value", "best_of is " + bestOf + "; only 1 is supported");
        }
        if (chat && bool(b, "echo", false)) {
            throw ApiException.invalid("echo", "unsupported_value", "echo = true is not supported on chat");
        }
        for (String f : List.of("presence_penalty", "frequency_penalty")) {
            if (number(b, f, -2, 2, 0) != 0) {
                throw ApiException.invalid(f, "unsupported_value", f + " is not supported (only 0)");
            }
        }
        JsonNode bias = present(b, "logit_bias");
        if (bias != null && !(bias.isObject() && bias.isEmpty())) {
            throw ApiException.invalid("logit_bias", "unsupported_value", "logit_bias is not supported");
        }
        if (chat) {
            for (String f : List.of("tools", "functions", "response_format")) {
                JsonNode t = present(b, f);
                if (t != null && !(f.equals("response_format") && t.isObject()
                        && "text".equals(t.path("type").asText()))) {
                    throw ApiException.invalid(f, "unsupported_value", f + " is not supported");
                }
            }
        }
    }

    private static List<ChatTemplate.Message> messages(JsonNode b) {
        JsonNode ms = present(b, "messages");
        if (ms == null) {
            throw ApiException.invalid("messages", "missing_required_parameter", "messages is missing; expected an "
                    + "array of {role, content} objects");
        }
        if (!ms.isArray() || ms.isEmpty()) {
            throw ApiException.invalid("messages", "invalid_type", "messages is " + describe(ms)
                    + "; expected a non-empty array of {role, content} objects");
        }
        List<ChatTemplate.Message> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            String where = "messages[" + i + "]";
            JsonNode m = ms.get(i);
            if (!m.isObject()) {
                throw wrongType(where, "an object with role and content", m);
            }
            String role = string(m, "role", where + ".role");
            if (role == null) {
                throw ApiException.invalid(where + ".role", "missing_required_parameter", where + ".role is missing");
            }
            if (role.equals("developer")) {
                role = "system"; // OpenAI's newer name for the system role
            }
            out.add(new ChatTemplate.Message(role, content(m.get("content"), where + ".content")));
        }
        return out;
    }

    /** A string, or an array of {type: "text", text} parts joined; null only for an assistant turn. */
    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < c.size(); i++) {
                JsonNode part = c.get(i);
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.invalid(where + "[" + i + "]", "invalid_type", where + "[" + i + "] is "
                            + describe(part) + "; expected {\"type\": \"text\", \"text\": string} (only text parts)");
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw wrongType(where, "a string or an array of text parts", c);
    }

    private static List<String> stops(JsonNode b) {
        JsonNode s = present(b, "stop");
        if (s == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (s.isTextual()) {
            out.add(s.asText());
        } else if (s.isArray()) {
            if (s.size() > MAX_STOPS) {
                throw ApiException.invalid("stop", "invalid_value", "stop has " + s.size() + " strings; at most "
                        + MAX_STOPS);
            }
            for (JsonNode e : s) {
                if (!e.isTextual()) {
                    throw wrongType("stop", "a string or an array of strings", s);
                }
                out.add(e.asText());
            }
        } else {
            throw wrongType("stop", "a string or an array of strings", s);
        }
        for (String x : out) {
            if (x.isEmpty()) {
                throw ApiException.invalid("stop", "invalid_value", "stop contains an empty string");
            }
        }
        return out;
    }

    // ---- typed fields; null counts as absent ----

    private static JsonNode present(JsonNode b, String field) {
        JsonNode n = b.get(field);
        return n == null || n.isNull() ? null : n;
    }

    private static String string(JsonNode b, String field) {
        return string(b, field, field);
    }

    private static String string(JsonNode b, String field, String name) {
        JsonNode n = present(b, field);
        if (n == null) {
            return null;
        }
        if (!n.isTextual()) {
            throw wrongType(name, "a string", n);
        }
        return n.asText();
    }

    private static boolean bool(JsonNode b, String field, boolean fallback) {
        return bool(b, field, fallback, field);
    }

    private static boolean bool(JsonNode b, String field, boolean fallback, String name) {
        JsonNode n = present(b, field);
        if (n == null) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw wrongType(name, "true or false", n);
        }
        return n.asBoolean();
    }

    private static Integer integer(JsonNode b, String field, int min, int max) {
        JsonNode n = present(b, field);
        if (n == null) {
            return null;
        }
        if (!n.isIntegralNumber()) {
            throw wrongType(field, "an integer", n);
        }
        if (!n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw ApiException.invalid(field, "invalid_value", field + " is " + n + "; expected " + min + " to " + max
                    + " (the context length)");
        }
        return n.intValue();
    }

    private static Long int64(JsonNode b, String field) {
        JsonNode n = present(b, field);
        if (n == null) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw wrongType(field, "a 64-bit integer", n);
        }
        return n.asLong();
    }

    private static float number(JsonNode b, String field, double min, double max, float fallback) {
        JsonNode n = present(b, field);
        if (n == null) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw wrongType(field, "a number", n);
        }
        double v = n.asDouble();
        if (!(v >= min && v <= max)) {
            throw ApiException.invalid(field, "invalid_value", String.format(Locale.ROOT, "%s is %s; expected %s to %s",
                    field, n, fmt(min), fmt(max)));
        }
        return (float) v;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static ApiException wrongType(String field, String expected, JsonNode n) {
        return ApiException.invalid(field, "invalid_type", field + " is " + describe(n) + "; expected " + expected);
    }

    /** A short description of a JSON value for messages: its type and, when short, its text. */
    static String describe(JsonNode n) {
        String type = n.getNodeType().name().toLowerCase(Locale.ROOT);
        String text = n.toString();
        return text.length() <= 40 ? type + " " + text : "a " + type;
    }
}
