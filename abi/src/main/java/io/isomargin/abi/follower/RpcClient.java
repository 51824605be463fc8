package io.isomargin.abi.follower;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.isomargin.abi.config.Redact;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Predicate;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.Web3jService;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.http.HttpService;

/**
 * JSON-RPC calls over several endpoints with retry, circuit breaking, rate limiting and failover.
 *
 * <p>A call goes to the first endpoint (in configured order) whose circuit lets it through. Transient failures are
 * retried there with exponential backoff and jitter; when they persist, or the endpoint's circuit opens, the call
 * moves on to the next endpoint. {@link RpcErrorKind#RANGE_TOO_LARGE} and {@link RpcErrorKind#PERMANENT} errors are
 * thrown at once as {@link RpcException}: they say nothing about the endpoint's health and are not counted against
 * its circuit. When every endpoint failed, {@link RpcUnavailableException} names the method and each endpoint's
 * failure.
 *
 * <p><b>Bulk reads.</b> {@code eth_getLogs} and {@code eth_getBlockReceipts} ({@link #BULK_METHODS}) answer as much as
 * they are asked for: one range too big for the request timeout fails however healthy the endpoint is. They go through
 * each endpoint's own bulk circuit breaker ({@link RpcEndpoint#bulkCircuitBreaker()}), so slow ranges never open the
 * circuit head polls and every other call go through, and a bulk read that timed out is not retried as is on the
 * same endpoint (the next endpoint still gets it): the caller, which can ask for less, hears of it at once. Both
 * circuits share the endpoint's rate limiter.
 *
 * <p><b>Calls that execute code.</b> {@code eth_call}, {@code eth_estimateGas} and the like ({@link
 * #EXECUTING_METHODS}) cost the node a contract execution each (an estimate, several), and a node runs the ones it
 * is sent side by side: a burst of them makes each slow, the slow ones time out here and are retried while the node
 * still works on the ones given up, and a Hardhat node holds each one's execution trace in memory until it is
 * answered (30-58 estimates at once, 3-20 s each, in the 2,000-vault demo). With {@link RpcConfig#maxConcurrentCalls()} set, at most
 * that many are in flight per endpoint; the others wait here, in arrival order, for a free slot before they are sent,
 * and the wait does not count against the request timeout. Every other call goes past the queue.
 *
 * <pre>{@code
 * try (RpcClient rpc = RpcClient.connect(RpcConfig.defaults(List.of(primary, fallback)))) {
 *     long head = rpc.call(Web3j::ethBlockNumber).getBlockNumber().longValueExact();
 * }
 * }</pre>
 */
