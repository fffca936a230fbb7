package io.flightllm.cli;

import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.runtime.Backend;
import io.flightllm.runtime.ChatTemplate;
import io.flightllm.runtime.Engine;
import io.flightllm.runtime.Kernels;
import io.flightllm.server.OpenAiServer;
import io.flightllm.server.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flightllm serve}: the OpenAI-compatible HTTP API over one model, until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve the model over an OpenAI-compatible HTTP API: POST /v1/completions, "
                + "POST /v1/chat/completions (streaming as server-sent events), GET /v1/models, /health, /metrics.",
                "Binds to 127.0.0.1 unless --host says otherwise. Stops on Ctrl-C or SIGTERM. See docs/server.md."})
final class ServeCommand implements Callable<Integer> {
    private final Console console;

    ServeCommand(Console console) {
        this.console = console;
    }

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "M",
            description = "checkpoint (llama2.c .bin, .gguf, Hugging Face directory) or, with --backend twin, a .flm")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, paramLabel = "T", description = "tokenizer (default: the model's own, else "
            + "tokenizer.bin beside the model)")
    Path tokenizer;

    @Option(names = "--program", paramLabel = "P", description = "a compiled .flp (flightllm compile) for --backend sim")
    Path program;

    @Option(names = "--model-id", paramLabel = "NAME",
            description = "the id clients use (default: the model's file or directory name without extension)")
    String modelId;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "ref",
            description = "ref (fp32 reference), twin (CPU twin over a .flm), sim (the functional simulator running "
                    + "--program; default: ref)")
    String backend;

    @Option(names = "--host", paramLabel = "H", defaultValue = "127.0.0.1",
            description = "address to bind (default: 127.0.0.1, loopback only)")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "TCP port; 0 = any free port "
            + "(default: 8080)")
    int port;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "2",
            description = "generations that run at once, each with its own KV cache (default: 2)")
    int workers;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "16",
            description = "generations that may wait for a worker; beyond that the answer is 429 (default: 16)")
    int queue;

    @Option(names = "--context", paramLabel = "N", description = "positions of each worker's KV cache (default: the "
            + "model's context)")
    Integer context;

    @Option(names = "--threads", paramLabel = "T",
            description = "kernel threads per worker (default: cores / workers, at least 1)")
    Integer threads;

    @Option(names = "--kernels", paramLabel = "K", defaultValue = "exact",
            description = Options.KERNELS_HELP + " (default: exact)")
    String kernels;

    @Option(names = "--chat-template", paramLabel = "C", defaultValue = "auto",
            description = "auto (llama2 when the model's metadata has a LLaMA-2 template, else plain), llama2 or plain "
                    + "(default: auto)")
    String chatTemplate;

    @Option(names = "--max-body-bytes", paramLabel = "N", defaultValue = "1048576",
            description = "largest request body; larger ones get 413 (default: 1048576)")
    long maxBodyBytes;

    @Option(names = "--request-timeout", paramLabel = "S", defaultValue = "120",
            description = "seconds from a request's arrival to its last token; then 503 (default: 120)")
    long requestTimeout;

    @Override
    public Integer call() throws Exception {
        if (requestTimeout < 1 || requestTimeout > 86_400) {
            throw new Main.UserInputException("--request-timeout is " + requestTimeout + "; expected 1 to 86400");
        }
        ServerConfig cfg;
        try {
            cfg = new ServerConfig(host, port, modelId != null ? modelId : ServerConfig.modelIdFor(model), maxBodyBytes,
                    Duration.ofSeconds(requestTimeout), Duration.ofSeconds(Math.max(30, requestTimeout)));
        } catch (IllegalArgumentException e) {
            throw new Main.UserInputException(e.getMessage());
        }
        if (cfg.modelId().isBlank()) {
            throw new Main.UserInputException("--model-id is empty");
        }
        int perWorker = threads != null ? Kernels.threads(threads)
                : Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, workers));
        ChatTemplate template = ChatTemplate.named(chatTemplate, model);
        try (Backend be = Backend.open(backend, model, kernels, perWorker, program)) {
            Tokenizer tok = be.tokenizer(tokenizer);
            int ctx = context != null ? context : be.config().seqLen();
            try (Engine engine = new Engine(be, tok, new Engine.Config(workers, queue, ctx));
                 OpenAiServer server = new OpenAiServer(engine, template, cfg)) {
                try {
                    server.start();
                } catch (java.io.IOException e) {
                    throw new Main.UserInputException("cannot listen on " + host + ":" + port + ": " + e.getMessage());
                }
                CountDownLatch stopped = new CountDownLatch(1);
                Thread hook = new Thread(() -> {
                    try {
                        server.close();
                    } catch (Exception ignored) {
                        // stopping anyway
                    }
                    stopped.countDown();
                }, "flightllm-serve-stop");
                Runtime.getRuntime().addShutdownHook(hook);
                console.err().printf(Locale.ROOT, "flightllm serve: %s on %s (%s, %d worker(s) x %d thread(s), "
                                + "queue %d, context %d, chat template %s); stop with Ctrl-C%n", cfg.modelId(),
                        server.uri(), backend, workers, perWorker, queue, engine.contextLength(), template.cliName());
                server.join();
                stopped.await();
            }
        }
        return 0;
    }
}
