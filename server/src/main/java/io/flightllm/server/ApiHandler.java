package io.flightllm.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flightllm.runtime.ChatTemplate;
import io.flightllm.runtime.Completion;
import io.flightllm.runtime.ContextLengthException;
import io.flightllm.runtime.Engine;
import io.flightllm.runtime.GenerationRequest;
import io.flightllm.runtime.InputException;
import io.flightllm.runtime.TokenLogprob;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible routes on Jetty's core handler API. Every answer, errors included, is JSON with an
 * OpenAI-style error body; a handler runs on its own virtual thread, so a request that waits for a worker or streams
 * tokens holds no platform thread.
 */
final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    /** Status recorded for a client that went away before its answer was complete (nginx's convention). */
    static final int CLIENT_CLOSED = 499;
    /** OpenAI's legacy default for /v1/completions. */
    static final int DEFAULT_COMPLETION_TOKENS = 16;
    private static final Map<String, String> ROUTES = Map.of(
            "/v1/completions", "POST", "/v1/chat/completions", "POST", "/v1/models", "GET", "/health", "GET",
            "/metrics", "GET");

    private final Engine engine;
    private final ChatTemplate template;
    private final ServerConfig config;
    private final ServerMetrics metrics;
    private final long created = System.currentTimeMillis() / 1000;

    ApiHandler(Engine engine, ChatTemplate template, ServerConfig config, ServerMetrics metrics) {
        this.engine = engine;
        this.template = template;
        this.config = config;
        this.metrics = metrics;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long t0 = System.nanoTime();
        String path = Request.getPathInContext(request);
        String modelPath = "/v1/models/";
        String route = path.startsWith(modelPath) ? modelPath : path;
        String endpoint = ROUTES.containsKey(route) || route.equals(modelPath) ? route : "other";
        int status;
        try {
            status = route(request, response, callback, route, path, t0);
        } catch (ApiException e) {
            status = sendError(response, callback, e);
        } catch (Throwable t) {
            LOG.warn("internal error on {} {}", request.getMethod(), path, t);
            status = sendError(response, callback, new ApiException(500, "server_error", null, "internal_error",
                    "internal error: " + t));
        }
        metrics.request(endpoint, status, System.nanoTime() - t0);
        return true;
    }

    private int route(Request request, Response response, Callback callback, String route, String path, long t0)
            throws Exception {
        String method = request.getMethod();
        String allowed = route.equals("/v1/models/") ? "GET" : ROUTES.get(route);
        if (allowed == null) {
            throw new ApiException(404, "invalid_request_error", null, "unknown_url", "unknown URL " + method + " "
                    + path + "; the routes are POST /v1/completions, POST /v1/chat/completions, GET /v1/models, "
                    + "GET /health, GET /metrics");
        }
        if (!allowed.equals(method)) {
            response.getHeaders().put(HttpHeader.ALLOW, allowed);
            throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", method + " " + path
                    + " is not allowed; use " + allowed);
        }
        return switch (route) {
            case "/v1/completions" -> generate(request, response, callback, false, t0);
            case "/v1/chat/completions" -> generate(request, response, callback, true, t0);
            case "/v1/models" -> sendJson(response, callback, 200, modelList());
            case "/v1/models/" -> {
                String id = path.substring(route.length());
                if (!id.equals(config.modelId())) {
                    throw unknownModel(id);
                }
                yield sendJson(response, callback, 200, modelObject());
            }
            case "/health" -> sendJson(response, callback, 200, health());
            case "/metrics" -> send(response, callback, 200, metrics.contentType(), metrics.scrape());
            default -> throw new IllegalStateException(route);
        };
    }

    // ---- generation ----

    private int generate(Request request, Response response, Callback callback, boolean chat, long t0)
            throws IOException, InterruptedException {
        JsonNode body = RequestBody.parseObject(RequestBody.read(request, config.maxBodyBytes()));
        GenerationParams p = chat ? GenerationParams.chat(body, engine.contextLength())
                : GenerationParams.completion(body, engine.contextLength());
        if (!p.model().equals(config.modelId())) {
            throw unknownModel(p.model());
        }
        long seed = p.seed() == null ? ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE)
                : GenerationRequest.seedOrClock(p.seed());
        List<GenerationRequest> gs = new ArrayList<>();
        List<String> echoes = new ArrayList<>();
        int n = chat ? 1 : p.prompts().size();
        for (int i = 0; i < n; i++) {
            String where = chat ? "messages" : n == 1 ? "prompt" : "prompt[" + i + "]";
            GenerationParams.Prompt pr = chat ? null : p.prompts().get(i);
            int[] prompt;
            try {
                prompt = chat ? template.encode(p.messages(), engine.tokenizer())
                        : pr.ids() != null ? withBos(pr.ids(), where)
                        : engine.tokenizer().encode(pr.text(), true, false);
            } catch (InputException e) {
                throw ApiException.invalid(chat ? "messages" : "prompt", "invalid_value", where + ": "
                        + e.getMessage());
            }
            gs.add(request(p, chat, prompt, seed, t0, where));
            echoes.add(!p.echo() ? null : pr.text() != null ? pr.text() : promptText(prompt));
        }
        Reply reply = new Reply(chat, "%s-%s".formatted(chat ? "chatcmpl" : "cmpl",
                UUID.randomUUID().toString().replace("-", "")), System.currentTimeMillis() / 1000,
                p.logprobs() != null);
        return p.stream() ? stream(request, response, callback, gs.getFirst(), p, reply, t0)
                : whole(request, response, callback, gs, echoes, reply);
    }

    /** One generation of a request: its max_tokens (or the default that fits), logprobs, scoring and deadline. */
    private GenerationRequest request(GenerationParams p, boolean chat, int[] prompt, long seed, long t0,
                                      String where) {
        int fits = engine.maxNewTokens(prompt.length);
        int maxTokens = p.maxTokens() != null ? p.maxTokens()
                : chat ? fits : Math.min(DEFAULT_COMPLETION_TOKENS, fits);
        boolean scoreOnly = p.echo() && maxTokens == 0; // echo with max_tokens 0: the prompt, scored, and nothing new
        if (maxTokens < 1 && !scoreOnly || prompt.length - 1 > engine.contextLength()) {
            throw ApiException.invalid(chat ? "messages" : "prompt", "context_length_exceeded", where + " is "
                    + prompt.length + " tokens (with BOS) but the context holds " + engine.contextLength()
                    + " positions; no token can be generated");
        }
        boolean scorePrompt = p.echo() && (p.logprobs() != null || scoreOnly);
        int logprobs = p.logprobs() != null ? p.logprobs() : scorePrompt ? 0 : -1;
        // a stop token inside a completion prompt ends the run there, as in `run`; a scored prompt is scored whole
        return new GenerationRequest(prompt, !chat && !scorePrompt, maxTokens, p.temperature(), p.topP(), seed,
                p.stop(), t0 + config.requestTimeout().toNanos(), logprobs, scorePrompt);
    }

    /** A token-id prompt, BOS first (added unless it is there), every id checked against the vocabulary. */
    private int[] withBos(int[] ids, String where) {
        int vocab = engine.model().vocabSize();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= vocab) {
                throw ApiException.invalid("prompt", "invalid_value", where + "[" + i + "] is token " + ids[i]
                        + "; expected an id below the vocabulary size " + vocab);
            }
        }
        int bos = engine.tokenizer().bosId();
        if (ids.length > 0 && ids[0] == bos) {
            return ids;
        }
        int[] out = new int[ids.length + 1];
        out[0] = bos;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** The text of a token prompt after BOS, as generation would print it. */
    private String promptText(int[] prompt) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int i = 1; i < prompt.length; i++) {
            b.writeBytes(engine.tokenizer().decode(prompt[i - 1], prompt[i]));
        }
        return b.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private Engine.Handle submit(GenerationRequest g, java.util.function.Consumer<String> onText) {
        return submit(g, onText, score -> { });
    }

    private Engine.Handle submit(GenerationRequest g, java.util.function.Consumer<String> onText,
                                 java.util.function.Consumer<TokenLogprob> onScore) {
        try {
            return engine.submit(g, onText, onScore);
        } catch (ContextLengthException e) {
            throw ApiException.invalid("max_tokens", "context_length_exceeded", e.getMessage());
        } catch (Engine.QueueFullException e) {
            throw new ApiException(429, "rate_limit_error", null, "queue_full", e.getMessage());
        } catch (IllegalStateException e) {
            throw new ApiException(503, "server_error", null, "shutting_down", e.getMessage());
        }
    }

    /**
     * A non-streaming answer: the whole completion as one JSON object, one choice per prompt. A batch's generations are
     * queued together (a full queue refuses the whole batch with 429) and the answer waits for all of them.
     */
    private int whole(Request request, Response response, Callback callback, List<GenerationRequest> gs,
                      List<String> echoes, Reply reply) throws InterruptedException {
        List<Engine.Handle> hs = new ArrayList<>();
        try {
            for (GenerationRequest g : gs) {
                hs.add(submit(g, text -> { }));
            }
        } catch (ApiException e) {
            hs.forEach(Engine.Handle::cancel);
            throw e;
        }
        Runnable cancelAll = () -> hs.forEach(Engine.Handle::cancel);
        request.addFailureListener(t -> cancelAll.run());
        DisconnectProbe probe = DisconnectProbe.watch(request, cancelAll);
        List<Completion> cs = new ArrayList<>();
        try {
            for (Engine.Handle h : hs) {
                cs.add(h.result().get());
            }
        } catch (ExecutionException e) {
            cancelAll.run();
            throw new IllegalStateException("generation failed", e.getCause());
        } catch (InterruptedException e) {
            cancelAll.run();
            throw e;
        } finally {
            if (probe.disarm()) {
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
        }
        cs.forEach(this::account);
        if (cs.stream().anyMatch(c -> c.finishReason() == Completion.FinishReason.TIMEOUT)) {
            throw timeout();
        }
        if (cs.stream().anyMatch(c -> c.finishReason() == Completion.FinishReason.CANCELLED)) {
            callback.failed(new IOException("the client closed the connection; generation cancelled"));
            return CLIENT_CLOSED;
        }
        return sendJson(response, callback, 200, reply.whole(cs, echoes, config.modelId()));
    }

    /** A streaming answer: server-sent events, one chunk per text delta, a final chunk, then {@code data: [DONE]}. */
    private int stream(Request request, Response response, Callback callback, GenerationRequest g,
                       GenerationParams p, Reply reply, long t0) {
        LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>(); // text, token scores, then the completion
        Engine.Handle h = submit(g, events::add, events::add); // 429 here, before anything is committed
        h.result().whenComplete((c, t) -> events.add(c != null ? c : t));
        request.addFailureListener(t -> h.cancel());
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        try {
            if (reply.chat()) {
                event(response, reply.chunk(config.modelId(), "", true, null));
            }
            boolean first = true;
            List<TokenLogprob> scores = new ArrayList<>(); // sampled since the last chunk (their text may be held back)
            int offset = 0;
            while (true) {
                Object e = events.take();
                if (e instanceof TokenLogprob t) {
                    scores.add(t);
                } else if (e instanceof String text) {
                    if (first) {
                        metrics.firstToken(System.nanoTime() - t0);
                        first = false;
                    }
                    event(response, reply.chunk(config.modelId(), text, false, null, scores, offset));
                    for (TokenLogprob t : scores) {
                        offset += t.piece().codePointCount(0, t.piece().length());
                    }
                    scores.clear();
                } else if (e instanceof Completion c) {
                    account(c);
                    switch (c.finishReason()) {
                        case TIMEOUT -> event(response, errorBody(timeout()));
                        case CANCELLED -> {
                            h.cancel();
                            callback.failed(new IOException("generation cancelled"));
                            return CLIENT_CLOSED;
                        }
                        default -> {
                            event(response, reply.chunk(config.modelId(), "", false, c, scores, offset));
                            if (p.includeUsage()) {
                                event(response, reply.usageChunk(config.modelId(), c));
                            }
                        }
                    }
                    break;
                } else {
                    LOG.warn("generation failed", (Throwable) e);
                    event(response, errorBody(new ApiException(500, "server_error", null, "internal_error",
                            "internal error: " + e)));
                    break;
                }
            }
            Content.Sink.write(response, true, ByteBuffer.wrap("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8)));
            callback.succeeded();
            return 200;
        } catch (IOException | InterruptedException e) {
            h.cancel(); // the client went away: stop generating for it
            callback.failed(e);
            return CLIENT_CLOSED;
        }
    }

    private static void event(Response response, ObjectNode data) throws IOException {
        byte[] json = RequestBody.JSON.writeValueAsBytes(data);
        ByteBuffer buf = ByteBuffer.allocate(json.length + 8);
        buf.put("data: ".getBytes(StandardCharsets.US_ASCII)).put(json).put((byte) '\n').put((byte) '\n').flip();
        Content.Sink.write(response, false, buf);
    }

    private void account(Completion c) {
        metrics.tokens(c.promptTokens(), c.completionTokens());
        metrics.queueWait(c.queueNanos());
    }

    private ApiException timeout() {
        return new ApiException(503, "server_error", null, "timeout", "the request did not finish within "
                + config.requestTimeout().toSeconds() + " s (--request-timeout); retry later or ask for fewer tokens");
    }

    private ApiException unknownModel(String id) {
        return new ApiException(404, "invalid_request_error", "model", "model_not_found", "the model '" + id
                + "' does not exist; this server serves '" + config.modelId() + "'");
    }

    // ---- simple routes ----

    private ObjectNode modelObject() {
        ObjectNode m = RequestBody.JSON.createObjectNode();
        m.put("id", config.modelId());
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "flightllm");
        return m;
    }

    private ObjectNode modelList() {
        ObjectNode list = RequestBody.JSON.createObjectNode();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        data.add(modelObject());
        return list;
    }

    private ObjectNode health() {
        ObjectNode h = RequestBody.JSON.createObjectNode();
        h.put("status", "ok");
        h.put("model", config.modelId());
        h.put("workers", engine.workers());
        h.put("running", engine.running());
        h.put("queued", engine.queued());
        return h;
    }

    // ---- writing ----

    static ObjectNode errorBody(ApiException e) {
        ObjectNode root = RequestBody.JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type);
        err.put("param", e.param);
        err.put("code", e.code);
        return root;
    }

    private static int sendError(Response response, Callback callback, ApiException e) {
        if (response.isCommitted()) {
            callback.failed(e);
            return e.status;
        }
        return sendJson(response, callback, e.status, errorBody(e));
    }

    private static int sendJson(Response response, Callback callback, int status, ObjectNode body) {
        try {
            return send(response, callback, status, "application/json", RequestBody.JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int send(Response response, Callback callback, int status, String type, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        try {
            Content.Sink.write(response, true, ByteBuffer.wrap(body));
            callback.succeeded();
            return status;
        } catch (IOException e) {
            callback.failed(e);
            return CLIENT_CLOSED;
        }
    }
}
