package io.isomargin.abi.follower;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.retry.Retry;
import io.isomargin.abi.config.Redact;
import java.util.Optional;
import org.web3j.protocol.Web3j;

/**
 * One JSON-RPC endpoint with its own guards.
 *
 * @param url            the configured URL
 * @param web3j          the client talking to it
 * @param circuitBreaker opens when too many of its recent calls failed transiently
 * @param retry          retries transient failures with exponential backoff and jitter
 * @param rateLimiter    caps its request rate, when configured
 */
public record RpcEndpoint(String url, Web3j web3j, CircuitBreaker circuitBreaker, Retry retry,
        Optional<RateLimiter> rateLimiter) {

    /** Its URL with credentials (user info, API-key path segments, query) masked, for logs and error messages. */
    public String displayName() {
        return Redact.url(url);
    }
}