public final class RpcClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RpcClient.class);
    /** The methods whose answers grow with what is asked: sent through the endpoints' bulk circuit breakers. */
    public static final Set<String> BULK_METHODS = Set.of("eth_getLogs", "eth_getBlockReceipts");
    /** The methods that run contract code on the node: limited by {@link RpcConfig#maxConcurrentCalls()}. */
    public static final Set<String> EXECUTING_METHODS = Set.of("eth_call", "eth_estimateGas", "eth_createAccessList",
            "eth_simulateV1", "debug_traceCall");

    private final List<RpcEndpoint> endpoints;
    private final OkHttpClient http;
    private final ScheduledExecutorService web3jExecutor;
    private final LongAdder[] errors = new LongAdder[RpcErrorKind.values().length];
    /** Each endpoint's client and the transport it sends through, for requests web3j has no method for. */
    private final Map<Web3j, Web3jService> services;

    private RpcClient(List<RpcEndpoint> endpoints, Map<Web3j, Web3jService> services, OkHttpClient http,
            ScheduledExecutorService web3jExecutor) {
        this.endpoints = List.copyOf(endpoints);
        this.services = services;
        this.http = http;
        this.web3jExecutor = web3jExecutor;
        for (int i = 0; i < errors.length; i++) errors[i] = new LongAdder();
    }

    /** Builds a client for every endpoint of {@code config}; no request is sent yet. */
    public static RpcClient connect(RpcConfig config) {
        OkHttpClient http = new OkHttpClient.Builder()
                .connectTimeout(config.requestTimeout())
                // the call timeout bounds the whole call; a read or write timeout as well would only re-arm a timer
                // at every socket read of a large answer (4% of a backfill's JVM time)
                .readTimeout(Duration.ZERO)
                .writeTimeout(Duration.ZERO)
                .callTimeout(config.requestTimeout())
                .retryOnConnectionFailure(false) // retries are ours, counted and backed off
                .build();
        // web3j.shutdown() would stop the JVM-wide default executor: give the clients their own
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rpc-web3j");
            t.setDaemon(true);
            return t;
        });
        Predicate<Throwable> transientFailure = e -> RpcErrorKind.of(e) == RpcErrorKind.TRANSIENT;
        CircuitBreakerConfig circuitConfig = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(config.circuitWindow())
                .minimumNumberOfCalls(config.circuitWindow())
                .failureRateThreshold(config.failureRatePercent())
                .waitDurationInOpenState(config.circuitOpenDuration())
                .permittedNumberOfCallsInHalfOpenState(1)
                .recordException(transientFailure)
                .build();
        RetryConfig retryConfig = RetryConfig.custom()
                .maxAttempts(config.maxAttempts())
                .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(
                        config.initialBackoff(), 2.0, 0.5, config.maxBackoff()))
                .retryOnException(e -> e instanceof RpcException rpc && rpc.kind() == RpcErrorKind.TRANSIENT
                        && !(isBulk(rpc.method()) && rpc.timedOut()))
                .failAfterMaxAttempts(false)
                .build();
        List<RpcEndpoint> endpoints = new ArrayList<>();
        Map<Web3j, Web3jService> services = new IdentityHashMap<>();
        for (String url : config.httpUrls()) {
            HttpService service = new HttpService(url, http);
            Web3j web3j = Web3j.build(service, 1_000, executor);
            services.put(web3j, service);
            String name = "rpc-" + endpoints.size();
            Optional<RateLimiter> limiter = config.maxRequestsPerSecond() == 0 ? Optional.empty()
                    : Optional.of(RateLimiter.of(name, RateLimiterConfig.custom()
                            .limitForPeriod(config.maxRequestsPerSecond())
                            .limitRefreshPeriod(Duration.ofSeconds(1))
                            .timeoutDuration(config.requestTimeout())
                            .build()));
            Optional<Semaphore> slots = config.maxConcurrentCalls() == 0 ? Optional.empty()
                    : Optional.of(new Semaphore(config.maxConcurrentCalls(), true)); // fair: in arrival order
            endpoints.add(new RpcEndpoint(url, web3j, CircuitBreaker.of(name, circuitConfig),
                    CircuitBreaker.of(name + "-bulk", circuitConfig), Retry.of(name, retryConfig), limiter, slots));
        }
        return new RpcClient(endpoints, services, http, executor);
    }

    /**
     * How many requests to an endpoint have failed with {@code kind} since this client was built: every try counts,
     * retried ones included (a call that failed twice and then succeeded counts two {@link RpcErrorKind#TRANSIENT}),
     * not the calls an open circuit or the rate limiter kept from being sent. For metrics, any thread.
     */
    public long errors(RpcErrorKind kind) {
        return errors[kind.ordinal()].sum();
    }

    /** Whether calls of {@code method} are bulk reads ({@link #BULK_METHODS}). */
    public static boolean isBulk(String method) {
        return BULK_METHODS.contains(method);
    }

    /** The endpoints in order of preference, with their guards (for metrics and health). */
    public List<RpcEndpoint> endpoints() {
        return endpoints;
    }

    /**
     * Sends the request {@code request} builds for an endpoint's client, e.g. {@code rpc.call(Web3j::ethBlockNumber)}
     * or {@code rpc.call(w -> w.ethGetLogs(filter))}, and returns the error-free response.
     *
     * @throws RpcException            a {@link RpcErrorKind#RANGE_TOO_LARGE} or {@link RpcErrorKind#PERMANENT} error
     * @throws RpcUnavailableException every endpoint failed or had its circuit open
     */
    public <T extends Response<?>> T call(Function<Web3j, Request<?, T>> request) {
        List<String> attempts = new ArrayList<>();
        String method = "?";
        RuntimeException last = null;
        int skipped = 0;
        for (RpcEndpoint endpoint : endpoints) {
            Request<?, T> built = request.apply(endpoint.web3j());
            method = built.getMethod();
            try {
                T response = endpoint.retry().executeSupplier(() -> attempt(endpoint, built));
                return response;
            } catch (RpcException e) {
                if (e.kind() != RpcErrorKind.TRANSIENT) {
                    throw e;
                }
                last = e;
                attempts.add(endpoint.displayName() + ": " + Redact.scrub(rootMessage(e), List.of(endpoint.url())));
                log.debug("{} failed on {}, trying the next endpoint: {}", method, endpoint.displayName(), e.getMessage());
            } catch (CallNotPermittedException e) {
                skipped++;
                last = e;
                attempts.add(endpoint.displayName() + ": skipped, " + (isBulk(method) ? "bulk circuit " : "circuit ")
                        + endpoint.circuitBreakerFor(method).getState());
            } catch (RequestNotPermitted e) {
                last = e;
                attempts.add(endpoint.displayName() + ": rate limit, no permit within the request timeout");
            }
        }
        if (skipped == endpoints.size()) {
            // every circuit (of the call's kind) is open: skipping them all would only wait out the open state while a
            // node that came back goes unused, so the first endpoint gets one try outside its circuit
            RpcEndpoint first = endpoints.getFirst();
            Request<?, T> built = request.apply(first.web3j());
            try {
                return lastResort(first, built);
            } catch (RpcException e) {
                if (e.kind() != RpcErrorKind.TRANSIENT) throw e;
                last = e;
                attempts.add(first.displayName() + " (every circuit open, one try anyway): "
                        + Redact.scrub(rootMessage(e), List.of(first.url())));
            } catch (RequestNotPermitted e) {
                last = e;
                attempts.add(first.displayName() + " (every circuit open): rate limit, no permit within the request "
                        + "timeout");
            }
        }
        throw new RpcUnavailableException(method, attempts, last);
    }

    /**
     * Sends {@code method} with {@code params} as {@link #call(Function)} does, the answer read as {@code responseType}:
     * for a response class that reads its result its own way ({@link EthLogsResponse}).
     */
    <T extends Response<?>> T call(String method, List<Object> params, Class<T> responseType) {
        return call(w -> new Request<>(method, params, services.get(w), responseType));
    }

    /** One try on {@code endpoint} outside its circuit breaker (which stays as it is), through its rate limiter. */
    private <T extends Response<?>> T lastResort(RpcEndpoint endpoint, Request<?, T> request) {
        Semaphore slot = takeSlot(endpoint, request.getMethod());
        try {
            endpoint.rateLimiter().ifPresent(RateLimiter::acquirePermission);
        } catch (RuntimeException e) {
            if (slot != null) slot.release();
            throw e;
        }
        try {
            T response = request.send();
            if (response.hasError()) {
                Response.Error error = response.getError();
                throw new RpcException(RpcErrorKind.of(error), request.getMethod(), endpoint.displayName(),
                        error.getCode(), Redact.scrub(error.getCode() + " " + error.getMessage(),
                                List.of(endpoint.url())), null, error.getData());
            }
            return response;
        } catch (IOException | RuntimeException e) {
            RpcException failure = e instanceof RpcException rpc ? rpc : new RpcException(RpcErrorKind.of(e),
                    request.getMethod(), endpoint.displayName(), null, Redact.scrub(e.toString(),
                            List.of(endpoint.url())), e);
            errors[failure.kind().ordinal()].increment();
            throw failure;
        } finally {
            if (slot != null) slot.release();
        }
    }

    /**
     * Waits for a free call slot of {@code endpoint} when {@code method} executes code and the endpoint limits such
     * calls; returns the semaphore to release after the request, or null when none was taken.
     */
    private static Semaphore takeSlot(RpcEndpoint endpoint, String method) {
        if (endpoint.callSlots().isEmpty() || !EXECUTING_METHODS.contains(method)) return null;
        Semaphore slots = endpoint.callSlots().get();
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RpcException(RpcErrorKind.PERMANENT, method, endpoint.displayName(), null,
                    "interrupted while waiting for a free call slot", e);
        }
        return slots;
    }

    /** One try on one endpoint, through its rate limiter and the circuit breaker of the request's method. */
    private <T extends Response<?>> T attempt(RpcEndpoint endpoint, Request<?, T> request) {
        // the slot first: a call queued behind others holds no rate permit and no (half-open) circuit permission
        Semaphore slot = takeSlot(endpoint, request.getMethod());
        CircuitBreaker circuit = endpoint.circuitBreakerFor(request.getMethod());
        try {
            endpoint.rateLimiter().ifPresent(RateLimiter::acquirePermission);
            circuit.acquirePermission();
        } catch (RuntimeException e) {
            if (slot != null) slot.release();
            throw e;
        }
        long start = System.nanoTime();
        try {
            T response = request.send();
            if (response.hasError()) {
                Response.Error error = response.getError();
                throw new RpcException(RpcErrorKind.of(error), request.getMethod(), endpoint.displayName(),
                        error.getCode(), Redact.scrub(error.getCode() + " " + error.getMessage(),
                                List.of(endpoint.url())), null, error.getData());
            }
            circuit.onSuccess(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            return response;
        } catch (IOException | RuntimeException e) {
            RpcException failure = e instanceof RpcException rpc ? rpc
                    : new RpcException(RpcErrorKind.of(e), request.getMethod(), endpoint.displayName(), null,
                            Redact.scrub(e.toString(), List.of(endpoint.url())), e);
            errors[failure.kind().ordinal()].increment();
            // the breaker's predicate counts only transient failures; the others release the permission
            circuit.onError(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS, failure);
            throw failure;
        } finally {
            if (slot != null) slot.release();
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = e.getMessage();
        return root == e || message.contains(root.toString()) ? message : message + " (" + root + ")";
    }

    /** Releases the HTTP connections and threads. */
    @Override
    public void close() {
        endpoints.forEach(e -> e.web3j().shutdown());
        web3jExecutor.shutdownNow();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
