package io.flightllm.server;

import io.flightllm.runtime.ChatTemplate;
import io.flightllm.runtime.Engine;
import java.net.URI;
import java.util.concurrent.Executors;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The OpenAI-compatible HTTP server (Jetty 12) over one {@link Engine}. Jetty's few platform threads accept and
 * select; every request runs on a virtual thread, so waiting for a generation worker or streaming holds none, and the
 * platform thread count stays flat under load. The engine's bounded queue, not the HTTP layer, decides 429.
 */
public final class OpenAiServer implements AutoCloseable {
    private final Server server;
    private final ServerConnector connector;
    private final Engine engine;

    public OpenAiServer(Engine engine, ChatTemplate template, ServerConfig config) {
        this.engine = engine;
        // 4 to 16 platform threads for selecting and short non-blocking tasks; after a burst every idle thread above
        // the minimum ends within 2 s (Jetty evicts one per idle period unless told otherwise)
        QueuedThreadPool threads = new QueuedThreadPool(16, 4, 2_000);
        threads.setMaxEvictCount(16);
        threads.setName("flightllm-http");
        threads.setVirtualThreadsExecutor(Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("flightllm-request-", 0).factory()));
        server = new Server(threads);
        connector = new ServerConnector(server, 1, 1);
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(config.idleTimeout().toMillis());
        server.addConnector(connector);
        server.setHandler(new ApiHandler(engine, template, config, new ServerMetrics(engine)));
        server.setStopTimeout(5_000);
    }

    /** Binds and starts serving. */
    public OpenAiServer start() throws Exception {
        server.start();
        return this;
    }

    /** The bound port (the chosen one when the configured port was 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The base URL, for example {@code http://127.0.0.1:8080}. */
    public URI uri() {
        String host = connector.getHost();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + port());
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** Stops accepting, cancels running generations, and stops. The engine is not closed here. */
    @Override
    public void close() throws Exception {
        server.stop();
    }

    public Engine engine() {
        return engine;
    }
}
