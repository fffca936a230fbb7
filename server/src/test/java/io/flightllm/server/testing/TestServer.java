package io.flightllm.server.testing;

import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.runtime.Backend;
import io.flightllm.runtime.ChatTemplate;
import io.flightllm.runtime.Engine;
import io.flightllm.runtime.testing.RunOutput;
import io.flightllm.runtime.testing.SlowForward;
import io.flightllm.server.OpenAiServer;
import io.flightllm.server.ServerConfig;
import java.net.URI;
import java.time.Duration;

/** stories260K behind a server on a free loopback port; {@code slowMillis} > 0 slows every position down. */
public final class TestServer implements AutoCloseable {
    public static final String MODEL_ID = "stories260K";
    public final Backend backend;
    public final Tokenizer tokenizer;
    public final Engine engine;
    public final OpenAiServer server;

    public TestServer(int workers, int queue, long slowMillis, Duration timeout) throws Exception {
        backend = Backend.open("ref", RunOutput.stories(), "exact", 1);
        tokenizer = backend.tokenizer(RunOutput.tok512());
        Engine.Config cfg = new Engine.Config(workers, queue, 512);
        engine = slowMillis > 0
                ? new Engine(backend.config(), tokenizer, n -> new SlowForward(backend.forward(n), slowMillis), cfg)
                : new Engine(backend, tokenizer, cfg);
        server = new OpenAiServer(engine, ChatTemplate.PLAIN, new ServerConfig("127.0.0.1", 0, MODEL_ID,
                ServerConfig.DEFAULT_MAX_BODY_BYTES, timeout, Duration.ofSeconds(30))).start();
    }

    public TestServer() throws Exception {
        this(2, 16, 0, Duration.ofSeconds(60));
    }

    public URI uri() {
        return server.uri();
    }

    @Override
    public void close() throws Exception {
        server.close();
        engine.close();
        backend.close();
    }
}
