package io.isomargin.indexer.api;

/**
 * A request the API refuses: rendered as {@code {"error": message, "parameter": name}} with {@code status}.
 *
 * @see ApiServer
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String parameter;

    private ApiError(int status, String parameter, String message) {
        super(message);
        this.status = status;
        this.parameter = parameter;
    }

    /** 400: {@code parameter} is malformed or out of range. */
    public static ApiError badParameter(String parameter, String value, String expected) {
        return new ApiError(400, parameter, parameter + " must be " + expected + ", got '" + value + "'");
    }

    /** 404: what was asked for does not exist in the mirror. */
    public static ApiError notFound(String message) {
        return new ApiError(404, null, message);
    }

    /** 409: the mirror cannot answer yet (for example a market without a price). */
    public static ApiError notReady(String message) {
        return new ApiError(409, null, message);
    }

    public int status() {
        return status;
    }

    /** The offending query or path parameter, or null. */
    public String parameter() {
        return parameter;
    }
}
