package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.errors.RateLimitException;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.runtime.testing.RunOutput;
import io.flightllm.server.testing.Http;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flightllm serve} as a user runs it (the launcher, a separate JVM, default settings: 2 workers, queue 16) on
 * stories260K: the official OpenAI client's greedy completion equals {@code flightllm run}, it binds to loopback only,
 * it holds up under 32 concurrent streaming clients, and SIGTERM stops it.
 */
class ServeIT {
    static final int CLIENTS = 32;
    static final int REQUESTS_PER_CLIENT = 20;
    static final int MAX_TOKENS = 16;
    static final List<String> PROMPTS = List.of("Once upon a time", "The little dog", "Lily and Ben", "One day");

    private static Process server;
    private static URI uri;
    private static OpenAIClient client;
    private static String extra = "";

    @BeforeAll
    static void start(@TempDir Path work) throws Exception {
        Path err = work.resolve("serve.err");
        List<String> cmd = new ArrayList<>(List.of("env", "-i", SharedData.repoRoot().resolve("flightllm").toString(),
                "serve", "--model", RunOutput.stories().toString(), "--tokenizer", RunOutput.tok512().toString(),
                "--port", "0"));
        // -Dserve.args="--workers 1" compares settings (docs/server.md); the default suite runs the defaults
        extra = System.getProperty("serve.args", "").strip();
        if (!extra.isEmpty()) {
            cmd.addAll(List.of(extra.split("\\s+")));
        }
        server = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        Pattern listening = Pattern.compile("on (http://\\S+) ");
        long end = System.nanoTime() + 120_000_000_000L;
        while (uri == null) {
            String text = Files.exists(err) ? Files.readString(err, StandardCharsets.UTF_8) : "";
            Matcher m = listening.matcher(text);
            if (m.find()) {
                uri = URI.create(m.group(1));
            } else {
                assertThat(server.isAlive()).as("serve exited: %s", text).isTrue();
                assertThat(System.nanoTime()).as("serve did not start: %s", text).isLessThan(end);
                Thread.sleep(100);
            }
        }
        client = OpenAIOkHttpClient.builder().baseUrl(uri + "/v1").apiKey("unused").maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    /** SIGTERM (to the JVM: the launcher execs it) stops the server; it is forced only if it does not. */
    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server == null) {
            return;
        }
        server.destroy();
        boolean stopped = server.waitFor(20, TimeUnit.SECONDS);
        if (!stopped) {
            server.descendants().forEach(ProcessHandle::destroyForcibly);
            server.destroyForcibly();
        }
        assertThat(stopped).as("serve did not stop on SIGTERM").isTrue();
    }

    private static CompletionCreateParams greedy(String prompt, int maxTokens) {
        return CompletionCreateParams.builder().model("stories260K").prompt(prompt).maxTokens(maxTokens)
                .temperature(0.0).build();
    }

    @Test
    void aGreedyCompletionEqualsFlightllmRun(@TempDir Path work) {
        Tokenizer tok = ModelLoader.loadTokenizer(RunOutput.tok512(), 512);
        for (String prompt : List.of("Once upon a time", "Tom saw a big")) {
            int maxTokens = 100;
            int steps = tok.encode(prompt, true, false).length + maxTokens - 1;
            Launcher.Result run = Launcher.run(work, "run", "--model", RunOutput.stories().toString(), "--tokenizer",
                    RunOutput.tok512().toString(), "--temperature", "0", "--prompt", prompt, "--steps",
                    Integer.toString(steps));
            assertThat(run.code()).isZero();
            String expected = RunOutput.generatedText(run.out(), RunOutput.promptEcho(tok, prompt));
            assertThat(client.completions().create(greedy(prompt, maxTokens)).choices().getFirst().text())
                    .isEqualTo(expected);
        }
    }

    @Test
    void itListensOnLoopbackOnly() throws IOException {
        assertThat(uri.getHost()).isEqualTo("127.0.0.1");
        // the kernel's socket tables (read locally; no traffic to any other address): the one listening socket on
        // this port is bound to 127.0.0.1 (in tcp6 as the IPv4-mapped ::ffff:127.0.0.1), not to a wildcard address
        String port = String.format(Locale.ROOT, "%04X", uri.getPort());
        List<String> listening = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path t = Path.of(table);
            if (Files.isReadable(t)) {
                Files.readAllLines(t).stream().skip(1).map(l -> l.strip().split("\\s+"))
                        .filter(f -> f[1].endsWith(":" + port) && f[3].equals("0A")).forEach(f -> listening.add(f[1]));
            }
        }
        if (Files.isReadable(Path.of("/proc/net/tcp"))) {
            assertThat(listening).hasSize(1);
            assertThat(listening.getFirst()).isIn("0100007F:" + port, "0000000000000000FFFF00000100007F:" + port);
        }
    }

    /** Live platform threads of the server's JVM, from its own /metrics. */
    private static int serverThreads(Http http) {
        Matcher m = Pattern.compile("(?m)^flightllm_jvm_threads (\\d+)").matcher(http.get("/metrics").body());
        assertThat(m.find()).isTrue();
        return (int) Double.parseDouble(m.group(1));
    }

    @Test
    void underLoadEveryStreamCompletesCorrectlyOrIsRefusedCleanly() throws Exception {
        Map<String, String> expected = new ConcurrentHashMap<>();
        for (String p : PROMPTS) {
            expected.put(p, client.completions().create(greedy(p, MAX_TOKENS)).choices().getFirst().text());
        }
        try (Http http = new Http(uri)) {
            // warm up: a short concurrent streaming burst starts the lazily created threads (virtual thread carriers,
            // Jetty's scheduler, the metrics scheduler) and lets the HTTP pool shrink back before the baseline
            ExecutorService warm = Executors.newFixedThreadPool(8);
            List<Future<?>> ws = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                ws.add(warm.submit(() -> {
                    try (StreamResponse<Completion> s = client.completions().createStreaming(greedy("One", 4))) {
                        s.stream().count();
                    } catch (RateLimitException e) {
                        // fine: the queue is small
                    }
                    return null;
                }));
            }
            for (Future<?> f : ws) {
                f.get(60, TimeUnit.SECONDS);
            }
            warm.shutdown();
            Thread.sleep(5_000);
            int baseline = serverThreads(http);
            AtomicBoolean loading = new AtomicBoolean(true);
            List<Long> healthMillis = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger healthFailures = new AtomicInteger();
            Thread health = Thread.ofPlatform().start(() -> {
                while (loading.get()) {
                    long t = System.nanoTime();
                    try {
                        if (http.get("/health").status() != 200) {
                            healthFailures.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        healthFailures.incrementAndGet();
                    }
                    healthMillis.add((System.nanoTime() - t) / 1_000_000);
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger refused429 = new AtomicInteger();
            AtomicInteger refused503 = new AtomicInteger();
            AtomicLong tokens = new AtomicLong();
            List<String> wrong = Collections.synchronizedList(new ArrayList<>());
            long t0 = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int id = c;
                clients.add(pool.submit(() -> {
                    for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
                        String prompt = PROMPTS.get((id + i) % PROMPTS.size());
                        CompletionCreateParams p = greedy(prompt, MAX_TOKENS).toBuilder()
                                .streamOptions(com.openai.models.chat.completions.ChatCompletionStreamOptions
                                        .builder().includeUsage(true).build()).build();
                        long t = System.nanoTime();
                        try (StreamResponse<Completion> s = client.completions().createStreaming(p)) {
                            StringBuilder text = new StringBuilder();
                            s.stream().forEach(chunk -> {
                                chunk.choices().forEach(ch -> text.append(ch.text()));
                                chunk.usage().ifPresent(u -> tokens.addAndGet(u.completionTokens()));
                            });
                            latencies.add(System.nanoTime() - t);
                            if (text.toString().equals(expected.get(prompt))) {
                                ok.incrementAndGet();
                            } else {
                                wrong.add(prompt + " -> " + text);
                            }
                        } catch (RateLimitException e) {
                            refused429.incrementAndGet();
                        } catch (InternalServerException e) {
                            if (e.statusCode() != 503) {
                                throw e;
                            }
                            refused503.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : clients) {
                f.get(120, TimeUnit.SECONDS);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            pool.shutdown();
            loading.set(false);
            health.join();

            List<Long> sorted = latencies.stream().sorted().toList();
            double p50 = sorted.get(sorted.size() / 2) / 1e6;
            double p99 = sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)) / 1e6;
            long healthMax = healthMillis.stream().mapToLong(Long::longValue).max().orElse(-1);
            int after = serverThreads(http);
            long end = System.nanoTime() + 15_000_000_000L;
            while (after > baseline && System.nanoTime() < end) {
                Thread.sleep(250);
                after = serverThreads(http);
            }
            String report = String.format(Locale.ROOT, "serve load%s: %d clients x %d streaming requests (max_tokens %d)"
                            + " in %.2f s: %d ok, %d x 429, %d x 503, %d wrong; %.1f requests/s (ok), latency p50 %.1f"
                            + " ms p99 %.1f ms, %.0f generated tokens/s; /health %d probes, max %d ms, %d failures;"
                            + " server threads %d before, %d after",
                    extra.isEmpty() ? "" : " (" + extra + ")", CLIENTS, REQUESTS_PER_CLIENT, MAX_TOKENS, seconds,
                    ok.get(), refused429.get(), refused503.get(),
                    wrong.size(), ok.get() / seconds, p50, p99, tokens.get() / seconds, healthMillis.size(), healthMax,
                    healthFailures.get(), baseline, after);
            System.out.println(report);
            Files.writeString(Path.of("target", "serve-load.txt"), report + "\n", StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);

            assertThat(wrong).as(report).isEmpty();
            assertThat(ok.get() + refused429.get() + refused503.get()).isEqualTo(CLIENTS * REQUESTS_PER_CLIENT);
            assertThat(ok.get()).as(report).isGreaterThan(CLIENTS * REQUESTS_PER_CLIENT / 4);
            assertThat(healthFailures.get()).as(report).isZero();
            assertThat(healthMillis).as(report).isNotEmpty();
            assertThat(after).as(report).isLessThanOrEqualTo(baseline);
            assertThat(seconds).as(report).isLessThan(60);
            JsonNode h = http.get("/health").json();
            assertThat(h.get("running").asInt() + h.get("queued").asInt()).isZero();
        }
    }
}
