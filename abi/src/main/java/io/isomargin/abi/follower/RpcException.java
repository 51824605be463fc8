package io.isomargin.abi.follower;

import java.io.InterruptedIOException;

/**
 * A JSON-RPC call that failed on one endpoint, with what the failure means ({@link #kind()}).
 * Thrown directly for {@link RpcErrorKind#RANGE_TOO_LARGE} and {@link RpcErrorKind#PERMANENT} failures; transient ones
 * surface as {@link RpcUnavailableException} once every endpoint has failed.
 */
public class RpcException extends RuntimeException {
    private final RpcErrorKind kind;
    private final String method;
    private final String endpoint;
    private final Integer code;
    private final String data;

    /**
     * @param code the JSON-RPC error code, or {@code null} when the failure was not a JSON-RPC error response
     */
    public RpcException(RpcErrorKind kind, String method, String endpoint, Integer code, String message,
            Throwable cause) {
        this(kind, method, endpoint, code, message, cause, null);
    }

    /**
     * @param data the JSON-RPC error's {@code data} member as the node sent it (JSON text), or {@code null}
     */
    public RpcException(RpcErrorKind kind, String method, String endpoint, Integer code, String message,
            Throwable cause, String data) {
        super(method + " on " + endpoint + " failed (" + kind + "): " + message, cause);
        this.kind = kind;
        this.method = method;
        this.endpoint = endpoint;
        this.code = code;
        this.data = data;
    }

    /** What the failure means for the caller. */
    public RpcErrorKind kind() {
        return kind;
    }

    /** The JSON-RPC method, e.g. {@code eth_getLogs}. */
    public String method() {
        return method;
    }

    /** The endpoint's URL (without credentials beyond what the configured URL holds). */
    public String endpoint() {
        return endpoint;
    }

    /** The JSON-RPC error code, or {@code null} for transport failures. */
    public Integer code() {
        return code;
    }

    /**
     * The JSON-RPC error's {@code data} member as JSON text ({@code "0x..."} with its quotes for Anvil and geth's
     * revert data, an object such as {@code {"message":...,"data":"0x..."}} for Hardhat), or {@code null} when the
     * node sent none or the failure was not a JSON-RPC error response. Callers that decode a contract's custom
     * errors read the revert data from it.
     */
    public String data() {
        return data;
    }

    /**
     * Whether the failure, or the last endpoint's failure it reports, was the request running out of time (a read,
     * connect or whole-call timeout: {@link InterruptedIOException}, of which {@code SocketTimeoutException} is one)
     * rather than a refusal, an error status or a dropped connection.
     */
    public boolean timedOut() {
        for (Throwable t = this; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InterruptedIOException) return true;
        }
        return false;
    }
}
