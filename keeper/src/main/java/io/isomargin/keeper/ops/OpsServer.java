package io.isomargin.keeper.ops;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keeper's operator endpoints over HTTP (read-only, GET):
 * <ul>
 *   <li>{@code /health}: {@code {status, reasons, conditions, block, head, lag, maxHealthyLag, following, inFlight,
 *       sinceHeadAnswerMs, maxSilenceMs, oldestUnminedBlocks, stranded}}: 200 while every check of
 *       {@link KeeperHealth#reasons} passes, else 503 with {@code status} the first failing check's kind
 *       ({@code stopped}, {@code node-silent}, {@code lagging}, {@code stranded-transaction},
 *       {@code stuck-transaction}, {@code no-gas}) and {@code reasons} every one of them; {@code conditions} names
 *       what is wrong outside the keeper (a stale oracle) without making it unhealthy
 *   <li>{@code /metrics}: the Prometheus text of {@link KeeperMetrics}
 *   <li>{@code /status}: {@link KeeperStatus} as JSON ({@link StatusJson}), what {@code keeper status} prints
 * </ul>
 * The health supplier is called on the event loop and must be cheap (read a few fields); the status supplier may do
 * work (rank vaults) and is called on a worker thread.
 */
public final class OpsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OpsServer.class);

    /**
     * @param host          the interface to listen on
     * @param port          the port (0: any free port, see {@link #port()})
     * @param maxHealthyLag    {@code /health} answers 503 when following more than this many blocks behind
     * @param maxUnminedBlocks {@code /health} answers 503 when a transaction is unmined for more blocks than this
     */
    public record Options(String host, int port, long maxHealthyLag, long maxUnminedBlocks) {
        public Options {
            Objects.requireNonNull(host, "host");
        }

        /** With the default {@code http.max-unmined-blocks} (10). */
        public Options(String host, int port, long maxHealthyLag) {
            this(host, port, maxHealthyLag, 10);
        }
    }

    private final Vertx vertx;
    private final Supplier<KeeperHealth> health;
    private final Supplier<KeeperStatus> status;
    private final KeeperMetrics metrics;
    private final long maxHealthyLag;
    private final long maxUnminedBlocks;
    private final StatusJson json = new StatusJson();
    private HttpServer server;

    private OpsServer(Vertx vertx, Supplier<KeeperHealth> health, Supplier<KeeperStatus> status,
            KeeperMetrics metrics, long maxHealthyLag, long maxUnminedBlocks) {
        this.vertx = vertx;
        this.health = health;
        this.status = status;
        this.metrics = metrics;
        this.maxHealthyLag = maxHealthyLag;
        this.maxUnminedBlocks = maxUnminedBlocks;
    }

    /**
     * Starts listening; returns once the port is bound.
     *
     * @throws IllegalStateException naming the address when it cannot listen (port in use, bad host)
     */
    public static OpsServer start(Vertx vertx, Options options, Supplier<KeeperHealth> health,
            Supplier<KeeperStatus> status, KeeperMetrics metrics) {
        OpsServer ops = new OpsServer(Objects.requireNonNull(vertx, "vertx"), Objects.requireNonNull(health,
                "health"), Objects.requireNonNull(status, "status"), Objects.requireNonNull(metrics, "metrics"),
                options.maxHealthyLag(), options.maxUnminedBlocks());
        try {
            // HTTP/1.1 only: a JDK client's h2c upgrade was answered with HTTP/1.1 bytes it then read as HTTP/2
            // frames (a /metrics body as "Frame type(109)"), which hung or failed the request
            ops.server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
                    .requestHandler(ops.router()).listen(options.port(), options.host())
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding to " + options.host() + ":" + options.port(), e);
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("cannot listen on " + options.host() + ":" + options.port() + ": "
                    + cause.getMessage(), cause);
        }
        log.info("operator endpoints on http://{}:{} (/health, /metrics, /status)", options.host(), ops.port());
        return ops;
    }

    /** The bound port. */
    public int port() {
        return server.actualPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS)
                    .exceptionally(t -> null).join();
        }
    }

    private Router router() {
        Router router = Router.router(vertx);
        router.get("/health").handler(this::health);
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape()));
        router.get("/status").handler(this::status);
        router.route().failureHandler(ctx -> {
            log.warn("{} failed: {}", ctx.request().path(), String.valueOf(ctx.failure()));
            error(ctx, 500, "internal error: " + (ctx.failure() == null ? "request failed"
                    : ctx.failure().getMessage()));
        });
        router.errorHandler(404, ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().path()
                + " (the keeper serves /health, /metrics and /status)"));
        router.errorHandler(405, ctx -> error(ctx, 405, "method " + ctx.request().method()
                + " not allowed: the endpoints are read-only (GET)"));
        return router;
    }

    private void health(RoutingContext ctx) {
        KeeperHealth h = health.get();
        List<KeeperHealth.Reason> reasons = h.reasons(maxHealthyLag, maxUnminedBlocks);
        JsonArray why = new JsonArray();
        for (KeeperHealth.Reason r : reasons) why.add(new JsonObject().put("kind", r.kind()).put("message", r.message()));
        send(ctx, reasons.isEmpty() ? 200 : 503, new JsonObject()
                .put("status", reasons.isEmpty() ? "ok" : reasons.getFirst().kind())
                .put("reasons", why)
                .put("conditions", new JsonArray(h.conditions()))
                .put("block", h.block())
                .put("head", h.head())
                .put("lag", h.lag())
                .put("maxHealthyLag", maxHealthyLag)
                .put("following", h.following())
                .put("inFlight", h.inFlight())
                .put("sinceHeadAnswerMs", h.sinceHeadAnswer().toMillis())
                .put("maxSilenceMs", h.maxSilence().toMillis())
                .put("oldestUnminedBlocks", h.oldestUnminedBlocks())
                .put("maxUnminedBlocks", maxUnminedBlocks)
                .put("stranded", h.stranded())
                .encode());
    }

    private void status(RoutingContext ctx) {
        vertx.executeBlocking(() -> json.write(status.get()), false)
                .onSuccess(body -> send(ctx, 200, body))
                .onFailure(ctx::fail);
    }

    private static void error(RoutingContext ctx, int status, String message) {
        send(ctx, status, new JsonObject().put("error", message).encode());
    }

    private static void send(RoutingContext ctx, int status, String body) {
        if (ctx.response().ended()) return;
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
    }
}
