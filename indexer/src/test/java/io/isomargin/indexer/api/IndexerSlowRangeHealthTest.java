package io.isomargin.indexer.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.isomargin.abi.follower.RpcEndpoint;
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
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every {@code eth_getLogs} hanging past the request timeout (1.5 s) while the head still answers, on a chain mining a
 * block a second: the range shrinks to one block, the circuit head polls go through stays closed, and {@code /health}
 * never says {@code node-silent} (its limit here, {@value #MAX_SILENT_BLOCKS} block times, is shorter than one timed-out
 * range plus the follower's backoff) but {@code stalled}, which is what happens. Clearing the fault brings 200 back.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class IndexerSlowRangeHealthTest {
    private static final int MAX_STALLED_BLOCKS = 3;
    private static final int MAX_SILENT_BLOCKS = 2;
    private static final Duration WAIT = Duration.ofSeconds(40);

    @Test
    void slowLogRangesShrinkTheRangeAndStallButNeverSilenceTheNode(AnvilChain chain, Deployment d,
            PostgresDatabase db) throws Exception {
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl());
                IndexerHarness indexer = IndexerHarness.create(d, db, IndexerHarness.meta(d), IndexerHarness.Options
                        .of(d).withRpcUrl(proxy.url()).withRpcTimeout(Duration.ofMillis(1_500)))
                        .startAndCatchUp(chain)) {
            ApiServer api = ApiServer.start(indexer.vertx, new ApiServer.Options("127.0.0.1", 0, 1_000,
                    Optional.empty(), MAX_STALLED_BLOCKS, MAX_SILENT_BLOCKS), new MirrorReader(indexer.pool),
                    indexer.runner::status, IndexerMetrics.create(indexer.runner));
            chain.rpc("evm_setIntervalMining", 1);
            try {
                awaitHealth(api, "the block time observed", h -> h.getLong("blockIntervalMs") >= 700);
                int before = indexer.runner.followerRange();
                proxy.inject("eth_getLogs", Fault.timeout(), -1);

                Set<String> seen = new LinkedHashSet<>();
                long longestSilenceMs = 0;
                long atMinimumSince = 0;
                long deadline = System.nanoTime() + WAIT.toNanos();
                // until the range has been at one block for 6 s: each try then costs the timeout plus a backoff
                while (atMinimumSince == 0 || System.nanoTime() - atMinimumSince < Duration.ofSeconds(6).toNanos()) {
                    if (System.nanoTime() > deadline) fail("the range stayed at " + indexer.runner.followerRange());
                    JsonObject health = new JsonObject(get(api, "/health").body());
                    seen.addAll(kinds(health));
                    longestSilenceMs = Math.max(longestSilenceMs, health.getLong("sinceHeadAnswerMs"));
                    if (atMinimumSince == 0 && indexer.runner.followerRange() == 1) atMinimumSince = System.nanoTime();
                    Thread.sleep(100);
                }
                String metrics = get(api, "/metrics").body();
                RpcEndpoint endpoint = indexer.rpc.endpoints().get(0);
                System.out.printf(Locale.ROOT, "IndexerSlowRangeHealthTest: range %d -> %d, %d eth_getLogs timed out,"
                        + " /health reasons %s, longest head silence %d ms (limit %d block times)%n", before,
                        indexer.runner.followerRange(), proxy.requestCount("eth_getLogs"), seen, longestSilenceMs,
                        MAX_SILENT_BLOCKS);

                assertFalse(seen.contains("node-silent"), "the head kept answering: " + seen);
                assertTrue(seen.contains("stalled"), "nothing could be committed: " + seen);
                assertTrue(longestSilenceMs < 1_000, longestSilenceMs + " ms without a head answer");
                assertEquals(1.0, sample(metrics, "isomargin_indexer_getlogs_range_blocks"), "the range gauge");
                assertEquals(CircuitBreaker.State.CLOSED, endpoint.circuitBreaker().getState());
                assertFalse(indexer.runner.done().isDone(), "the runner stopped");

                proxy.clearFaults();
                awaitHealth(api, "recovery", h -> h.getJsonArray("reasons").isEmpty());
                indexer.catchUp(chain);
            } finally {
                chain.rpc("evm_setIntervalMining", 0);
                api.close();
            }
        }
    }

    private JsonObject awaitHealth(ApiServer api, String what, java.util.function.Predicate<JsonObject> check)
            throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            last = get(api, "/health");
            if (last.statusCode() == 200 && check.test(new JsonObject(last.body()))) return new JsonObject(last.body());
            Thread.sleep(100);
        }
        fail("timed out waiting for " + what + ": /health " + last.statusCode() + " " + last.body());
        return null;
    }

    private static Set<String> kinds(JsonObject health) {
        JsonArray reasons = health.getJsonArray("reasons");
        Set<String> kinds = new LinkedHashSet<>();
        for (int i = 0; i < reasons.size(); i++) kinds.add(reasons.getJsonObject(i).getString("kind"));
        return kinds;
    }

    private static double sample(String metrics, String name) {
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        if (!m.find()) fail("no sample " + name + " in /metrics:\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    private HttpResponse<String> get(ApiServer api, String path) throws Exception {
        return Http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
                .timeout(Duration.ofSeconds(10)).GET().build());
    }
}
