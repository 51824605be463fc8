package io.isomargin.abi.follower;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.retry.Retry;
import io.isomargin.abi.config.Redact;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import org.web3j.protocol.Web3j;

/**
 * One JSON-RPC endpoint with its own guards.
 *
 * <p>It has two circuit breakers: bulk reads ({@link RpcClient#BULK_METHODS}: {@code eth_getLogs},
 * {@code eth_getBlockReceipts}), whose answers grow with what is asked and may time out because one range was too
 * big, go through {@code bulkCircuitBreaker}; every other call (head polls, headers, {@code eth_call}, sends) through
 * {@code circuitBreaker}. A run of slow log ranges thus never keeps the head from being polled.
 *
 * @param url                the configured URL
 * @param web3j              the client talking to it
 * @param circuitBreaker     opens when too many of its recent calls other than bulk reads failed transiently
 * @param bulkCircuitBreaker the same for its bulk reads, on their own
 * @param retry              retries transient failures with exponential backoff and jitter (a bulk read that timed
 *                           out is not retried: the caller asks for less)
 * @param rateLimiter        caps its request rate (every call, bulk or not), when configured
 * @param callSlots          caps how many of its calls that execute contract code ({@link
 *                           RpcClient#EXECUTING_METHODS}) are in flight at once, when configured: one permit each
 */
public record RpcEndpoint(String url, Web3j web3j, CircuitBreaker circuitBreaker, CircuitBreaker bulkCircuitBreaker,
        Retry retry, Optional<RateLimiter> rateLimiter, Optional<Semaphore> callSlots) {

    /** Its URL with credentials (user info, API-key path segments, query) masked, for logs and error messages. */
    public String displayName() {
        return Redact.url(url);
    }

    /** The circuit breaker that guards calls of {@code method} on this endpoint. */
    public CircuitBreaker circuitBreakerFor(String method) {
        return RpcClient.isBulk(method) ? bulkCircuitBreaker : circuitBreaker;
    }
}
