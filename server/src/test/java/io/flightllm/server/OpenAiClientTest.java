package io.flightllm.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import io.flightllm.runtime.testing.RunOutput;
import io.flightllm.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java client against a running server on stories260K. */
class OpenAiClientTest {
    private static TestServer server;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer();
        client = OpenAIOkHttpClient.builder().baseUrl(server.uri() + "/v1").apiKey("unused").maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    private static CompletionCreateParams greedy(String prompt, int maxTokens) {
        return CompletionCreateParams.builder().model(TestServer.MODEL_ID).prompt(prompt).maxTokens(maxTokens)
                .temperature(0.0).build();
    }

    private static String runText(String prompt, int maxTokens, float temperature, float topP, long seed) {
        byte[] run = RunOutput.run(server.backend, server.tokenizer, prompt, maxTokens, temperature, topP, seed);
        return RunOutput.generatedText(run, RunOutput.promptEcho(server.tokenizer, prompt));
    }

    @Test
    void aGreedyCompletionIsWhatRunGenerates() {
        for (String prompt : List.of("Once upon a time", "Tom and Sue")) {
            Completion c = client.completions().create(greedy(prompt, 48));
            CompletionChoice choice = c.choices().getFirst();
            assertThat(choice.text()).isEqualTo(runText(prompt, 48, 0f, 0.9f, 1));
            assertThat(c.model()).isEqualTo(TestServer.MODEL_ID);
            assertThat(c.usage().orElseThrow().promptTokens())
                    .isEqualTo(server.tokenizer.encode(prompt, true, false).length);
            if (choice.finishReason().equals(CompletionChoice.FinishReason.LENGTH)) {
                assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(48);
            }
        }
    }

    @Test
    void streamingYieldsTheSameTextAsNonStreaming() {
        for (String prompt : List.of("Once upon a time", "Lily went")) {
            String whole = client.completions().create(greedy(prompt, 60)).choices().getFirst().text();
            String streamed;
            CompletionChoice.FinishReason last;
            try (StreamResponse<Completion> s = client.completions().createStreaming(greedy(prompt, 60))) {
                List<Completion> chunks = s.stream().toList();
                streamed = chunks.stream().map(c -> c.choices().getFirst().text()).collect(Collectors.joining());
                last = chunks.getLast().choices().getFirst().finishReason();
                assertThat(chunks.size()).isGreaterThan(2);
            }
            assertThat(streamed).isEqualTo(whole);
            assertThat(last).isIn(CompletionChoice.FinishReason.LENGTH, CompletionChoice.FinishReason.STOP);
        }
    }

    @Test
    void chatStreamsTheSameTextAndReportsUsage() {
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model(TestServer.MODEL_ID)
                .addSystemMessage("Once upon a time").addUserMessage("there was a dog").maxCompletionTokens(40)
                .temperature(0.0).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .build();
        ChatCompletion whole = client.chat().completions().create(p);
        String text = whole.choices().getFirst().message().content().orElseThrow();
        // the plain template (stories260K has no chat format): the contents joined by newlines, continued as text
        assertThat(text).isEqualTo(runText("Once upon a time\nthere was a dog", 40, 0f, 0.9f, 1));
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(p)) {
            List<ChatCompletionChunk> chunks = s.stream().toList();
            String streamed = chunks.stream().flatMap(c -> c.choices().stream())
                    .map(c -> c.delta().content().orElse("")).collect(Collectors.joining());
            assertThat(streamed).isEqualTo(text);
            assertThat(chunks.getFirst().choices().getFirst().delta().role()).isPresent();
            ChatCompletionChunk usage = chunks.getLast();
            assertThat(usage.choices()).isEmpty();
            assertThat(usage.usage().orElseThrow().totalTokens()).isEqualTo(whole.usage().orElseThrow().totalTokens());
        }
    }

    @Test
    void aSeedReproducesRunsSampling() {
        CompletionCreateParams p = CompletionCreateParams.builder().model(TestServer.MODEL_ID).prompt("The cat")
                .maxTokens(50).temperature(1.0).topP(0.9).seed(1234).build();
        String a = client.completions().create(p).choices().getFirst().text();
        assertThat(a).isEqualTo(runText("The cat", 50, 1f, 0.9f, 1234));
        assertThat(client.completions().create(p).choices().getFirst().text()).isEqualTo(a);
    }

    /** The official client reads the legacy logprobs object and echo, and chat's logprobs. */
    @Test
    void theClientReadsLogprobsAndEcho() {
        CompletionCreateParams p = CompletionCreateParams.builder().model(TestServer.MODEL_ID).prompt("The cat")
                .maxTokens(6).temperature(0.0).logprobs(2).echo(true).build();
        CompletionChoice c = client.completions().create(p).choices().getFirst();
        assertThat(c.text()).startsWith("The cat").isEqualTo("The cat" + runText("The cat", 6, 0f, 0.9f, 1));
        CompletionChoice.Logprobs lp = c.logprobs().orElseThrow();
        int promptTokens = server.tokenizer.encode("The cat", true, false).length - 1;
        assertThat(lp.tokens().orElseThrow()).hasSize(promptTokens + 6);
        assertThat(lp.tokenLogprobs().orElseThrow()).hasSize(promptTokens + 6).allSatisfy(v -> assertThat(v)
                .isLessThanOrEqualTo(0.0));
        assertThat(lp.topLogprobs().orElseThrow()).hasSize(promptTokens + 6);
        assertThat(String.join("", lp.tokens().orElseThrow())).isEqualTo(c.text());
        ChatCompletion chat = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(TestServer.MODEL_ID).addUserMessage("The cat").maxCompletionTokens(5).temperature(0.0)
                .logprobs(true).topLogprobs(3).build());
        var content = chat.choices().getFirst().logprobs().orElseThrow().content().orElseThrow();
        assertThat(content).hasSize(5).allSatisfy(t -> assertThat(t.topLogprobs()).hasSize(3));
        assertThat(content.stream().map(t -> t.token()).collect(Collectors.joining()))
                .isEqualTo(chat.choices().getFirst().message().content().orElseThrow());
    }

    @Test
    void stopStringsCutTheText() {
        String full = client.completions().create(greedy("Once upon a time", 40)).choices().getFirst().text();
        Completion c = client.completions().create(CompletionCreateParams.builder().model(TestServer.MODEL_ID)
                .prompt("Once upon a time").maxTokens(40).temperature(0.0).stop("Lily").build());
        assertThat(c.choices().getFirst().text()).isEqualTo(full.substring(0, full.indexOf("Lily")));
        assertThat(c.choices().getFirst().finishReason()).isEqualTo(CompletionChoice.FinishReason.STOP);
    }

    @Test
    void modelsAreListedAndErrorsReachTheClient() {
        List<Model> models = client.models().list().data();
        assertThat(models).extracting(Model::id).containsExactly(TestServer.MODEL_ID);
        assertThat(client.models().retrieve(TestServer.MODEL_ID).id()).isEqualTo(TestServer.MODEL_ID);
        assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder().model("gpt-4")
                .prompt("x").build())).isInstanceOfSatisfying(OpenAIServiceException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.code()).contains("model_not_found");
                });
    }
}
