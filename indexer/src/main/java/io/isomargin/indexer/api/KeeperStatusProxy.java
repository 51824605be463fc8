package io.isomargin.indexer.api;

import io.isomargin.abi.config.Redact;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * {@code /keeper/status}: relays the keeper's {@code /status} (configured by {@code api.keeper-url}) unchanged, so the
 * dashboard, served by the indexer, needs no cross-origin request. Without a keeper URL it answers 404 with
 * {@code "configured": false}; a keeper that refuses the connection, answers with an error or not with a JSON object
 * gets 502, one that does not answer within {@link #TIMEOUT} 504; the JSON error names the keeper's URL.
 */
final class KeeperStatusProxy implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final Vertx vertx;
    private final Optional<String> baseUrl;
    private final Duration timeout;
    private final HttpClient client;

    /** @param baseUrl the keeper's operator endpoint without a trailing slash ({@code http://127.0.0.1:9090}) */
    KeeperStatusProxy(Vertx vertx, Optional<String> baseUrl, Duration timeout) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.client = baseUrl.isEmpty() ? null : vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) timeout.toMillis()).setMaxPoolSize(2));
    }

    void relay(RoutingContext ctx) {
        new RequestParams(ctx).only();
        if (baseUrl.isEmpty()) {
            ApiServer.send(ctx, 404, new JsonObject().put("error", "no keeper configured (set api.keeper-url)")
                    .put("configured", false));
            return;
        }
        String url = baseUrl.get() + "/status";
        Promise<Buffer> answer = Promise.promise();
        long timer = vertx.setTimer(timeout.toMillis(), t -> answer.tryFail(new TimeoutException()));
        client.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
                        .setIdleTimeout(timeout.toMillis()))
                .compose(request -> request.send())
                .compose(response -> response.body().compose(body -> response.statusCode() == 200
                        ? Future.succeededFuture(body)
                        : Future.failedFuture(new IllegalStateException("answered HTTP "
                                + response.statusCode() + ": " + snippet(body)))))
                .onComplete(ar -> {
                    if (ar.succeeded()) answer.tryComplete(ar.result());
                    else answer.tryFail(ar.cause());
                });
        String shown = Redact.url(url); // what the answer says: the keeper URL's credentials masked
        answer.future().onComplete(ar -> {
            vertx.cancelTimer(timer);
            if (ar.failed()) {
                boolean timedOut = ar.cause() instanceof TimeoutException;
                ApiServer.send(ctx, timedOut ? 504 : 502, new JsonObject().put("keeper", shown).put("configured", true)
                        .put("error", timedOut ? "the keeper at " + shown + " did not answer within "
                                + timeout.toMillis() + " ms"
                                : "the keeper at " + shown + " is unreachable: "
                                        + Redact.scrub(ar.cause().getMessage(), List.of(url))));
                return;
            }
            JsonObject status;
            try {
                status = new JsonObject(ar.result());
            } catch (DecodeException | ClassCastException e) {
                ApiServer.send(ctx, 502, new JsonObject().put("keeper", shown).put("configured", true)
                        .put("error", "the keeper at " + shown + " answered something that is not a JSON object: "
                                + snippet(ar.result())));
                return;
            }
            ApiServer.send(ctx, 200, status);
        });
    }

    private static String snippet(Buffer body) {
        String s = body.toString().strip();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    @Override
    public void close() {
        if (client != null) client.close();
    }
}
