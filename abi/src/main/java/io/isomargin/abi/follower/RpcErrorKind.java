package io.isomargin.abi.follower;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.exceptions.ClientConnectionException;

/** What a failed JSON-RPC call means for the caller: shrink the query, try again, or give up. */
public enum RpcErrorKind {
    /** The provider refused an {@code eth_getLogs} range: too many results, response too large, or range too wide.
     * Not the endpoint's fault: never retried as is, never counted against its circuit. Ask for a smaller range. */
    RANGE_TOO_LARGE,
    /** The endpoint is unreachable, slow, overloaded or answered garbage (I/O errors, timeouts, HTTP 429/5xx or any
     * other HTTP error status, truncated or unparseable bodies, "header not found", rate limits). Retried with backoff,
     * counted against the endpoint's circuit, failed over to the next endpoint. */
    TRANSIENT,
    /** The node understood the request and rejected it (invalid params, execution reverted, ...): another try or
     * another node will say the same. */
    PERMANENT;

    /** Provider phrasings of "ask for fewer blocks" (geth, Infura, Alchemy, QuickNode, Ankr, Chainstack, ...). */
    private static final List<String> RANGE_MESSAGES = List.of(
            "query returned more than", "more than 10000 results", "too many results", "response size exceeded",
            "response size should not", "response is too big", "response too large", "block range is too wide",
            "block range too wide", "block range too large", "exceed maximum block range", "exceeds maximum block range",
            "maximum block range", "range too large", "range is too large", "block range limit", "limited to a",
            "query exceeds max results", "log response size exceeded", "requested too many blocks",
            "max allowed range");

    /** Node and provider phrasings of "try again later". */
    private static final List<String> TRANSIENT_MESSAGES = List.of(
            "header not found", "unknown block", "rate limit", "too many requests", "request rate exceeded",
            "capacity exceeded", "timeout", "timed out", "try again", "temporarily", "busy", "overloaded",
            "internal error", "service unavailable", "bad gateway", "upstream", "connection");

    /** JSON-RPC error code Infura and others use for "limit exceeded" (results, or request rate when the message
     * says so). */
    static final int LIMIT_EXCEEDED = -32005;

    /** Classifies a JSON-RPC error object returned by a node. */
    public static RpcErrorKind of(Response.Error error) {
        String message = error.getMessage() == null ? "" : error.getMessage().toLowerCase(Locale.ROOT);
        if (containsAny(message, RANGE_MESSAGES)) {
            return RANGE_TOO_LARGE;
        }
        if (containsAny(message, TRANSIENT_MESSAGES) || error.getCode() == 429) {
            return TRANSIENT;
        }
        if (error.getCode() == LIMIT_EXCEEDED) {
            return RANGE_TOO_LARGE;
        }
        return PERMANENT;
    }

    /** Classifies an exception thrown while sending a request: I/O failures (timeouts, dropped connections,
     * truncated or unparseable bodies) and HTTP error statuses are transient. */
    public static RpcErrorKind of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof RpcException rpc) {
                return rpc.kind();
            }
            if (t instanceof IOException || t instanceof ClientConnectionException) {
                return TRANSIENT;
            }
        }
        return PERMANENT;
    }

    private static boolean containsAny(String message, List<String> needles) {
        for (String needle : needles) {
            if (message.contains(needle)) {
                return true;
            }
        }
        return false;
    }
}
