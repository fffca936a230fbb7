package io.flightllm.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.server.testing.Http;
import io.flightllm.server.testing.TestServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The server's limits on a slowed-down model (20 ms per position, so a 400-token request would take 8 s): the bounded
 * queue answers 429, a client that disconnects cancels its generation, the request timeout answers 503, and /health
 * answers while every worker is busy.
 */
class LimitsTest {
    private static final long SLOW_MS = 20;

    private static String body(int maxTokens, boolean stream) {
        return "{\"model\": \"stories260K\", \"prompt\": \"Once\", \"temperature\": 0, \"max_tokens\": " + maxTokens
                + ", \"stream\": " + stream + "}";
    }

    /** Sends a raw request on a socket and returns it open (the caller closes it to disconnect). */
    private static Socket rawPost(TestServer s, String json) throws Exception {
        Socket socket = new Socket(s.uri().getHost(), s.uri().getPort());
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.flush();
        return socket;
    }

    private static void awaitIdle(TestServer s, double seconds) throws InterruptedException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (s.engine.running() + s.engine.queued() > 0) {
            assertThat(System.nanoTime()).as("generations still running after %s s", seconds).isLessThan(end);
            Thread.sleep(10);
        }
    }

    private static void awaitRunning(TestServer s, int n) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (s.engine.running() < n) {
            assertThat(System.nanoTime()).isLessThan(end);
            Thread.sleep(5);
        }
    }

    @Test
    void aFullQueueAnswers429AndHealthStillAnswers() throws Exception {
        try (TestServer s = new TestServer(1, 1, SLOW_MS, Duration.ofSeconds(60)); Http http = new Http(s.uri())) {
            List<CompletableFuture<Http.Reply>> inFlight = new ArrayList<>();
            inFlight.add(CompletableFuture.supplyAsync(() -> http.post("/v1/completions", body(30, false))));
            awaitRunning(s, 1);
            inFlight.add(CompletableFuture.supplyAsync(() -> http.post("/v1/completions", body(5, false))));
            while (s.engine.queued() < 1) {
                Thread.sleep(5);
            }
            Http.Reply full = http.post("/v1/completions", body(5, false));
            assertThat(full.status()).isEqualTo(429);
            assertThat(full.json().at("/error/type").asText()).isEqualTo("rate_limit_error");
            assertThat(full.json().at("/error/code").asText()).isEqualTo("queue_full");
            Http.Reply fullStream = http.post("/v1/completions", body(5, true));
            assertThat(fullStream.status()).isEqualTo(429); // refused before the stream starts
            Http.Reply health = http.get("/health");
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.json().get("running").asInt()).isEqualTo(1);
            assertThat(health.json().get("queued").asInt()).isEqualTo(1);
            for (CompletableFuture<Http.Reply> f : inFlight) {
                assertThat(f.get().status()).isEqualTo(200);
            }
            String metrics = http.get("/metrics").body();
            assertThat(metrics).contains("flightllm_requests_total{endpoint=\"/v1/completions\",status=\"429\"} 2")
                    .contains("flightllm_requests_total{endpoint=\"/v1/completions\",status=\"200\"} 2")
                    .contains("flightllm_tokens_total{kind=\"completion\"} 35")
                    .contains("flightllm_request_duration_seconds_bucket{endpoint=\"/v1/completions\",le=\"+Inf\"} 4")
                    .contains("flightllm_queue_depth 0").contains("flightllm_jvm_threads");
        }
    }

    @Test
    void aStreamingClientThatDisconnectsCancelsItsGeneration() throws Exception {
        try (TestServer s = new TestServer(1, 1, SLOW_MS, Duration.ofSeconds(60)); Http http = new Http(s.uri())) {
            long t0 = System.nanoTime();
            try (Socket socket = rawPost(s, body(400, true))) {
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                        StandardCharsets.UTF_8));
                int events = 0;
                for (String line; events < 3 && (line = in.readLine()) != null; ) {
                    if (line.startsWith("data: {")) {
                        events++;
                    }
                }
                assertThat(events).isEqualTo(3);
            }
            awaitIdle(s, 2);
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(4); // not 400 x 20 ms
            String metrics = http.get("/metrics").body();
            assertThat(metrics).contains("status=\"499\"");
            assertThat(http.post("/v1/completions", body(3, false)).status()).isEqualTo(200);
        }
    }

    @Test
    void aWaitingClientThatDisconnectsCancelsItsGeneration() throws Exception {
        try (TestServer s = new TestServer(1, 1, SLOW_MS, Duration.ofSeconds(60))) {
            long t0 = System.nanoTime();
            try (Socket socket = rawPost(s, body(400, false))) {
                awaitRunning(s, 1);
            }
            awaitIdle(s, 3);
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5);
        }
    }

    @Test
    void aRequestPastItsTimeoutGets503() throws Exception {
        try (TestServer s = new TestServer(1, 1, SLOW_MS, Duration.ofMillis(500)); Http http = new Http(s.uri())) {
            Http.Reply r = http.post("/v1/completions", body(400, false));
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.json().at("/error/code").asText()).isEqualTo("timeout");
            Http.Reply stream = http.post("/v1/completions", body(400, true));
            assertThat(stream.status()).isEqualTo(200); // the stream had started: the error is its last event
            assertThat(stream.body()).contains("\"code\":\"timeout\"").endsWith("data: [DONE]\n\n");
            awaitIdle(s, 2);
        }
    }

    @Test
    void aRequestPipelinedDuringAGenerationClosesTheConnectionAfterTheAnswer() throws Exception {
        try (TestServer s = new TestServer(1, 1, SLOW_MS, Duration.ofSeconds(60)); Http http = new Http(s.uri())) {
            try (Socket socket = rawPost(s, body(20, false))) {
                awaitRunning(s, 1);
                byte[] again = body(2, false).getBytes(StandardCharsets.UTF_8);
                socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\n"
                        + "Content-Length: " + again.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().write(again);
                socket.getOutputStream().flush();
                String all = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                // one complete answer, marked to close; the pipelined request is left for the client to resend
                assertThat(all).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close")
                        .contains("\"completion_tokens\":20");
                assertThat(all.split("HTTP/1.1 ", -1)).hasSize(2);
            }
            assertThat(http.post("/v1/completions", body(2, false)).status()).isEqualTo(200);
        }
    }
}
