package io.isomargin.keeper.ops;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keeper's operator endpoints over HTTP (read-only, GET):
 * <ul>
 *   <li>{@code /health}: {@code {status, block, head, lag, maxHealthyLag, following, inFlight}}, 200 while following
 *       at most {@code maxHealthyLag} blocks behind the head, else 503 ({@code status} {@code lagging} or
 *       {@code stopped})
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
     * @param maxHealthyLag {@code /health} answers 200 while following at most this many blocks behind, else 503
     */
    public record Options(String host, int port, long maxHealthyLag) {
        public Options {
            Objects.requireNonNull(host, "host");
        }
    }

    private final Vertx vertx;
    private final Supplier<KeeperHealth> health;
    private final Supplier<KeeperStatus> status;
    private final KeeperMetrics metrics;
    private final long maxHealthyLag;
    private final StatusJson json = new StatusJson();
    private HttpServer server;

    private OpsServer(Vertx vertx, Supplier<KeeperHealth> health, Supplier<KeeperStatus> status,
            KeeperMetrics metrics, long maxHealthyLag) {
        this.vertx = vertx;
        this.health = health;
        this.status = status;
        this.metrics = metrics;
        this.maxHealthyLag = maxHealthyLag;
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
                options.maxHealthyLag());
        try {
            ops.server = vertx.createHttpServer().requestHandler(ops.router()).listen(options.port(), options.host())
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
        String state = !h.following() ? "stopped" : h.lag() > maxHealthyLag ? "lagging" : "ok";
        send(ctx, state.equals("ok") ? 200 : 503, new JsonObject()
                .put("status", state)
                .put("block", h.block())
                .put("head", h.head())
                .put("lag", h.lag())
                .put("maxHealthyLag", maxHealthyLag)
                .put("following", h.following())
                .put("inFlight", h.inFlight())
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
