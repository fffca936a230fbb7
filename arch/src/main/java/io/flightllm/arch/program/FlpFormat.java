package io.flightllm.arch.program;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.flightllm.arch.container.ContainerLayout;

import java.nio.charset.StandardCharsets;

/** The {@code .flp} container: magic "FLP1", version 1, manifest = {@link Program} as JSON (docs/flp.md). */
public final class FlpFormat {
    public static final int VERSION = 1;
    public static final ContainerLayout LAYOUT = new ContainerLayout("FLP1".getBytes(StandardCharsets.US_ASCII),
            VERSION, 256L << 20);

    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private FlpFormat() {
    }

    /** Payload name of one core's stream in one bucket. */
    public static String streamPayload(Bucket.Kind kind, int length, int core) {
        return kind.name().toLowerCase(java.util.Locale.ROOT) + "." + length + ".core" + core;
    }
}
