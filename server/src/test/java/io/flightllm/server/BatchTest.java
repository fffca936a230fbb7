package io.flightllm.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.flightllm.server.testing.Http;
import io.flightllm.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /v1/completions with a batch of prompts: one choice per prompt, each what the prompt alone gives. */
class BatchTest {
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

    private static JsonNode post(String body) {
        Http.Reply r = http.post("/v1/completions", body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    @Test
    void eachChoiceIsWhatItsPromptAloneGives() {
        String[] prompts = {"Once upon a time", "The cat", "Lily and Ben"};
        JsonNode batch = post("{\"model\": \"stories260K\", \"prompt\": [\"" + String.join("\", \"", prompts)
                + "\"], \"max_tokens\": 9, \"temperature\": 0.7, \"seed\": 3}");
        assertThat(batch.get("choices")).hasSize(3);
        int promptTokens = 0;
        int completionTokens = 0;
        for (int i = 0; i < prompts.length; i++) {
            JsonNode alone = post("{\"model\": \"stories260K\", \"prompt\": \"" + prompts[i] + "\", \"max_tokens\": 9, "
                    + "\"temperature\": 0.7, \"seed\": 3}");
            JsonNode c = batch.get("choices").get(i);
            assertThat(c.get("index").asInt()).isEqualTo(i);
            assertThat(c.get("text").asText()).isEqualTo(alone.get("choices").get(0).get("text").asText());
            promptTokens += alone.get("usage").get("prompt_tokens").asInt();
            completionTokens += alone.get("usage").get("completion_tokens").asInt();
        }
        assertThat(batch.get("usage").get("prompt_tokens").asInt()).isEqualTo(promptTokens);
        assertThat(batch.get("usage").get("completion_tokens").asInt()).isEqualTo(completionTokens);
    }

    /** lm-evaluation-harness's batched log-likelihood request: token-id prompts, echo, one generated token. */
    @Test
    void aBatchOfTokenPromptsIsScored() {
        int[] a = server.tokenizer.encode("Once upon a time", false, false);
        int[] b = server.tokenizer.encode("The dog ran", false, false);
        JsonNode r = post("{\"model\": \"stories260K\", \"prompt\": [" + ids(a) + ", " + ids(b) + "], \"max_tokens\": 1, "
                + "\"temperature\": 0, \"logprobs\": 1, \"echo\": true}");
        assertThat(r.get("choices").get(0).get("logprobs").get("token_logprobs")).hasSize(a.length + 1);
        assertThat(r.get("choices").get(1).get("logprobs").get("token_logprobs")).hasSize(b.length + 1);
        assertThat(r.get("choices").get(1).get("text").asText()).startsWith("The dog ran");
    }

    /**
     * A batch larger than the workers and the queue hold is refused whole with 429, and the server keeps serving. One
     * worker and a queue of 2 on a model slowed to 50 ms per position: 5 prompts cannot all be taken.
     */
    @Test
    void aBatchTheQueueCannotHoldIsRefusedWhole() throws Exception {
        try (TestServer slow = new TestServer(1, 2, 50, java.time.Duration.ofSeconds(60));
             Http h = new Http(slow.uri())) {
            Http.Reply r = h.post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": ["
                    + "\"a\",".repeat(4) + "\"a\"], \"max_tokens\": 2}");
            assertThat(r.status()).as(r.body()).isEqualTo(429);
            assertThat(r.json().get("error").get("code").asText()).isEqualTo("queue_full");
            Http.Reply ok = h.post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": [\"a\", \"b\"], "
                    + "\"max_tokens\": 2}");
            assertThat(ok.status()).as(ok.body()).isEqualTo(200);
            assertThat(ok.json().get("choices")).hasSize(2);
        }
    }

    private static String ids(int[] t) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < t.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(t[i]);
        }
        return sb.append(']').toString();
    }
}
