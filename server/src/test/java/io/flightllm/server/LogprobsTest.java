package io.flightllm.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.flightllm.model.forward.Forward;
import io.flightllm.runtime.TokenLogprob;
import io.flightllm.server.testing.Http;
import io.flightllm.server.testing.TestServer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * /v1/completions with {@code logprobs} and {@code echo} (the legacy form that lm-evaluation-harness's
 * local-completions model reads): every value is checked against the log-softmax of the model's own logits, computed
 * here position by position on a fresh executor of the same backend.
 */
class LogprobsTest {
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

    /** Log-softmax of the model's logits after each prefix of {@code tokens} (BOS first): row p predicts p + 1. */
    private static double[][] reference(int[] tokens) {
        try (Forward f = server.backend.forward(512)) {
            double[][] out = new double[tokens.length][];
            for (int p = 0; p < tokens.length; p++) {
                out[p] = io.flightllm.twin.eval.Metrics.logSoftmax(f.forward(tokens[p], p));
            }
            return out;
        }
    }

    private static JsonNode complete(String body) {
        Http.Reply r = http.post("/v1/completions", body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private static int[] withBos(int[] ids) {
        int[] t = new int[ids.length + 1];
        t[0] = server.tokenizer.bosId();
        System.arraycopy(ids, 0, t, 1, ids.length);
        return t;
    }

    @Test
    void greedyTokensCarryTheirLogprobsAndTheTopAlternatives() {
        JsonNode c = complete("{\"model\": \"stories260K\", \"prompt\": \"Once upon a time\", \"max_tokens\": 12, "
                + "\"temperature\": 0, \"logprobs\": 3}").get("choices").get(0);
        JsonNode lp = c.get("logprobs");
        int n = lp.get("tokens").size();
        assertThat(n).isEqualTo(12);
        assertThat(lp.get("token_logprobs")).hasSize(n);
        assertThat(lp.get("top_logprobs")).hasSize(n);
        assertThat(lp.get("text_offset")).hasSize(n);
        StringBuilder text = new StringBuilder();
        List<Integer> ids = new ArrayList<>();
        for (int t : server.tokenizer.encode("Once upon a time", true, false)) {
            ids.add(t);
        }
        for (int i = 0; i < n; i++) {
            assertThat(lp.get("text_offset").get(i).asInt()).isEqualTo(text.codePointCount(0, text.length()));
            text.append(lp.get("tokens").get(i).asText());
            JsonNode top = lp.get("top_logprobs").get(i);
            assertThat(top.size()).isBetween(1, 3);
            double best = Double.NEGATIVE_INFINITY;
            double previous = Double.POSITIVE_INFINITY;
            for (Iterator<Map.Entry<String, JsonNode>> it = top.fields(); it.hasNext(); ) {
                double v = it.next().getValue().asDouble();
                assertThat(v).isLessThanOrEqualTo(previous).isLessThanOrEqualTo(0.0);
                previous = v;
                best = Math.max(best, v);
            }
            // greedy: the chosen token is the most likely one
            assertThat(lp.get("token_logprobs").get(i).asDouble()).isEqualTo(best);
        }
        assertThat(text.toString()).isEqualTo(c.get("text").asText());
        // the values are the model's: re-run the prompt and the generated text position by position
        int[] prompt = ids.stream().mapToInt(Integer::intValue).toArray();
        int[] all = new int[prompt.length + n];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        double[][] ref = reference(all);
        for (int i = 0; i < n; i++) {
            double[] row = ref[prompt.length - 1 + i];
            int chosen = argmax(row);
            all[prompt.length + i] = chosen;
            if (i + 1 < n) {
                ref = reference(all); // the next row depends on this token
            }
            assertThat(lp.get("token_logprobs").get(i).asDouble()).as("token %d", i).isCloseTo(row[chosen],
                    within(1e-9));
        }
    }

    /** Log-probabilities are the model's, not the sampler's: temperature and top-p do not change them. */
    @Test
    void samplingSettingsDoNotChangeTheLogprobs() {
        int[] prompt = server.tokenizer.encode("Once upon a time", true, false);
        double[] row = reference(prompt)[prompt.length - 1];
        double[] sorted = java.util.Arrays.stream(row).boxed().sorted(java.util.Comparator.reverseOrder())
                .mapToDouble(Double::doubleValue).limit(5).toArray();
        for (String sampling : List.of("\"temperature\": 0", "\"temperature\": 1.7, \"seed\": 5",
                "\"temperature\": 0.3, \"top_p\": 0.5, \"seed\": 9")) {
            JsonNode top = complete("{\"model\": \"stories260K\", \"prompt\": \"Once upon a time\", "
                    + "\"max_tokens\": 1, \"logprobs\": 5, " + sampling + "}").get("choices").get(0)
                    .get("logprobs").get("top_logprobs").get(0);
            List<Double> values = new ArrayList<>();
            top.fields().forEachRemaining(e -> values.add(e.getValue().asDouble()));
            assertThat(values).as(sampling).hasSizeBetween(1, 5);
            for (int i = 0; i < values.size(); i++) {
                assertThat(values.get(i)).as(sampling).isCloseTo(sorted[i], within(1e-9));
            }
        }
    }

    @Test
    void echoWithMaxTokensZeroScoresATokenIdPrompt() {
        int[] ids = server.tokenizer.encode("Once upon a time, there was a cat", false, false);
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < ids.length; i++) {
            json.append(i == 0 ? "" : ",").append(ids[i]);
        }
        // [[ids]]: one prompt of token ids, as lm-evaluation-harness sends it (BOS is added by the server)
        JsonNode r = complete("{\"model\": \"stories260K\", \"prompt\": [" + json + "]], \"max_tokens\": 0, "
                + "\"echo\": true, \"logprobs\": 1}");
        JsonNode c = r.get("choices").get(0);
        JsonNode lp = c.get("logprobs");
        assertThat(lp.get("tokens")).hasSize(ids.length);
        assertThat(r.get("usage").get("completion_tokens").asInt()).isZero();
        assertThat(c.get("finish_reason").asText()).isEqualTo("length");
        double[][] ref = reference(withBos(ids));
        StringBuilder text = new StringBuilder();
        double sum = 0;
        for (int i = 0; i < ids.length; i++) {
            double v = lp.get("token_logprobs").get(i).asDouble();
            assertThat(v).as("prompt token %d", i).isCloseTo(ref[i][ids[i]], within(1e-9));
            sum += v;
            text.append(lp.get("tokens").get(i).asText());
        }
        assertThat(c.get("text").asText()).isEqualTo(text.toString()).startsWith("Once upon a time");
        assertThat(sum).isNegative();
        // a stop token inside a scored prompt does not end it: every token is scored (llama2.c models stop on BOS)
        int eos = server.tokenizer.bosId();
        JsonNode withEos = complete("{\"model\": \"stories260K\", \"prompt\": [" + ids[0] + ", " + eos + ", "
                + ids[1] + "], \"max_tokens\": 0, \"echo\": true, \"logprobs\": 0}");
        assertThat(withEos.get("choices").get(0).get("logprobs").get("token_logprobs")).hasSize(3);
    }

    @Test
    void echoPrecedesTheGeneratedTextAndItsTokens() {
        JsonNode c = complete("{\"model\": \"stories260K\", \"prompt\": \"Once upon\", \"max_tokens\": 3, "
                + "\"temperature\": 0, \"echo\": true, \"logprobs\": 0}").get("choices").get(0);
        JsonNode plain = complete("{\"model\": \"stories260K\", \"prompt\": \"Once upon\", \"max_tokens\": 3, "
                + "\"temperature\": 0}").get("choices").get(0);
        assertThat(c.get("text").asText()).isEqualTo("Once upon" + plain.get("text").asText());
        JsonNode lp = c.get("logprobs");
        int promptTokens = server.tokenizer.encode("Once upon", true, false).length - 1;
        assertThat(lp.get("tokens")).hasSize(promptTokens + 3);
        assertThat(lp.get("text_offset").get(promptTokens).asInt()).isEqualTo("Once upon".length());
        assertThat(lp.get("top_logprobs").get(0).isEmpty()).isTrue(); // logprobs 0: no alternatives
        // echo without logprobs: the text only
        JsonNode e = complete("{\"model\": \"stories260K\", \"prompt\": \"Once upon\", \"max_tokens\": 3, "
                + "\"temperature\": 0, \"echo\": true}").get("choices").get(0);
        assertThat(e.get("text").asText()).isEqualTo(c.get("text").asText());
        assertThat(e.get("logprobs").isNull()).isTrue();
    }

    /** Chat's form: one entry per sampled token with its bytes and top alternatives; the tokens spell the message. */
    @Test
    void chatCompletionsCarryTheContentForm() {
        Http.Reply r = http.post("/v1/chat/completions", "{\"model\": \"stories260K\", \"messages\": [{\"role\": "
                + "\"user\", \"content\": \"Once upon a time\"}], \"max_tokens\": 10, \"temperature\": 0, "
                + "\"logprobs\": true, \"top_logprobs\": 2}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode choice = r.json().get("choices").get(0);
        JsonNode content = choice.get("logprobs").get("content");
        assertThat(content).hasSize(r.json().get("usage").get("completion_tokens").asInt());
        StringBuilder text = new StringBuilder();
        for (JsonNode e : content) {
            byte[] bytes = new byte[e.get("bytes").size()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) e.get("bytes").get(i).asInt();
            }
            assertThat(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(e.get("token").asText());
            text.append(e.get("token").asText());
            assertThat(e.get("top_logprobs")).hasSize(2);
            // greedy: the chosen token is the first alternative
            assertThat(e.get("top_logprobs").get(0).get("logprob").asDouble()).isEqualTo(e.get("logprob").asDouble());
            assertThat(e.get("top_logprobs").get(1).get("logprob").asDouble())
                    .isLessThanOrEqualTo(e.get("logprob").asDouble());
        }
        assertThat(text.toString()).isEqualTo(choice.get("message").get("content").asText());
        assertThat(choice.get("logprobs").get("refusal").isNull()).isTrue();
    }

    /** The JSON objects of a server-sent-event body (without the final [DONE]). */
    private static List<JsonNode> events(Http.Reply r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
                try {
                    out.add(Http.JSON.readTree(line.substring(6)));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
        return out;
    }

    /** Streamed chunks carry the scores of their tokens: together, exactly the whole answer's (both forms). */
    @Test
    void streamedChunksCarryTheSameLogprobsAsTheWholeAnswer() {
        String body = "{\"model\": \"stories260K\", \"prompt\": \"Once upon a time\", \"max_tokens\": 20, "
                + "\"temperature\": 0.8, \"seed\": 7, \"logprobs\": 2, \"stop\": [\"park\"]";
        JsonNode whole = complete(body + "}").get("choices").get(0).get("logprobs");
        List<String> tokens = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        for (JsonNode chunk : events(http.post("/v1/completions", body + ", \"stream\": true}"))) {
            JsonNode lp = chunk.get("choices").get(0).get("logprobs");
            lp.get("tokens").forEach(t -> tokens.add(t.asText()));
            lp.get("token_logprobs").forEach(v -> values.add(v.asDouble()));
            lp.get("text_offset").forEach(v -> offsets.add(v.asInt()));
        }
        assertThat(tokens).hasSizeGreaterThan(1);
        assertThat(tokens).containsExactlyElementsOf(() -> whole.get("tokens").valueStream().map(JsonNode::asText)
                .iterator());
        assertThat(values).containsExactlyElementsOf(() -> whole.get("token_logprobs").valueStream()
                .map(JsonNode::asDouble).iterator());
        assertThat(offsets).containsExactlyElementsOf(() -> whole.get("text_offset").valueStream()
                .map(JsonNode::asInt).iterator());
        String chat = "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \"Once\"}], "
                + "\"max_tokens\": 12, \"temperature\": 0, \"logprobs\": true, \"top_logprobs\": 1";
        JsonNode wholeChat = http.post("/v1/chat/completions", chat + "}").json().get("choices").get(0)
                .get("logprobs").get("content");
        List<JsonNode> streamed = new ArrayList<>();
        for (JsonNode chunk : events(http.post("/v1/chat/completions", chat + ", \"stream\": true}"))) {
            JsonNode lp = chunk.get("choices").get(0).get("logprobs");
            if (lp != null && !lp.isNull()) {
                lp.get("content").forEach(streamed::add);
            }
        }
        assertThat(streamed).containsExactlyElementsOf(() -> wholeChat.valueStream().iterator());
    }

    private static int argmax(double[] v) {
        int b = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[b]) {
                b = i;
            }
        }
        return b;
    }
}
