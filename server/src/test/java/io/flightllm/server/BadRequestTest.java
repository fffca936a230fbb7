package io.flightllm.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import io.flightllm.server.testing.Http;
import io.flightllm.server.testing.TestServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Each bad request is one test over plain HTTP: a 4xx with an OpenAI-style error body naming the field, and the server
 * still answers /health and a good completion afterwards.
 */
class BadRequestTest {
    private static TestServer server;
    private static Http http;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer();
        http = new Http(server.uri());
    }

    @AfterAll
    static void stop() throws Exception {
        http.close();
        server.close();
    }

    /** One bad input: what to send, the expected status, error code and param (null = none). */
    record Case(String name, Supplier<Http.Reply> send, int status, String code, String param) {
    }

    private static Case post(String name, String path, String body, int status, String code, String param) {
        return new Case(name, () -> http.post(path, body), status, code, param);
    }

    private static Case completion(String name, String body, int status, String code, String param) {
        return post(name, "/v1/completions", body, status, code, param);
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(completion("malformed JSON", "{\"model\": \"stories260K\", \"prompt\": ", 400, "invalid_json", null));
        c.add(completion("trailing garbage", "{\"model\": \"stories260K\"} x", 400, "invalid_json", null));
        c.add(completion("duplicate key", "{\"model\": \"stories260K\", \"model\": \"x\"}", 400, "invalid_json", null));
        c.add(completion("a JSON array", "[1, 2]", 400, "invalid_json", null));
        c.add(completion("empty body", "", 400, "invalid_json", null));
        c.add(completion("model missing", "{\"prompt\": \"x\"}", 400, "missing_required_parameter", "model"));
        c.add(completion("model a number", "{\"model\": 7, \"prompt\": \"x\"}", 400, "invalid_type", "model"));
        c.add(completion("max_tokens a string", "{\"model\": \"stories260K\", \"max_tokens\": \"ten\"}", 400,
                "invalid_type", "max_tokens"));
        c.add(completion("max_tokens fractional", "{\"model\": \"stories260K\", \"max_tokens\": 2.5}", 400,
                "invalid_type", "max_tokens"));
        c.add(completion("max_tokens negative", "{\"model\": \"stories260K\", \"max_tokens\": -5}", 400,
                "invalid_value", "max_tokens"));
        c.add(completion("max_tokens zero", "{\"model\": \"stories260K\", \"max_tokens\": 0}", 400, "invalid_value",
                "max_tokens"));
        c.add(completion("max_tokens huge", "{\"model\": \"stories260K\", \"max_tokens\": 1000000000000000000000}",
                400, "invalid_value", "max_tokens"));
        c.add(completion("max_tokens over the context", "{\"model\": \"stories260K\", \"max_tokens\": 513}", 400,
                "invalid_value", "max_tokens"));
        c.add(completion("prompt + max_tokens over the context",
                "{\"model\": \"stories260K\", \"prompt\": \"Once upon a time\", \"max_tokens\": 512}", 400,
                "context_length_exceeded", "max_tokens"));
        c.add(completion("temperature a string", "{\"model\": \"stories260K\", \"temperature\": \"hot\"}", 400,
                "invalid_type", "temperature"));
        c.add(completion("temperature out of range", "{\"model\": \"stories260K\", \"temperature\": 3}", 400,
                "invalid_value", "temperature"));
        c.add(completion("top_p out of range", "{\"model\": \"stories260K\", \"top_p\": -0.1}", 400,
                "invalid_value", "top_p"));
        c.add(completion("seed a float", "{\"model\": \"stories260K\", \"seed\": 1.5}", 400, "invalid_type", "seed"));
        c.add(completion("stream not a boolean", "{\"model\": \"stories260K\", \"stream\": \"yes\"}", 400,
                "invalid_type", "stream"));
        c.add(completion("stop not strings", "{\"model\": \"stories260K\", \"stop\": [1]}", 400, "invalid_type",
                "stop"));
        c.add(completion("five stop strings", "{\"model\": \"stories260K\", \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}",
                400, "invalid_value", "stop"));
        c.add(completion("prompt a number", "{\"model\": \"stories260K\", \"prompt\": 42}", 400, "invalid_type",
                "prompt"));
        c.add(completion("n = 2", "{\"model\": \"stories260K\", \"n\": 2}", 400, "unsupported_value", "n"));
        c.add(completion("logprobs over 20", "{\"model\": \"stories260K\", \"logprobs\": 21}", 400, "invalid_value",
                "logprobs"));
        c.add(completion("logprobs true (completions take a count)", "{\"model\": \"stories260K\", \"logprobs\": "
                + "true}", 400, "invalid_type", "logprobs"));
        c.add(completion("echo with stream", "{\"model\": \"stories260K\", \"echo\": true, \"stream\": true}", 400,
                "unsupported_value", "echo"));
        c.add(completion("token id beyond the vocabulary", "{\"model\": \"stories260K\", \"prompt\": [5, 512]}",
                400, "invalid_value", "prompt"));
        c.add(completion("negative token id", "{\"model\": \"stories260K\", \"prompt\": [[5, -1]]}", 400,
                "invalid_type", "prompt"));
        c.add(completion("a batch mixing a prompt and a number", "{\"model\": \"stories260K\", \"prompt\": "
                + "[\"a\", 6]}", 400, "invalid_type", "prompt"));
        c.add(completion("an empty prompt array", "{\"model\": \"stories260K\", \"prompt\": []}", 400,
                "invalid_type", "prompt"));
        c.add(completion("a batch with stream", "{\"model\": \"stories260K\", \"prompt\": [\"a\", \"b\"], "
                + "\"stream\": true}", 400, "unsupported_value", "prompt"));
        c.add(completion("a batch of 65 prompts", "{\"model\": \"stories260K\", \"prompt\": ["
                + "\"a\",".repeat(64) + "\"a\"]}", 400, "invalid_value", "prompt"));
        String chatHi = "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], ";
        c.add(post("chat logprobs a count (chat takes a boolean)", "/v1/chat/completions", chatHi + "\"logprobs\": 3}",
                400, "invalid_type", "logprobs"));
        c.add(post("chat top_logprobs without logprobs", "/v1/chat/completions", chatHi + "\"top_logprobs\": 2}", 400,
                "invalid_value", "top_logprobs"));
        c.add(post("chat top_logprobs over 20", "/v1/chat/completions", chatHi + "\"logprobs\": true, "
                + "\"top_logprobs\": 21}", 400, "invalid_value", "top_logprobs"));

        c.add(completion("unknown model", "{\"model\": \"gpt-4\", \"prompt\": \"x\"}", 404, "model_not_found",
                "model"));
        c.add(post("chat without messages", "/v1/chat/completions", "{\"model\": \"stories260K\"}", 400,
                "missing_required_parameter", "messages"));
        c.add(post("chat messages not an array", "/v1/chat/completions",
                "{\"model\": \"stories260K\", \"messages\": \"hi\"}", 400, "invalid_type", "messages"));
        c.add(post("chat message without role", "/v1/chat/completions",
                "{\"model\": \"stories260K\", \"messages\": [{\"content\": \"hi\"}]}", 400,
                "missing_required_parameter", "messages[0].role"));
        c.add(post("chat message of an unknown role", "/v1/chat/completions",
                "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"tool\", \"content\": \"hi\"}]}", 400,
                "invalid_value", "messages"));
        c.add(post("chat content a number", "/v1/chat/completions",
                "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": 5}]}", 400,
                "invalid_type", "messages[0].content"));
        c.add(new Case("non-UTF-8 body", () -> http.post("/v1/completions", concat(
                "{\"model\": \"stories260K\", \"prompt\": \"caf".getBytes(StandardCharsets.US_ASCII),
                new byte[] {(byte) 0xE9}, "\"}".getBytes(StandardCharsets.US_ASCII))), 400, "invalid_encoding", null));
        c.add(new Case("oversize body (limit 1 MiB)", () -> http.post("/v1/completions", oversize()), 413,
                "request_too_large", null));
        c.add(new Case("oversize body without a length (chunked)", () -> http.send(java.net.http.HttpRequest
                .newBuilder(server.uri().resolve("/v1/completions")).POST(HttpRequest.BodyPublishers
                        .ofInputStream(() -> new java.io.ByteArrayInputStream(oversize())))), 413, "request_too_large",
                null));
        c.add(new Case("unknown URL", () -> http.get("/v1/engines"), 404, "unknown_url", null));
        c.add(new Case("wrong method", () -> http.get("/v1/completions"), 405, "method_not_allowed", null));
        c.add(new Case("unknown model id", () -> http.get("/v1/models/gpt-4"), 404, "model_not_found", "model"));
        return c;
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] oversize() {
        String pad = "x".repeat((int) ServerConfig.DEFAULT_MAX_BODY_BYTES);
        return ("{\"model\": \"stories260K\", \"prompt\": \"" + pad + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    @TestFactory
    Stream<DynamicTest> everyBadRequestGetsAnOpenAiErrorAndTheServerStaysUp() {
        return cases().stream().map(c -> dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(Case c) {
        Http.Reply r = c.send().get();
        assertThat(r.status()).as(r.body()).isEqualTo(c.status());
        assertThat(r.contentType()).startsWith("application/json");
        JsonNode err = r.json().get("error");
        assertThat(err).as(r.body()).isNotNull();
        assertThat(err.get("message").asText()).isNotBlank();
        assertThat(err.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(err.get("code").asText()).isEqualTo(c.code());
        if (c.param() == null) {
            assertThat(err.get("param").isNull()).isTrue();
        } else {
            assertThat(err.get("param").asText()).isEqualTo(c.param());
        }
        assertThat(http.get("/health").status()).isEqualTo(200);
    }

    @Test
    void theCheckerFailsOnAWrongExpectation() {
        // a test of the test: each expectation, corrupted, makes the checker fail
        String body = "{\"model\": \"stories260K\", \"max_tokens\": -5}";
        check(completion("right", body, 400, "invalid_value", "max_tokens"));
        for (Case wrong : List.of(completion("status", body, 404, "invalid_value", "max_tokens"),
                completion("code", body, 400, "invalid_type", "max_tokens"),
                completion("param", body, 400, "invalid_value", "temperature"),
                completion("no param", body, 400, "invalid_value", null))) {
            assertThatThrownBy(() -> check(wrong)).as(wrong.name()).isInstanceOf(AssertionError.class);
        }
    }

    @Test
    void aGoodRequestStillWorksAfterTheBadOnes() {
        for (Case c : cases()) {
            // every answer arrives: an oversize body is read to its end before the 413 (RequestBody.DRAIN_LIMIT)
            assertThat(c.send().get().status()).as(c.name()).isEqualTo(c.status());
        }
        Http.Reply r = http.post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": \"Once\", "
                + "\"max_tokens\": 5, \"temperature\": 0}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().at("/choices/0/text").asText()).isNotEmpty();
        assertThat(r.json().at("/usage/completion_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void aClientThatSendsHalfARequestAndLeavesDoesNotHurt() throws Exception {
        try (Socket s = new Socket(server.uri().getHost(), server.uri().getPort())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"model\"")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        try (Socket s = new Socket(server.uri().getHost(), server.uri().getPort())) {
            s.getOutputStream().write("GARBAGE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 4");
        }
        assertThat(http.get("/health").status()).isEqualTo(200);
    }

    @Test
    void aDeclaredBodyBeyondTheDrainLimitIsRefusedWithoutReadingIt() throws Exception {
        try (Socket s = new Socket(server.uri().getHost(), server.uri().getPort())) {
            s.setSoTimeout(10_000);
            long declared = 4 * RequestBody.DRAIN_LIMIT;
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                    + "\r\nContent-Length: " + declared + "\r\n\r\n{\"model\"").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String head = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(head).isEqualTo("HTTP/1.1 413");
        }
        assertThat(http.get("/health").status()).isEqualTo(200);
    }
}
