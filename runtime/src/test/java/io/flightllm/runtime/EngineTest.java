package io.flightllm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flightllm.model.tokenizer.Tokenizer;
import io.flightllm.runtime.Completion.FinishReason;
import io.flightllm.runtime.testing.RunOutput;
import io.flightllm.runtime.testing.SlowForward;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The engine on stories260K: the same text as run, streaming, stop strings, limits, cancellation, deadlines. */
class EngineTest {
    private static final long NO_DEADLINE = Long.MAX_VALUE / 2;
    private static Backend backend;
    private static Tokenizer tok;

    @BeforeAll
    static void load() {
        backend = Backend.open("ref", RunOutput.stories(), "exact", 1);
        tok = backend.tokenizer(RunOutput.tok512());
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static GenerationRequest request(String prompt, int maxTokens, float temperature, long seed,
                                             List<String> stops, long deadline) {
        return new GenerationRequest(tok.encode(prompt, true, false), true, maxTokens, temperature, 0.9f, seed, stops,
                deadline);
    }

    private static Completion complete(Engine e, GenerationRequest r, List<String> deltas) throws Exception {
        return e.submit(r, deltas::add).result().get(60, TimeUnit.SECONDS);
    }

    private static Engine engine(int workers, int queue) {
        return new Engine(backend, tok, new Engine.Config(workers, queue, 512));
    }

    /** An engine whose executors sleep {@code ms} per position. */
    private static Engine slow(int workers, int queue, long ms) {
        return new Engine(backend.config(), tok, n -> new SlowForward(backend.forward(n), ms),
                new Engine.Config(workers, queue, 512));
    }

    /**
     * Log-probabilities: one entry per sampled token, a sampled stop token last (no text, as usage counts it); the
     * prompt scored when asked. The stop token is forced by an executor that makes BOS (stories260K's stop token) the
     * likeliest token from position 8 on.
     */
    @Test
    void logprobsListEverySampledTokenWithAStopTokenLast() throws Exception {
        int bos = tok.bosId();
        try (Engine e = new Engine(backend.config(), tok, n -> new DelegatingForward(backend.forward(n)) {
            @Override
            public float[] forward(int token, int pos) {
                float[] l = super.forward(token, pos);
                if (pos >= 8) {
                    l[bos] = 1e4f;
                }
                return l;
            }
        }, new Engine.Config(1, 1, 512))) {
            int[] prompt = tok.encode("Once upon a time", true, false);
            Completion c = complete(e, new GenerationRequest(prompt, true, 50, 0f, 1f, 1, List.of(), NO_DEADLINE, 2,
                    true), new ArrayList<>());
            assertThat(c.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(c.logprobs()).hasSize(c.completionTokens());
            TokenLogprob last = c.logprobs().getLast();
            assertThat(last.token()).isEqualTo(bos);
            assertThat(last.bytes()).isEmpty();
            assertThat(last.logprob()).isCloseTo(0.0, org.assertj.core.api.Assertions.within(1e-6));
            assertThat(c.logprobs().subList(0, c.logprobs().size() - 1).stream().map(TokenLogprob::piece)
                    .reduce("", String::concat)).isEqualTo(c.text());
            assertThat(c.logprobs()).allSatisfy(t -> assertThat(t.top()).hasSize(2));
            // the prompt after BOS, each token scored given the ones before it
            assertThat(c.promptLogprobs()).hasSize(prompt.length - 1);
            assertThat(c.promptLogprobs().stream().mapToInt(TokenLogprob::token).toArray())
                    .containsExactly(java.util.Arrays.copyOfRange(prompt, 1, prompt.length));
        }
    }

    /** Executors that hold fewer positions than asked (a compiled program's context) set the engine's context. */
    @Test
    void theContextIsTheExecutorsWhenTheyHoldFewerPositions() {
        try (Engine e = new Engine(backend.config(), tok, n -> backend.forward(Math.min(n, 64)),
                new Engine.Config(1, 1, 512))) {
            assertThat(e.contextLength()).isEqualTo(64);
            assertThatThrownBy(() -> e.submit(request("Once", 100, 0f, 1, List.of(), NO_DEADLINE), s -> { }))
                    .isInstanceOf(ContextLengthException.class).hasMessageContaining("the context holds 64 positions");
        }
    }

    @Test
    void greedyTextIsRunsOutputWithoutThePromptAndStreamsTheSameText() throws Exception {
        try (Engine e = engine(1, 4)) {
            for (String prompt : List.of("", "Once upon a time", "Lily and Ben went to the park")) {
                for (int max : new int[] {1, 7, 60}) {
                    List<String> deltas = new ArrayList<>();
                    Completion c = complete(e, request(prompt, max, 0f, 1, List.of(), NO_DEADLINE), deltas);
                    byte[] run = RunOutput.run(backend, tok, prompt, max, 0f, 0.9f, 1);
                    String expected = RunOutput.generatedText(run, RunOutput.promptEcho(tok, prompt));
                    assertThat(c.text()).as("prompt '%s', max %d", prompt, max).isEqualTo(expected);
                    assertThat(String.join("", deltas)).isEqualTo(c.text());
                    assertThat(c.promptTokens()).isEqualTo(tok.encode(prompt, true, false).length);
                    if (c.finishReason() == FinishReason.LENGTH) {
                        assertThat(c.completionTokens()).isEqualTo(max);
                    } else {
                        assertThat(c.finishReason()).isEqualTo(FinishReason.STOP);
                        assertThat(c.completionTokens()).isLessThanOrEqualTo(max);
                    }
                }
            }
        }
    }

    @Test
    void theComparisonWithRunNoticesADifferentByte() {
        String prompt = "Once upon a time";
        byte[] run = RunOutput.run(backend, tok, prompt, 20, 0f, 0.9f, 1);
        String expected = RunOutput.generatedText(run, RunOutput.promptEcho(tok, prompt));
        run[run.length - 3] ^= 1;
        assertThat(RunOutput.generatedText(run, RunOutput.promptEcho(tok, prompt))).isNotEqualTo(expected);
    }

    @Test
    void seededSamplingMatchesRunWithTheSameSeed() throws Exception {
        try (Engine e = engine(2, 4)) {
            Completion c = complete(e, request("The dog", 80, 1f, 42, List.of(), NO_DEADLINE), new ArrayList<>());
            byte[] run = RunOutput.run(backend, tok, "The dog", 80, 1f, 0.9f, 42);
            assertThat(c.text()).isEqualTo(RunOutput.generatedText(run, RunOutput.promptEcho(tok, "The dog")));
        }
    }

    @Test
    void concurrentGenerationsGiveTheSameTextsAsOneAtATime() throws Exception {
        List<String> prompts = List.of("Once upon a time", "The cat", "Tom had a big red ball", "One day");
        List<String> alone = new ArrayList<>();
        try (Engine e = engine(1, 8)) {
            for (String p : prompts) {
                alone.add(complete(e, request(p, 50, 0f, 1, List.of(), NO_DEADLINE), new ArrayList<>()).text());
            }
        }
        try (Engine e = engine(2, 8)) {
            List<Engine.Handle> hs = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (String p : prompts) {
                    hs.add(e.submit(request(p, 50, 0f, 1, List.of(), NO_DEADLINE), d -> { }));
                }
                for (int i = 0; i < hs.size(); i++) {
                    assertThat(hs.get(i).result().get(60, TimeUnit.SECONDS).text()).isEqualTo(alone.get(i));
                }
                hs.clear();
            }
        }
    }

    @Test
    void aStopStringEndsTheTextBeforeIt() throws Exception {
        try (Engine e = engine(1, 1)) {
            String full = complete(e, request("Once upon a time", 40, 0f, 1, List.of(), NO_DEADLINE),
                    new ArrayList<>()).text();
            assertThat(full).contains("Lily");
            List<String> deltas = new ArrayList<>();
            Completion c = complete(e, request("Once upon a time", 40, 0f, 1, List.of("Lily"), NO_DEADLINE), deltas);
            assertThat(c.text()).isEqualTo(full.substring(0, full.indexOf("Lily")));
            assertThat(c.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(c.completionTokens()).isLessThan(40);
            assertThat(String.join("", deltas)).isEqualTo(c.text());
        }
    }

    @Test
    void requestsBeyondTheContextAreRefused() {
        try (Engine e = new Engine(backend, tok, new Engine.Config(1, 1, 32))) {
            int n = tok.encode("Once upon a time", true, false).length;
            assertThat(e.maxNewTokens(n)).isEqualTo(32 - n + 1);
            assertThatThrownBy(() -> e.submit(request("Once upon a time", 32 - n + 2, 0f, 1, List.of(), NO_DEADLINE),
                    d -> { })).isInstanceOf(ContextLengthException.class).hasMessageContaining("at most " + (33 - n));
        }
    }

    @Test
    void aFullQueueIsRefusedAtOnceAndCancellingFreesTheWorker() throws Exception {
        try (Engine e = slow(1, 1, 20)) {
            CountDownLatch started = new CountDownLatch(1);
            Engine.Handle running = e.submit(request("Once", 200, 0f, 1, List.of(), NO_DEADLINE),
                    d -> started.countDown());
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            Engine.Handle queued = e.submit(request("The cat", 5, 0f, 1, List.of(), NO_DEADLINE), d -> { });
            assertThat(e.queued()).isEqualTo(1);
            assertThatThrownBy(() -> e.submit(request("x", 5, 0f, 1, List.of(), NO_DEADLINE), d -> { }))
                    .isInstanceOf(Engine.QueueFullException.class).hasMessageContaining("1 workers are busy");
            long t0 = System.nanoTime();
            running.cancel();
            Completion c = running.result().get(10, TimeUnit.SECONDS);
            assertThat(c.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(c.completionTokens()).isLessThan(200);
            assertThat(queued.result().get(30, TimeUnit.SECONDS).finishReason()).isIn(FinishReason.LENGTH,
                    FinishReason.STOP);
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5); // not 200 tokens x 20 ms
        }
    }

    @Test
    void aCancelledQueuedRequestNeverRuns() throws Exception {
        try (Engine e = slow(1, 2, 20)) {
            CountDownLatch started = new CountDownLatch(1);
            Engine.Handle running = e.submit(request("Once", 30, 0f, 1, List.of(), NO_DEADLINE),
                    d -> started.countDown());
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            List<String> deltas = Collections.synchronizedList(new ArrayList<>());
            Engine.Handle queued = e.submit(request("The cat", 5, 0f, 1, List.of(), NO_DEADLINE), deltas::add);
            queued.cancel();
            Completion c = queued.result().get(1, TimeUnit.SECONDS);
            assertThat(c.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(c.completionTokens()).isZero();
            assertThat(e.queued()).isZero();
            running.result().get(30, TimeUnit.SECONDS);
            assertThat(deltas).isEmpty();
        }
    }

    @Test
    void theDeadlineEndsAGenerationAsTimedOut() throws Exception {
        try (Engine e = slow(1, 1, 20)) {
            long deadline = System.nanoTime() + 300_000_000L;
            Completion c = complete(e, request("Once", 400, 0f, 1, List.of(), deadline), new ArrayList<>());
            assertThat(c.finishReason()).isEqualTo(FinishReason.TIMEOUT);
            assertThat(c.completionTokens()).isBetween(1, 40);
            Completion late = complete(e, request("Once", 4, 0f, 1, List.of(), System.nanoTime() - 1),
                    new ArrayList<>());
            assertThat(late.finishReason()).isEqualTo(FinishReason.TIMEOUT);
            assertThat(late.completionTokens()).isZero();
        }
    }

    @Test
    void closingCancelsRunningGenerationsAndRefusesNewOnes() throws Exception {
        Engine e = slow(1, 1, 20);
        CountDownLatch started = new CountDownLatch(1);
        Engine.Handle h = e.submit(request("Once", 400, 0f, 1, List.of(), NO_DEADLINE), d -> started.countDown());
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        e.close();
        assertThat(h.result().get(5, TimeUnit.SECONDS).finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThatThrownBy(() -> e.submit(request("x", 4, 0f, 1, List.of(), NO_DEADLINE), d -> { }))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void chatHistoriesKeepTheirInnerStopTokens() throws Exception {
        // a LLaMA-2 history has </s><s> between turns: with prompt stops (run's rule) the run would end at the first
        int[] tokens = ChatTemplate.LLAMA2.encode(List.of(new ChatTemplate.Message("user", "Hi"),
                new ChatTemplate.Message("assistant", "Hello"), new ChatTemplate.Message("user", "Once")), tok);
        try (Engine e = engine(1, 1)) {
            Completion forced = complete(e, new GenerationRequest(tokens, false, 5, 0f, 1f, 1, List.of(), NO_DEADLINE),
                    new ArrayList<>());
            assertThat(forced.completionTokens()).isPositive();
            Completion runRule = complete(e, new GenerationRequest(tokens, true, 5, 0f, 1f, 1, List.of(),
                    NO_DEADLINE), new ArrayList<>());
            assertThat(runRule.completionTokens()).isZero();
            assertThat(runRule.finishReason()).isEqualTo(FinishReason.STOP);
        }
    }
}
