package io.flightllm.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.eclipse.jetty.server.Request;

/** Reads a request body under the size limit and parses it as one strict JSON object in UTF-8. */
final class RequestBody {
    static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private RequestBody() {
    }

    /**
     * Oversize bodies up to this many bytes are read and discarded before the 413, so a client that is still writing
     * finishes and then reads the answer (answering early and closing can reach it as a connection reset instead);
     * larger ones are refused at once and the connection is closed.
     */
    static final long DRAIN_LIMIT = 16L << 20;

    /** The body bytes; 413 when the declared or actual length exceeds {@code limit}. */
    static byte[] read(Request request, long limit) {
        long declared = request.getLength();
        byte[] bytes;
        try (InputStream in = Request.asInputStream(request)) {
            if (declared > limit) {
                if (declared <= DRAIN_LIMIT) {
                    drain(in, declared);
                }
                throw tooLarge(declared + " bytes", limit);
            }
            bytes = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
            if (bytes.length > limit) {
                drain(in, DRAIN_LIMIT - bytes.length);
                throw tooLarge("more than " + limit + " bytes", limit);
            }
        } catch (IOException e) {
            throw new ApiException(400, "invalid_request_error", null, "incomplete_body", "the request body could "
                    + "not be read: " + e.getMessage());
        }
        return bytes;
    }

    /** Reads and discards at most {@code max} bytes (the rest of an oversize body, for a clean 413). */
    private static void drain(InputStream in, long max) throws IOException {
        byte[] sink = new byte[64 << 10];
        long left = max;
        int n;
        while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) >= 0) {
            left -= n;
        }
    }

    private static ApiException tooLarge(String size, long limit) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large",
                "the request body is " + size + "; at most " + limit + " bytes are accepted (--max-body-bytes)");
    }

    /** The body as a JSON object; 400 for bytes that are not UTF-8, malformed JSON or a non-object root. */
    static JsonNode parseObject(byte[] bytes) {
        if (bytes.length == 0) {
            throw ApiException.invalid(null, "invalid_json", "the request body is empty; expected a JSON object");
        }
        checkUtf8(bytes);
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : String.format(Locale.ROOT, " at line %d, column %d",
                    e.getLocation().getLineNr(), e.getLocation().getColumnNr());
            throw ApiException.invalid(null, "invalid_json", "the request body is not valid JSON" + where + ": "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.invalid(null, "invalid_json", "the request body cannot be read as JSON: "
                    + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw ApiException.invalid(null, "invalid_json", "the request body is "
                    + (root == null ? "empty" : "a JSON " + root.getNodeType().name().toLowerCase(Locale.ROOT))
                    + "; expected a JSON object");
        }
        return root;
    }

    private static void checkUtf8(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(in);
        } catch (CharacterCodingException e) {
            // decode() leaves the position at the start of the bad sequence
            throw ApiException.invalid(null, "invalid_encoding", String.format(Locale.ROOT,
                    "the request body is not valid UTF-8 (byte 0x%02X at offset %d)", bytes[in.position()] & 0xFF,
                    in.position()));
        }
    }
}
