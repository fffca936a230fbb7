package io.flightllm.runtime;

import io.flightllm.model.Generator;
import io.flightllm.model.ModelConfig;
import io.flightllm.model.Sampler;
import io.flightllm.model.forward.Forward;
import io.flightllm.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * Generations over one loaded model: a fixed set of worker threads, each with its own executor ({@link Forward}: KV
 * cache, activations, kernel threads) over the shared weights, behind a bounded queue. {@link #submit} never blocks:
 * when every worker is busy and the queue is full it throws {@link QueueFullException}. A generation streams its text
 * through a callback (on the worker thread), ends on a stop token, a stop string, max tokens, the end of the context,
 * {@link Handle#cancel} or its deadline, and completes its {@link Handle#result}. The host loop itself is
 * {@link Generator#run}, the same one {@code flightllm run} prints through.
 */
public final class Engine implements AutoCloseable {
    /**
     * @param workers       generations that run at once (each holds one executor)
     * @param queueDepth    generations that may wait for a worker
     * @param contextLength positions of each executor's KV cache (at most the model's)
     */
    public record Config(int workers, int queueDepth, int contextLength) {
        public Config {
            if (workers < 1 || workers > 256) {
                throw new InputException("--workers is " + workers + "; expected 1 to 256");
            }
            if (queueDepth < 0 || queueDepth > 100_000) {
                throw new InputException("--queue is " + queueDepth + "; expected 0 to 100000");
            }
            if (contextLength < 1) {
                throw new InputException("--context is " + contextLength + "; expected >= 1");
            }
        }
    }

    /** Every worker is busy and the queue is full. */
    public static final class QueueFullException extends RuntimeException {
        QueueFullException(String message) {
            super(message);
        }
    }

    private final ModelConfig model;
    private final Tokenizer tokenizer;
    private final int contextLength;
    private final BlockingQueue<Forward> idle;
    private final List<Forward> executors = new ArrayList<>();
    private final ThreadPoolExecutor pool;
    private final AtomicInteger running = new AtomicInteger();
    private final java.util.Set<Handle> active = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Workers over {@code backend}'s shared weights, each with its own {@link Backend#forward executor}. */
    public Engine(Backend backend, Tokenizer tokenizer, Config config) {
        if (backend instanceof Backend.Reference) {
            Backend.checkContextFits(backend.config(), Math.min(config.contextLength(), backend.config().seqLen()),
                    config.workers());
        }
        this(backend.config(), tokenizer, backend::forward, config);
    }

    /** Workers over executors made by {@code executors} (given the context length); tests slow them down. */
    public Engine(ModelConfig model, Tokenizer tokenizer, IntFunction<Forward> executors, Config config) {
        this.model = model;
        this.tokenizer = tokenizer;
        int asked = Math.min(config.contextLength(), model.seqLen());
        this.idle = new ArrayBlockingQueue<>(config.workers());
        try {
            for (int i = 0; i < config.workers(); i++) {
                Forward f = executors.apply(asked);
                this.executors.add(f);
                idle.add(f);
            }
        } catch (RuntimeException e) {
            this.executors.forEach(Forward::close);
            throw e;
        }
        // an executor may hold fewer positions than asked (a compiled program serves the context it was compiled for)
        this.contextLength = this.executors.stream().mapToInt(Forward::contextLength).min().orElse(asked);
        AtomicInteger n = new AtomicInteger();
        // A queue of capacity 0 is a hand-off: a request is taken only when a worker is free.
        BlockingQueue<Runnable> queue = config.queueDepth() == 0 ? new SynchronousQueue<>()
                : new ArrayBlockingQueue<>(config.queueDepth());
        pool = new ThreadPoolExecutor(config.workers(), config.workers(), 0, TimeUnit.SECONDS, queue,
                r -> Thread.ofPlatform().daemon().name("flightllm-gen-" + n.incrementAndGet()).unstarted(r),
                new ThreadPoolExecutor.AbortPolicy());
        pool.prestartAllCoreThreads(); // a constant thread count from the start
    }

    public ModelConfig model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Positions each executor holds. */
    public int contextLength() {
        return contextLength;
    }

    /** The most tokens a prompt of {@code promptTokens} tokens leaves room for (the last sampled one needs no position). */
    public int maxNewTokens(int promptTokens) {
        return Math.max(0, contextLength - promptTokens + 1);
    }

    /** Generations waiting for a worker. */
    public int queued() {
        return pool.getQueue().size();
    }

    /** Generations on a worker. */
    public int running() {
        return running.get();
    }

    public int workers() {
        return pool.getCorePoolSize();
    }

    /**
     * Queues a generation; {@code onText} receives the text deltas on the worker thread, in order, before the result
     * completes.
     *
     * @throws ContextLengthException when the prompt and {@code maxTokens} do not fit the context
     * @throws QueueFullException     when every worker is busy and the queue is full
     * @throws IllegalStateException  when the engine is closed
     */
    public Handle submit(GenerationRequest request, Consumer<String> onText) {
        return submit(request, onText, score -> { });
    }

    /**
     * As {@link #submit(GenerationRequest, Consumer)}, with each sampled token's {@link TokenLogprob} (when the request
     * asks for log-probabilities) passed to {@code onScore} on the worker thread before the text it adds (which a stop
     * string may hold back) reaches {@code onText}.
     */
    public Handle submit(GenerationRequest request, Consumer<String> onText, Consumer<TokenLogprob> onScore) {
        int n = request.promptTokens().length;
        if (request.maxTokens() > maxNewTokens(n)) {
            throw new ContextLengthException("the prompt is " + n + " tokens (with BOS) and max_tokens is "
                    + request.maxTokens() + ", but the context holds " + contextLength + " positions: at most "
                    + maxNewTokens(n) + " new tokens fit");
        }
        Handle h = new Handle(request, onText, onScore);
        try {
            pool.execute(h);
        } catch (RejectedExecutionException e) {
            if (pool.isShutdown()) {
                throw new IllegalStateException("the engine is shutting down");
            }
            throw new QueueFullException("all " + workers() + " workers are busy and " + queued()
                    + " requests are waiting (the queue holds " + (pool.getQueue().remainingCapacity() + queued())
                    + "); retry later");
        }
        return h;
    }

    /** One submitted generation. */
    public final class Handle implements Runnable {
        private final GenerationRequest request;
        private final Consumer<String> onText;
        private final Consumer<TokenLogprob> onScore;
        private final long submitted = System.nanoTime();
        private final CompletableFuture<Completion> result = new CompletableFuture<>();
        private volatile boolean cancelled;

        Handle(GenerationRequest request, Consumer<String> onText, Consumer<TokenLogprob> onScore) {
            this.request = request;
            this.onText = onText;
            this.onScore = onScore;
        }

        public CompletableFuture<Completion> result() {
            return result;
        }

        /** Ends the generation at its next token (or drops it from the queue); the result completes as CANCELLED. */
        public void cancel() {
            cancelled = true;
            if (pool.remove(this)) {
                finish("", 0, Completion.FinishReason.CANCELLED, System.nanoTime() - submitted, 0);
            }
        }

        @Override
        public void run() {
            long start = System.nanoTime();
            if (cancelled || start - request.deadlineNanos() > 0) {
                finish("", 0, cancelled ? Completion.FinishReason.CANCELLED : Completion.FinishReason.TIMEOUT,
                        start - submitted, 0);
                return;
            }
            Forward f = idle.poll();
            running.incrementAndGet();
            active.add(this);
            try {
                generate(f, start);
            } catch (Throwable t) {
                result.completeExceptionally(t);
            } finally {
                active.remove(this);
                running.decrementAndGet();
                idle.add(f);
            }
        }

        private void generate(Forward f, long start) {
            GenerationRequest r = request;
            TextStream text = new TextStream(r.stops());
            Completion.FinishReason[] ended = {null};
            Sampler sampler = new Sampler(model.vocabSize(), r.temperature(), r.topP(), r.seed());
            int steps = r.promptTokens().length + r.maxTokens() - 1;
            if (steps < 1) { // scoring BOS alone: nothing to run
                finish("", 0, Completion.FinishReason.LENGTH, start - submitted, System.nanoTime() - start);
                return;
            }
            List<TokenLogprob> promptScores = new ArrayList<>();
            List<TokenLogprob> scores = new ArrayList<>();
            Generator.Result g = Generator.run(f, sampler, r.promptTokens(), steps, r.promptStops(),
                    new Generator.TokenListener() {
                        private double[] pending; // log-softmax of the logits the next token is sampled from

                        @Override
                        public boolean wantsPromptLogits() {
                            return r.scorePrompt();
                        }

                        @Override
                        public void promptLogits(int pos, float[] logits) {
                            int[] p = r.promptTokens();
                            promptScores.add(score(p[pos], p[pos + 1], io.flightllm.twin.eval.Metrics.logSoftmax(logits)));
                        }

                        @Override
                        public void sampling(float[] logits) {
                            pending = r.logprobs() >= 0 ? io.flightllm.twin.eval.Metrics.logSoftmax(logits) : null;
                        }

                        @Override
                        public boolean generated(int prev, int token) {
                            if (pending != null) {
                                sampled(score(prev, token, pending));
                            }
                            emit(text.append(tokenizer.decode(prev, token)));
                            if (text.stopped()) {
                                ended[0] = Completion.FinishReason.STOP;
                            } else if (cancelled) {
                                ended[0] = Completion.FinishReason.CANCELLED;
                            } else if (System.nanoTime() - r.deadlineNanos() > 0) {
                                ended[0] = Completion.FinishReason.TIMEOUT;
                            }
                            return ended[0] == null;
                        }

                        @Override
                        public void stoppedOn(int prev, int token) {
                            if (pending != null) { // listed (with no text), as the usage counts it
                                sampled(score(prev, token, pending));
                            }
                        }

                        private void sampled(TokenLogprob t) {
                            scores.add(t);
                            onScore.accept(t);
                        }

                        private TokenLogprob score(int prev, int token, double[] lp) {
                            return TokenLogprob.of(token, lp, r.logprobs(), t -> piece(prev, t));
                        }
                    });
            emit(text.finish());
            Completion.FinishReason reason = g.stoppedOnToken() ? Completion.FinishReason.STOP
                    : ended[0] != null ? ended[0] : Completion.FinishReason.LENGTH;
            result.complete(new Completion(text.text(), request.promptTokens().length, g.generatedTokens(), reason,
                    start - submitted, System.nanoTime() - start, promptScores, scores));
        }

        /** A token's bytes after {@code prev}, as the text would continue with it; a stop token prints nothing. */
        private byte[] piece(int prev, int token) {
            return model.isStopToken(token) ? new byte[0] : tokenizer.decode(prev, token);
        }

        private void emit(String delta) {
            if (!delta.isEmpty()) {
                onText.accept(delta);
            }
        }

        private void finish(String text, int tokens, Completion.FinishReason reason, long queueNanos, long runNanos) {
            result.complete(new Completion(text, request.promptTokens().length, tokens, reason, queueNanos, runNanos));
        }
    }

    /** Stops the workers (running generations are cancelled) and frees the executors. */
    @Override
    public void close() {
        pool.shutdown();
        for (Runnable r : pool.getQueue().toArray(Runnable[]::new)) {
            if (r instanceof Handle h) {
                h.cancel();
            }
        }
        active.forEach(Handle::cancel);
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                return; // a worker is stuck in a forward pass; leave its executor alone
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        executors.forEach(Forward::close);
    }
}
