package io.isomargin.indexer.api;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.app.IndexerMetrics;
import io.isomargin.indexer.store.MirrorReader;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.Scenario;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;

/**
 * {@code GET /events} over real HTTP while the indexer follows a real chain: each committed block arrives as a
 * {@code block} event with the vaults it changed, its price and its liquidation; a reorg as a {@code reorg} event.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class EventStreamTest {
    private static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

    /** One server-sent event: its name and its data. */
    private record Event(String name, String id, String data) {}

    @Test
    void committedBlocksAndReorgsArePushedAsTheyAreIndexed(AnvilChain chain, Deployment d, PostgresDatabase db)
            throws Exception {
        d.fundAndSupply(chain.credentials(1), d.wethMarket(), units(1_000_000, 6));
        try (IndexerHarness indexer = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            ApiServer api = ApiServer.start(indexer.vertx, new ApiServer.Options("127.0.0.1", 0, 5),
                    new MirrorReader(indexer.pool), indexer.runner::status, IndexerMetrics.create(indexer.runner));
            indexer.runner.addCommitListener(api.events());
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            BlockingQueue<Event> events = new LinkedBlockingQueue<>();
            HttpResponse<Stream<String>> stream = http.sendAsync(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + api.port() + "/events")).build(), HttpResponse.BodyHandlers.ofLines())
                    .get(20, TimeUnit.SECONDS);
            try {
                assertEquals(200, stream.statusCode());
                assertTrue(stream.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
                Thread reader = Thread.ofVirtual().start(() -> parse(stream.body(), events));
                await(() -> api.events().clients() == 1, "the client registered");

                // a vault opened and a price moved: pushed once the block is committed
                Credentials alice = chain.credentials(2);
                BigInteger vault = d.openVault(alice, d.wethMarket(), units(5, 18), units(7_900, 6));
                indexer.catchUp(chain);
                Event opened = next(events, e -> e.name().equals("block") && vaults(e).stream()
                        .anyMatch(v -> v.getLong("id") == vault.longValueExact()));
                JsonObject v = vaults(opened).stream().filter(x -> x.getLong("id") == vault.longValueExact())
                        .findFirst().orElseThrow();
                assertEquals(units(5, 18).toString(), v.getString("collateral"));
                assertEquals(alice.getAddress().toLowerCase(), v.getString("owner"));
                assertEquals(new JsonObject(opened.data()).getLong("toBlock").toString(), opened.id());

                BigInteger crashed = Deployment.WETH_PRICE.multiply(BigInteger.valueOf(80))
                        .divide(BigInteger.valueOf(100));
                d.setPrice(d.wethMarket(), crashed);
                Credentials liquidator = chain.credentials(5);
                d.mintAndApprove(liquidator, d.usdc().getContractAddress(), units(100_000, 6));
                Scenario.send(d.engineAs(liquidator).liquidate(vault, MAX, BigInteger.ONE, liquidator.getAddress(),
                        new byte[0])::send);
                indexer.catchUp(chain);
                // the price and the liquidation may be committed in one batch or two: read up to the liquidation
                List<Event> seen = new ArrayList<>();
                Event liquidated = next(events, e -> {
                    seen.add(e);
                    return e.name().equals("block") && !new JsonObject(e.data()).getJsonArray("liquidations")
                            .isEmpty();
                });
                assertEquals(vault.longValueExact(), new JsonObject(liquidated.data()).getJsonArray("liquidations")
                        .getJsonObject(0).getLong("vault"));
                assertTrue(seen.stream().filter(e -> e.name().equals("block")).flatMap(e -> new JsonObject(e.data())
                        .getJsonArray("prices").stream()).anyMatch(p -> ((JsonObject) p).getString("answer")
                        .equals(crashed.toString())), "the crash's price was pushed");

                // a reorg: the blocks above the snapshot are undone and the client is told where the mirror stands
                long forkBlock = chain.blockNumber();
                String fork = chain.snapshot();
                d.openVault(alice, d.wethMarket(), units(1, 18), units(100, 6));
                indexer.catchUp(chain);
                long orphanHead = chain.blockNumber();
                chain.revert(fork);
                for (long b = forkBlock; b <= orphanHead; b++) chain.mine(); // a longer branch: one block more
                long head = chain.blockNumber();
                indexer.await("the reorg rolled back and #" + head + " committed",
                        () -> indexer.runner.reorgs() >= 1 && indexer.runner.indexedBlock() >= head);
                Event reorg = next(events, e -> e.name().equals("reorg"));
                long ancestor = new JsonObject(reorg.data()).getLong("block");
                assertTrue(ancestor >= forkBlock && ancestor < orphanHead, reorg.data());
                reader.interrupt();
            } finally {
                stream.body().close();
                api.close();
            }
        }
    }

    private static List<JsonObject> vaults(Event e) {
        JsonArray a = new JsonObject(e.data()).getJsonArray("vaults");
        List<JsonObject> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) out.add(a.getJsonObject(i));
        return out;
    }

    /** Reads the SSE text: "event:", "id:", "data:" lines, a blank line ends an event; comments are skipped. */
    private static void parse(Stream<String> lines, BlockingQueue<Event> out) {
        String[] cur = {null, null, null};
        try {
            read(lines, out, cur);
        } catch (java.io.UncheckedIOException closed) {
            // the test closed the stream
        }
    }

    private static void read(Stream<String> lines, BlockingQueue<Event> out, String[] cur) {
        lines.forEach(line -> {
            if (line.isEmpty()) {
                if (cur[2] != null) out.add(new Event(cur[0] == null ? "message" : cur[0], cur[1], cur[2]));
                cur[0] = cur[1] = cur[2] = null;
            } else if (line.startsWith("event: ")) {
                cur[0] = line.substring(7);
            } else if (line.startsWith("id: ")) {
                cur[1] = line.substring(4);
            } else if (line.startsWith("data: ")) {
                cur[2] = line.substring(6);
            }
        });
    }

    private static Event next(BlockingQueue<Event> events, java.util.function.Predicate<Event> wanted)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Event e = events.poll(1, TimeUnit.SECONDS);
            if (e != null && wanted.test(e)) return e;
        }
        throw new AssertionError("no such event within 60 s");
    }

    private static void await(java.util.function.BooleanSupplier ok, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out: " + what);
            Thread.sleep(50);
        }
    }
}
