package io.flightllm.server;

/**
 * An error answered with an OpenAI-style body {@code {"error":{"message","type","param","code"}}}.
 *
 * @param status HTTP status
 * @param type   OpenAI's error type: invalid_request_error, rate_limit_error, server_error
 * @param param  the request field at fault, or null
 * @param code   a stable machine-readable code, or null
 */
final class ApiException extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    ApiException(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400 invalid_request_error about {@code param}. */
    static ApiException invalid(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", param, code, message);
    }
}
