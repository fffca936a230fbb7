package io.flightllm.server;

import io.flightllm.runtime.Engine;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The server's Prometheus metrics (client_java, its own registry, text format 0.0.4): requests by endpoint and status,
 * prompt and completion tokens, request latency, time to first token and queue wait as histograms, and gauges for the
 * queue depth, running generations, workers and the JVM's live platform threads.
 */
final class ServerMetrics {
    private static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
            120, 300};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter requests;
    private final Counter tokens;
    private final Histogram latency;
    private final Histogram firstToken;
    private final Histogram queueWait;

    ServerMetrics(Engine engine) {
        requests = Counter.builder().name("flightllm_requests_total")
                .help("HTTP requests answered, by endpoint and status code")
                .labelNames("endpoint", "status").register(registry);
        tokens = Counter.builder().name("flightllm_tokens_total")
                .help("tokens processed: prompt (BOS included) and completion (sampled)")
                .labelNames("kind").register(registry);
        latency = Histogram.builder().name("flightllm_request_duration_seconds")
                .help("time from a request's arrival to its last byte, by endpoint")
                .labelNames("endpoint").classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
        firstToken = Histogram.builder().name("flightllm_time_to_first_token_seconds")
                .help("time from a streaming request's arrival to its first text")
                .classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
        queueWait = Histogram.builder().name("flightllm_queue_wait_seconds")
                .help("time a generation waited for a worker")
                .classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
        GaugeWithCallback.builder().name("flightllm_queue_depth").help("generations waiting for a worker")
                .callback(cb -> cb.call(engine.queued())).register(registry);
        GaugeWithCallback.builder().name("flightllm_generations_running").help("generations on a worker")
                .callback(cb -> cb.call(engine.running())).register(registry);
        GaugeWithCallback.builder().name("flightllm_workers").help("generation workers")
                .callback(cb -> cb.call(engine.workers())).register(registry);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        GaugeWithCallback.builder().name("flightllm_jvm_threads").help("live platform threads of the JVM")
                .callback(cb -> cb.call(threads.getThreadCount())).register(registry);
    }

    void request(String endpoint, int status, long nanos) {
        requests.labelValues(endpoint, Integer.toString(status)).inc();
        latency.labelValues(endpoint).observe(nanos / 1e9);
    }

    void tokens(int prompt, int completion) {
        tokens.labelValues("prompt").inc(prompt);
        tokens.labelValues("completion").inc(completion);
    }

    void firstToken(long nanos) {
        firstToken.observe(nanos / 1e9);
    }

    void queueWait(long nanos) {
        queueWait.observe(nanos / 1e9);
    }

    String contentType() {
        return writer.getContentType();
    }

    byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
