package io.isomargin.abi.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fault-injecting JSON-RPC proxy for tests: forwards every request to an upstream node (Anvil) unless a
 * {@link Fault} was injected for its method, in which case the client sees that fault instead.
 *
 * <p>Faults are matched per request in the order they were injected (FIFO): the first one whose method is
 * {@code null} or the request's JSON-RPC method (for a batch: any element's method) applies and its remaining count
 * goes down by one. {@link Fault#logLimit} forwards the request and refuses an answer over a provider's result limit,
 * as geth and hosted providers refuse large {@code eth_getLogs} answers. A latency set with {@link #setLatency} delays
 * every request, faulty or not. All methods are
 * thread-safe. The proxy runs its own Vert.x instance, closed by {@link #close()}.
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl())) {
 *     proxy.inject("eth_getLogs", Fault.httpStatus(429), 2);   // the next two eth_getLogs get HTTP 429
 *     Web3j web3j = Web3j.build(new HttpService(proxy.url()));
 * }
 * }</pre>
 */
public final class FaultProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);
    private static final Duration LIFECYCLE_TIMEOUT = Duration.ofSeconds(10);
    /** How long the upstream gets to answer one forwarded request before the client sees a 502. */
    private static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(30);

    private final Vertx vertx;
    private final HttpServer server;
    private final HttpClient upstream;
    private final URI target;
    private final String url;
    private final Object faultLock = new Object();
    private final List<Rule> rules = new ArrayList<>(); // guarded by faultLock
    private final AtomicInteger totalRequests = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> requestsByMethod = new ConcurrentHashMap<>();
    private volatile Duration latency = Duration.ZERO;
    private volatile boolean closed;

    private FaultProxy(Vertx vertx, URI target) {
        this.vertx = vertx;
        this.target = target;
        this.upstream = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true));
        this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(this::handle);
        await(server.listen(), "listen on 127.0.0.1");
        this.url = "http://127.0.0.1:" + server.actualPort();
    }

    /** Starts a proxy for {@code targetUrl} (an {@code http://} JSON-RPC endpoint) on a free 127.0.0.1 port. */
    public static FaultProxy start(String targetUrl) {
        Objects.requireNonNull(targetUrl, "targetUrl");
        URI target = URI.create(targetUrl);
        if (!"http".equalsIgnoreCase(target.getScheme()) || target.getHost() == null) {
            throw new IllegalArgumentException("FaultProxy target must be an http:// URL with a host: " + targetUrl);
        }
        Vertx vertx = Vertx.vertx();
        try {
            return new FaultProxy(vertx, target);
        } catch (RuntimeException e) {
            vertx.close();
            throw e;
        }
    }

    /** The proxy's endpoint, {@code http://127.0.0.1:<port>}. */
    public String url() {
        return url;
    }

    /** Delays every following request by {@code latency} before it is forwarded or faulted; {@link Duration#ZERO}
     * for none. */
    public void setLatency(Duration latency) {
        Objects.requireNonNull(latency, "latency");
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must not be negative: " + latency);
        }
        this.latency = latency;
    }

    /**
     * Makes the next {@code times} requests for {@code method} fail with {@code fault}.
     *
     * @param method a JSON-RPC method name, or {@code null} for any request
     * @param times how many requests it applies to (at least 1), or {@code -1} until {@link #clearFaults()}
     */
    public void inject(String method, Fault fault, int times) {
        Objects.requireNonNull(fault, "fault");
        if (times != -1 && times < 1) {
            throw new IllegalArgumentException("times must be -1 (until cleared) or at least 1: " + times);
        }
        synchronized (faultLock) {
            rules.add(new Rule(method, fault, times));
        }
    }

    /** Removes every injected fault and resets the latency to zero: requests pass through again. */
    public void clearFaults() {
        synchronized (faultLock) {
            rules.clear();
        }
        latency = Duration.ZERO;
    }

    /** How many requests for {@code method} the proxy has received (a batch counts once for each method it holds),
     * or all requests for {@code null}; faulted requests included. */
    public int requestCount(String method) {
        if (method == null) {
            return totalRequests.get();
        }
        AtomicInteger count = requestsByMethod.get(method);
        return count == null ? 0 : count.get();
    }

    /** Stops listening, drops every open connection (including requests held by {@link Fault#timeout()}) and closes
     * the Vert.x instance; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        await(vertx.close(), "close");
    }

    /* REQUEST HANDLING (event loop; nothing here blocks) */

    private void handle(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            Set<String> methods = methodsOf(body);
            totalRequests.incrementAndGet();
            methods.forEach(m -> requestsByMethod.computeIfAbsent(m, k -> new AtomicInteger()).incrementAndGet());
            Fault fault = takeFault(methods);
            long delayMillis = latency.toMillis();
            if (delayMillis > 0) {
                vertx.setTimer(delayMillis, t -> respond(request, body, methods, fault));
            } else {
                respond(request, body, methods, fault);
            }
        }).onFailure(e -> request.connection().close());
    }

    private Fault takeFault(Set<String> methods) {
        synchronized (faultLock) {
            for (Iterator<Rule> it = rules.iterator(); it.hasNext(); ) {
                Rule rule = it.next();
                if (rule.method == null || methods.contains(rule.method)) {
                    if (rule.remaining > 0 && --rule.remaining == 0) {
                        it.remove();
                    }
                    return rule.fault;
                }
            }
            return null;
        }
    }

    private void respond(HttpServerRequest request, Buffer body, Set<String> methods, Fault fault) {
        if (fault != null) {
            log.debug("fault {} for {} on {}", fault, methods, url);
        }
        switch (fault) {
            case null -> forward(body).onComplete(ar -> {
                if (ar.succeeded()) {
                    reply(request.response(), ar.result());
                } else {
                    badGateway(request.response(), ar.cause());
                }
            });
            case Fault.JsonRpcError e -> request.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(jsonRpcError(body, e));
            case Fault.HttpStatus s -> {
                HttpServerResponse response = request.response().setStatusCode(s.status())
                        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain");
                if (s.status() == 429) {
                    response.putHeader("Retry-After", "1");
                }
                response.end("injected fault: HTTP " + s.status());
            }
            case Fault.Timeout t -> {
                // hold the request: the connection stays open and silent until the client gives up or close()
            }
            case Fault.TruncatedBody t -> forward(body).onComplete(ar -> {
                if (ar.failed()) {
                    badGateway(request.response(), ar.cause());
                    return;
                }
                Buffer full = ar.result().body();
                request.response().setStatusCode(ar.result().status())
                        .putHeader(HttpHeaders.CONTENT_TYPE, ar.result().contentType())
                        .putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(full.length()))
                        .write(full.slice(0, full.length() / 2))
                        .onComplete(w -> request.connection().close());
            });
            case Fault.DropConnection d -> request.connection().close();
            case Fault.LogLimit limit -> forward(body).onComplete(ar -> {
                if (ar.succeeded()) {
                    reply(request.response(), limited(body, ar.result(), limit));
                } else {
                    badGateway(request.response(), ar.cause());
                }
            });
        }
    }

    /**
     * The upstream's answer with every result of a call for {@code limit}'s method (by the request's ids) that is an
     * array of more than {@code limit.maxLogs()} entries replaced by the limit's JSON-RPC error, as a provider refuses
     * an {@code eth_getLogs} answer over its result limit; other answers unchanged.
     */
    private static Upstream limited(Buffer requestBody, Upstream upstream, Fault.LogLimit limit) {
        Object request;
        Object answer;
        try {
            request = Json.decodeValue(requestBody);
            answer = Json.decodeValue(upstream.body());
        } catch (DecodeException notJson) {
            return upstream;
        }
        Set<Object> limitedIds = new HashSet<>();
        List<Object> calls = new ArrayList<>();
        if (request instanceof JsonArray batch) {
            batch.forEach(calls::add); // the iterator wraps each call as a JsonObject
        } else {
            calls.add(request);
        }
        for (Object call : calls) {
            if (call instanceof JsonObject c && limit.method().equals(c.getValue("method"))) {
                limitedIds.add(c.getValue("id"));
            }
        }
        Object replaced;
        if (answer instanceof JsonArray batch) {
            JsonArray out = new JsonArray();
            for (int i = 0; i < batch.size(); i++) {
                out.add(limitOne(batch.getValue(i), limitedIds, limit));
            }
            replaced = out;
        } else {
            replaced = limitOne(answer, limitedIds, limit);
        }
        return new Upstream(upstream.status(), upstream.contentType(), Json.encodeToBuffer(replaced));
    }

    private static Object limitOne(Object answer, Set<Object> limitedIds, Fault.LogLimit limit) {
        if (answer instanceof JsonObject a && limitedIds.contains(a.getValue("id"))
                && a.getValue("result") instanceof JsonArray result && result.size() > limit.maxLogs()) {
            return errorFor(a.getValue("id"), new Fault.JsonRpcError(limit.code(), limit.message()));
        }
        return answer;
    }

    private Future<Upstream> forward(Buffer body) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(target.toString())
                .setTimeout(UPSTREAM_TIMEOUT.toMillis())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        return upstream.request(options)
                .compose(req -> req.send(body))
                .compose(resp -> resp.body().map(b -> new Upstream(resp.statusCode(), contentType(resp), b)));
    }

    private static String contentType(HttpClientResponse response) {
        String type = response.getHeader(HttpHeaders.CONTENT_TYPE);
        return type == null ? "application/json" : type;
    }

    private static void reply(HttpServerResponse response, Upstream upstream) {
        response.setStatusCode(upstream.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, upstream.contentType())
                .end(upstream.body());
    }

    private void badGateway(HttpServerResponse response, Throwable cause) {
        log.warn("FaultProxy {}: upstream {} failed: {}", url, target, cause.toString());
        response.setStatusCode(502).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain")
                .end("FaultProxy: upstream " + target + " failed: " + cause);
    }

    /* JSON-RPC */

    /** The JSON-RPC methods of a request (one, or several for a batch); empty when the body is not JSON-RPC. */
    private static Set<String> methodsOf(Buffer body) {
        Set<String> methods = new LinkedHashSet<>();
        Object json;
        try {
            json = Json.decodeValue(body);
        } catch (DecodeException notJson) {
            return methods;
        }
        if (json instanceof JsonObject call) {
            addMethod(call, methods);
        } else if (json instanceof JsonArray batch) {
            batch.forEach(element -> {
                if (element instanceof JsonObject call) {
                    addMethod(call, methods);
                }
            });
        }
        return methods;
    }

    private static void addMethod(JsonObject call, Set<String> methods) {
        if (call.getValue("method") instanceof String method) {
            methods.add(method);
        }
    }

    /** An error response with the request's id, or an array of them (one per call) for a batch. */
    private static Buffer jsonRpcError(Buffer body, Fault.JsonRpcError fault) {
        Object json;
        try {
            json = Json.decodeValue(body);
        } catch (DecodeException notJson) {
            json = null;
        }
        if (json instanceof JsonArray batch && !batch.isEmpty()) {
            JsonArray errors = new JsonArray();
            batch.forEach(element -> errors.add(errorFor(idOf(element), fault)));
            return errors.toBuffer();
        }
        return errorFor(idOf(json), fault).toBuffer();
    }

    private static Object idOf(Object call) {
        return call instanceof JsonObject object ? object.getValue("id") : null;
    }

    private static JsonObject errorFor(Object id, Fault.JsonRpcError fault) {
        return new JsonObject()
                .put("jsonrpc", "2.0")
                .put("id", id)
                .put("error", new JsonObject().put("code", fault.code()).put("message", fault.message()));
    }

    /* HELPERS */

    private static <T> T await(Future<T> future, String what) {
        try {
            return future.toCompletionStage().toCompletableFuture()
                    .get(LIFECYCLE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("FaultProxy: interrupted during " + what, e);
        } catch (Exception e) {
            throw new IllegalStateException("FaultProxy: could not " + what + ": " + e.getMessage(), e);
        }
    }

    /** An injected fault and how many more requests it applies to (-1: until cleared). Guarded by faultLock. */
    private static final class Rule {
        final String method;
        final Fault fault;
        int remaining;

        Rule(String method, Fault fault, int remaining) {
            this.method = method;
            this.fault = fault;
            this.remaining = remaining;
        }
    }

    /** A response read in full from the upstream. */
    private record Upstream(int status, String contentType, Buffer body) {}

    /** What a client sees instead of the upstream's answer. */
    public sealed interface Fault permits Fault.JsonRpcError, Fault.HttpStatus, Fault.Timeout, Fault.TruncatedBody,
            Fault.DropConnection, Fault.LogLimit {

        /**
         * A provider's result limit: the request is forwarded, and an {@code eth_getLogs} answer holding more than
         * {@code maxLogs} logs is replaced by geth's refusal, {@code -32005 "query returned more than <maxLogs>
         * results"}; smaller answers pass unchanged. Inject it for {@code "eth_getLogs"} with {@code times} -1 to
         * model a provider: it then matches every {@code eth_getLogs}, so faults injected after it for that method
         * never apply.
         */
        static Fault logLimit(int maxLogs) {
            return new LogLimit("eth_getLogs", maxLogs, -32005, "query returned more than " + maxLogs + " results");
        }

        /** {@link #logLimit(int)} with a provider's own error, e.g. Alchemy's {@code -32602 "Log response size
         * exceeded. ..."}. */
        static Fault logLimit(int maxLogs, int code, String message) {
            return new LogLimit("eth_getLogs", maxLogs, code, message);
        }

        /** HTTP 200 with {@code {"jsonrpc":"2.0","id":<the request's id>,"error":{"code":..,"message":..}}} (an array
         * of such errors for a batch). */
        static Fault jsonRpcError(int code, String message) {
            return new JsonRpcError(code, message);
        }

        /** An HTTP error status (4xx or 5xx) with a short text body; 429 also carries {@code Retry-After: 1}. */
        static Fault httpStatus(int status) {
            return new HttpStatus(status);
        }

        /** The request is accepted and never answered (until the proxy is closed). */
        static Fault timeout() {
            return new Timeout();
        }

        /** The upstream's answer is cut in half: full {@code Content-Length}, half the body, then the connection
         * closes. */
        static Fault truncatedBody() {
            return new TruncatedBody();
        }

        /** The TCP connection closes without any response. */
        static Fault dropConnection() {
            return new DropConnection();
        }

        /** See {@link Fault#jsonRpcError(int, String)}. */
        record JsonRpcError(int code, String message) implements Fault {
            public JsonRpcError {
                Objects.requireNonNull(message, "message");
            }
        }

        /** See {@link Fault#httpStatus(int)}. */
        record HttpStatus(int status) implements Fault {
            public HttpStatus {
                if (status < 400 || status > 599) {
                    throw new IllegalArgumentException("an injected HTTP status must be 4xx or 5xx: " + status);
                }
            }
        }

        /** See {@link Fault#timeout()}. */
        record Timeout() implements Fault {}

        /** See {@link Fault#truncatedBody()}. */
        record TruncatedBody() implements Fault {}

        /** See {@link Fault#dropConnection()}. */
        record DropConnection() implements Fault {}

        /** See {@link Fault#logLimit(int)}: answers of {@code method} whose result array holds more than
         * {@code maxLogs} entries become the JSON-RPC error {@code code}, {@code message}. */
        record LogLimit(String method, int maxLogs, int code, String message) implements Fault {
            public LogLimit {
                Objects.requireNonNull(method, "method");
                Objects.requireNonNull(message, "message");
                if (maxLogs < 0) throw new IllegalArgumentException("maxLogs must not be negative: " + maxLogs);
            }
        }
    }
}
