package io.flightllm.server;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of one server.
 *
 * @param host             address to bind (loopback unless told otherwise)
 * @param port             TCP port (0 = any free port)
 * @param modelId          the id clients name in "model" and /v1/models lists
 * @param maxBodyBytes     largest request body accepted (413 above)
 * @param requestTimeout   from arrival to the last token; past it the generation ends and the answer is 503
 * @param idleTimeout      a connection that sends or accepts nothing for this long is closed
 */
public record ServerConfig(String host, int port, String modelId, long maxBodyBytes, Duration requestTimeout,
                           Duration idleTimeout) {
    /** Default largest request body: 1 MiB. */
    public static final long DEFAULT_MAX_BODY_BYTES = 1 << 20;

    public ServerConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port is " + port + "; expected 0 to 65535");
        }
        if (maxBodyBytes < 1024 || maxBodyBytes > (1L << 30)) {
            throw new IllegalArgumentException("--max-body-bytes is " + maxBodyBytes + "; expected 1024 to 2^30");
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("--request-timeout must be positive");
        }
    }

    /** The default model id: the model's file or directory name without its extension ({@code stories260K}). */
    public static String modelIdFor(Path model) {
        Path name = model.toAbsolutePath().normalize().getFileName();
        String s = name == null ? "model" : name.toString();
        int dot = s.lastIndexOf('.');
        return dot > 0 ? s.substring(0, dot) : s;
    }
}
