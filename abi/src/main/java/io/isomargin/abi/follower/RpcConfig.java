package io.isomargin.abi.follower;

import io.isomargin.abi.config.Redact;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The JSON-RPC endpoints and how calls to them are guarded: timeouts, retries, circuit breakers and rate limits.
 *
 * <p>Endpoints are tried in list order: the first is the primary, the others are fallbacks used while an earlier
 * one's circuit is open or it keeps failing.
 *
 * @param httpUrls            {@code http(s)://} JSON-RPC endpoints, at least one, in order of preference
 * @param requestTimeout      the whole-call timeout of one HTTP request (connect, write, read)
 * @param maxAttempts         attempts per endpoint for a transient failure (1 = no retry)
 * @param initialBackoff      wait before the first retry; doubles on each further retry, with ±50% jitter
 * @param maxBackoff          upper bound of the wait between retries
 * @param circuitWindow       how many recent calls of an endpoint its circuit breaker judges (also the minimum
 *                            before it may open)
 * @param failureRatePercent  failure rate (of transient failures) in the window that opens the circuit, 1..100
 * @param circuitOpenDuration how long an open circuit skips its endpoint before one trial (half-open) call
 * @param maxRequestsPerSecond per-endpoint request rate limit; 0 for none
 * @param maxConcurrentCalls  per endpoint, how many requests that execute contract code ({@link
 *                            RpcClient#EXECUTING_METHODS}: {@code eth_call}, {@code eth_estimateGas}, ...) may be in
 *                            flight at once; further ones wait for a free slot before they are sent (the wait is not
 *                            part of the request timeout); 0 for no limit. Other calls (head polls, logs, receipts,
 *                            sends) are never held back by it.
 */
public record RpcConfig(
        List<String> httpUrls,
        Duration requestTimeout,
        int maxAttempts,
        Duration initialBackoff,
        Duration maxBackoff,
        int circuitWindow,
        int failureRatePercent,
        Duration circuitOpenDuration,
        int maxRequestsPerSecond,
        int maxConcurrentCalls) {

    /** The largest {@link #maxConcurrentCalls} accepted. */
    public static final int MAX_CONCURRENT_CALLS_LIMIT = 1024;

    /** Without a limit on calls in flight ({@code maxConcurrentCalls} 0). */
    public RpcConfig(List<String> httpUrls, Duration requestTimeout, int maxAttempts, Duration initialBackoff,
            Duration maxBackoff, int circuitWindow, int failureRatePercent, Duration circuitOpenDuration,
            int maxRequestsPerSecond) {
        this(httpUrls, requestTimeout, maxAttempts, initialBackoff, maxBackoff, circuitWindow, failureRatePercent,
                circuitOpenDuration, maxRequestsPerSecond, 0);
    }

    public RpcConfig {
        Objects.requireNonNull(httpUrls, "rpc.httpUrls must be set");
        if (httpUrls.isEmpty()) {
            throw new IllegalArgumentException("rpc.httpUrls must name at least one endpoint");
        }
        httpUrls = List.copyOf(httpUrls);
        for (String url : httpUrls) {
            URI uri;
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                // not chained: the parser's message holds the whole URL, credentials and all
                String reason = e.getCause() instanceof java.net.URISyntaxException s ? s.getReason() : "malformed";
                throw new IllegalArgumentException("rpc.httpUrls: not a URL (" + reason + "): " + Redact.url(url));
            }
            if (uri.getScheme() == null || !uri.getScheme().matches("(?i)https?") || uri.getHost() == null) {
                throw new IllegalArgumentException("rpc.httpUrls: expected an http(s):// URL with a host, got "
                        + Redact.url(url));
            }
        }
        requirePositive(requestTimeout, "rpc.requestTimeout");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("rpc.maxAttempts must be at least 1, got " + maxAttempts);
        }
        requirePositive(initialBackoff, "rpc.initialBackoff");
        requirePositive(maxBackoff, "rpc.maxBackoff");
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("rpc.maxBackoff (" + maxBackoff + ") must not be below rpc.initialBackoff ("
                    + initialBackoff + ")");
        }
        if (circuitWindow < 1) {
            throw new IllegalArgumentException("rpc.circuitWindow must be at least 1, got " + circuitWindow);
        }
        if (failureRatePercent < 1 || failureRatePercent > 100) {
            throw new IllegalArgumentException("rpc.failureRatePercent must be in 1..100, got " + failureRatePercent);
        }
        requirePositive(circuitOpenDuration, "rpc.circuitOpenDuration");
        if (maxRequestsPerSecond < 0) {
            throw new IllegalArgumentException("rpc.maxRequestsPerSecond must be 0 (unlimited) or positive, got "
                    + maxRequestsPerSecond);
        }
        if (maxConcurrentCalls < 0 || maxConcurrentCalls > MAX_CONCURRENT_CALLS_LIMIT) {
            throw new IllegalArgumentException("rpc.maxConcurrentCalls must be 0 (unlimited) to "
                    + MAX_CONCURRENT_CALLS_LIMIT + ", got " + maxConcurrentCalls);
        }
    }

    /** This config with at most {@code maxConcurrentCalls} executing calls in flight per endpoint (0: no limit). */
    public RpcConfig withMaxConcurrentCalls(int maxConcurrentCalls) {
        return new RpcConfig(httpUrls, requestTimeout, maxAttempts, initialBackoff, maxBackoff, circuitWindow,
                failureRatePercent, circuitOpenDuration, maxRequestsPerSecond, maxConcurrentCalls);
    }

    /** Production defaults for {@code httpUrls}: 10 s timeout, 4 attempts from 250 ms up to 5 s apart, a circuit
     * that opens at 50% failures of the last 10 calls for 30 s, no rate limit, no limit on calls in flight.
     */
    public static RpcConfig defaults(List<String> httpUrls) {
        return new RpcConfig(httpUrls, Duration.ofSeconds(10), 4, Duration.ofMillis(250), Duration.ofSeconds(5),
                10, 50, Duration.ofSeconds(30), 0, 0);
    }

    static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name + " must be set");
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }
}
