package io.isomargin.indexer.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.Http;
import io.isomargin.indexer.intake.FollowStatus;
import io.isomargin.indexer.store.MirrorReader;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /keeper/status} relays the keeper's {@code /status} so the dashboard needs no cross-origin request, and says
 * clearly when the keeper cannot be reached: 502 for a refused connection or a bad answer, 504 for no answer. The
 * keeper is a stand-in HTTP server here (the keeper module is not on the indexer's classpath); the mirror is never
 * read by this endpoint, so the pool points at no database.
 */
class KeeperStatusProxyTest {
    private static final String STATUS = """
            {"sender":"0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc","dryRun":false,"block":42,"trackedVaults":7,\
            "markets":[{"marketId":1,"vaults":7,"liquidatable":2}],"closest":[],"pending":[]}""";

    private final Vertx vertx = Vertx.vertx();
    private final Pool nowhere = PgBuilder.pool().connectingTo(new PgConnectOptions().setHost("127.0.0.1").setPort(1))
            .using(vertx).build();
    private ApiServer api;
    private HttpServer keeper;

    @AfterEach
    void stop() throws Exception {
        if (api != null) api.close();
        if (keeper != null) keeper.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void theKeepersStatusIsRelayedUnchanged() throws Exception {
        keeper(req -> req.response().putHeader("content-type", "application/json").end(STATUS));
        HttpResponse<String> r = get(keeperUrl());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(new JsonObject(STATUS), new JsonObject(r.body()));
    }

    @Test
    void aKeeperAnsweringWithAnErrorGets502NamingItsUrl() throws Exception {
        keeper(req -> req.response().setStatusCode(500).end("{\"error\":\"boom\"}"));
        assertBadGateway(502, keeperUrl(), "HTTP 500");
    }

    @Test
    void aKeeperAnsweringSomethingElseThanJsonGets502() throws Exception {
        keeper(req -> req.response().end("<html>not the keeper</html>"));
        assertBadGateway(502, keeperUrl(), "not a JSON object");
    }

    @Test
    void aKeeperThatIsNotRunningGets502() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        assertBadGateway(502, "http://127.0.0.1:" + port, "unreachable");
    }

    @Test
    void aKeeperUrlsCredentialsAreMaskedInTheAnswer() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        HttpResponse<String> r = get("http://ops:secret@127.0.0.1:" + port + "/k/0123456789abcdef0123");
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("http://***@127.0.0.1:" + port + "/k/***/status", new JsonObject(r.body()).getString("keeper"),
                r.body());
        assertTrue(!r.body().contains("secret") && !r.body().contains("0123456789"),
                r.body());
    }

    @Test
    void aKeeperThatDoesNotAnswerGets504() throws Exception {
        keeper(req -> { }); // accepts the request and never answers
        assertBadGateway(504, keeperUrl(), "did not answer");
    }

    private void assertBadGateway(int status, String keeperUrl, String message) throws Exception {
        HttpResponse<String> r = get(keeperUrl);
        assertEquals(status, r.statusCode(), r.body());
        JsonObject body = new JsonObject(r.body());
        assertEquals(true, body.getBoolean("configured"), r.body());
        assertEquals(keeperUrl + "/status", body.getString("keeper"), r.body());
        assertTrue(body.getString("error").contains(keeperUrl) && body.getString("error").contains(message),
                r.body());
    }

    private void keeper(Handler<HttpServerRequest> handler) throws Exception {
        keeper = vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1").toCompletionStage()
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private String keeperUrl() {
        return "http://127.0.0.1:" + keeper.actualPort();
    }

    private HttpResponse<String> get(String keeperUrl) throws Exception {
        api = ApiServer.start(vertx, new ApiServer.Options("127.0.0.1", 0, 5, Optional.of(keeperUrl)),
                new MirrorReader(nowhere), () -> new FollowStatus(0, -1, 0, true),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        return Http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/keeper/status"))
                .timeout(Duration.ofSeconds(20)).GET().build());
    }
}
