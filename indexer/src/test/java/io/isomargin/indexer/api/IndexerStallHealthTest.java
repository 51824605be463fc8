package io.isomargin.indexer.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.FaultProxy.Fault;
import io.isomargin.abi.testing.Http;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.app.IndexerMetrics;
import io.isomargin.indexer.store.MirrorReader;
import io.isomargin.indexer.testing.IndexerHarness;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code /health} must not say "ok" while the indexer cannot do its job. The chain mines a block a second (Anvil
 * interval mining) and the indexer reads it through {@link FaultProxy}; limits of {@value #MAX_STALLED_BLOCKS} block
 * times without a commit while the head moves, {@value #MAX_SILENT_BLOCKS} without a head answer. Each condition is caused for real:
 * every {@code eth_getLogs} hanging (the head still answers, nothing commits), then every head poll failing. Each
 * must turn {@code /health} to 503 with its reason and move its metric, and clearing the fault must bring 200 back.
 * The lag limit is high so that the stall is what is seen, not the lag it causes.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IndexerStallHealthTest {
    private static final int MAX_STALLED_BLOCKS = 3;
    /** Above the stall limit, so the stall is seen first (a hung {@code eth_getLogs} no longer delays head polls:
     * {@link IndexerSlowRangeHealthTest} holds a silence limit below the stall limit). */
    private static final int MAX_SILENT_BLOCKS = 5;
    private static final Duration WAIT = Duration.ofSeconds(30);

    private AnvilChain chain;
    private FaultProxy proxy;
    private IndexerHarness indexer;
    private ApiServer api;

    @BeforeAll
    void start(AnvilChain chain, Deployment d, PostgresDatabase db) throws Exception {
        this.chain = chain;
        proxy = FaultProxy.start(chain.rpcUrl());
        indexer = IndexerHarness.create(d, db, IndexerHarness.meta(d), IndexerHarness.Options.of(d)
                .withRpcUrl(proxy.url()).withRpcTimeout(Duration.ofMillis(500))).startAndCatchUp(chain);
        api = ApiServer.start(indexer.vertx, new ApiServer.Options("127.0.0.1", 0, 1_000, Optional.empty(),
                MAX_STALLED_BLOCKS, MAX_SILENT_BLOCKS), new MirrorReader(indexer.pool), indexer.runner::status,
                IndexerMetrics.create(indexer.runner));
        chain.rpc("evm_setIntervalMining", 1);
        // the limits count in observed block times: wait until the follower has seen the 1 s blocks
        awaitHealth("the block time observed", 200, h -> h.getLong("blockIntervalMs") >= 700);
    }

    @AfterEach
    void clear() {
        proxy.clearFaults();
    }

    @AfterAll
    void stop() {
        if (chain != null) chain.rpc("evm_setIntervalMining", 0);
        if (api != null) api.close();
        if (indexer != null) indexer.close();
        if (proxy != null) proxy.close();
    }

    @Test
    void noCommitWhileTheHeadMovesIsA503StalledUntilBatchesCommitAgain() throws Exception {
        // the head still answers; no range can be fetched
        Outcome o = unhealthyUntilCleared("stalled", "eth_getLogs", Fault.timeout(), "maxStallMs");
        assertEquals(List.of("stalled"), kinds(o.unhealthy()), "the node answers and the lag is within its limit");
        assertTrue(o.unhealthy().getLong("lastCommitAgeMs") > o.unhealthy().getLong("maxStallMs"), o.toString());
        assertTrue(o.unhealthy().getLong("headBlock") > o.unhealthy().getLong("indexedBlock"), o.toString());
        String message = o.unhealthy().getJsonArray("reasons").getJsonObject(0).getString("message");
        assertTrue(message.startsWith("no batch committed for ") && message.contains("while the head moved"),
                message);
        assertTrue(o.unhealthyMetric("isomargin_indexer_last_commit_age_seconds") * 1000
                > o.unhealthy().getLong("maxStallMs"), o.toString());
        assertTrue(o.unhealthyMetric("isomargin_indexer_lag_blocks") >= 1, o.toString());
        assertTrue(metric("isomargin_indexer_last_commit_age_seconds") * 1000 < o.recovered().getLong("maxStallMs"));
        assertFalse(indexer.runner.done().isDone(), "the runner stopped");
    }

    @Test
    void noHeadAnswerFromAnyEndpointIsA503NodeSilentUntilOneAnswers() throws Exception {
        // every head poll, on the only endpoint
        Outcome o = unhealthyUntilCleared("node-silent", "eth_blockNumber", Fault.httpStatus(503), "maxSilenceMs");
        assertTrue(o.unhealthy().getLong("sinceHeadAnswerMs") > o.unhealthy().getLong("maxSilenceMs"), o.toString());
        assertTrue(o.unhealthyMetric("isomargin_indexer_head_silence_seconds") * 1000
                > o.unhealthy().getLong("maxSilenceMs"), o.toString());
        assertTrue(metric("isomargin_indexer_head_silence_seconds") * 1000 < o.recovered().getLong("maxSilenceMs"));
        indexer.catchUp(chain);
    }

    /** {@code /health} while unhealthy and after, and the metrics scraped while unhealthy. */
    private record Outcome(JsonObject unhealthy, String unhealthyMetrics, JsonObject recovered) {
        double unhealthyMetric(String name) {
            return sample(unhealthyMetrics, name);
        }
    }

    /**
     * Injects {@code fault} for every {@code method} call until {@code /health} answers 503 with {@code kind} first,
     * checks that the failed calls were counted as transient RPC errors, clears the fault and waits for 200 (no
     * reason left); prints how long each took against the limit {@code limitField} of the body.
     */
    private Outcome unhealthyUntilCleared(String kind, String method, Fault fault, String limitField)
            throws Exception {
        String transientErrors = "isomargin_indexer_rpc_errors_total{kind=\"transient\"}";
        double transientBefore = metric(transientErrors);
        proxy.inject(method, fault, -1);
        long faulted = System.nanoTime();
        JsonObject unhealthy = awaitHealth(kind, 503, h -> kinds(h).contains(kind));
        long detected = System.nanoTime();
        String metrics = get("/metrics").body();
        assertEquals(kind, unhealthy.getString("status"), unhealthy.encode());
        assertTrue(sample(metrics, transientErrors) > transientBefore, "the failed " + method + " calls count as "
                + "transient RPC errors: " + sample(metrics, transientErrors) + " after, " + transientBefore + " before");

        proxy.clearFaults();
        long cleared = System.nanoTime();
        JsonObject recovered = awaitHealth("recovery", 200, h -> true);
        System.out.printf(java.util.Locale.ROOT, "IndexerStallHealthTest: %s after %.1f s (block time %d ms, limit %d"
                + " ms), 200 again %.1f s after the fault was cleared%n", kind, (detected - faulted) / 1e9,
                unhealthy.getLong("blockIntervalMs"), unhealthy.getLong(limitField), (System.nanoTime() - cleared)
                        / 1e9);
        assertEquals(List.of(), kinds(recovered));
        return new Outcome(unhealthy, metrics, recovered);
    }

    /** Polls {@code /health} until it answers {@code status} with a body that passes {@code check}. */
    private JsonObject awaitHealth(String what, int status, Predicate<JsonObject> check) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            last = get("/health");
            if (last.statusCode() == status && check.test(new JsonObject(last.body()))) {
                return new JsonObject(last.body());
            }
            Thread.sleep(100);
        }
        fail("timed out after " + WAIT.toSeconds() + " s waiting for " + what + ": /health " + last.statusCode() + " "
                + last.body());
        return null;
    }

    private static List<String> kinds(JsonObject health) {
        JsonArray reasons = health.getJsonArray("reasons");
        List<String> kinds = new ArrayList<>();
        for (int i = 0; i < reasons.size(); i++) kinds.add(reasons.getJsonObject(i).getString("kind"));
        return kinds;
    }

    /** The value of the sample {@code name} (with its labels) in {@code /metrics} now. */
    private double metric(String name) throws Exception {
        return sample(get("/metrics").body(), name);
    }

    private static double sample(String metrics, String name) {
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        if (!m.find()) fail("no sample " + name + " in /metrics:\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    private HttpResponse<String> get(String path) throws Exception {
        return Http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
                .timeout(Duration.ofSeconds(10)).GET().build());
    }
}
