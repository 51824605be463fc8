package io.isomargin.indexer.api;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.app.IndexerMetrics;
import io.isomargin.indexer.projection.GuardWindow;
import io.isomargin.indexer.store.MirrorReader;
import io.isomargin.indexer.testing.Guards;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.Scenario;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;

/**
 * The dashboard in a real headless Chromium (Debian's package driven by playwright-core): over a real Anvil chain with
 * vaults of every leverage, a 20% price drop and a liquidation with bad debt, mirrored into PostgreSQL and served by
 * the query API, {@code e2e/dashboard.check.cjs} loads the page and compares every figure it shows with the API's
 * answers (markets with a pending risk change, the vaults closest to liquidation with their health and liquidation
 * price, the liquidation, the risk table against {@code /risk}, the histogram, the keeper status, and the margin
 * guard: the guarded badges, the top-ups panel and the vaults the guards would save in the risk table). It saves
 * {@code target/e2e/dashboard.png}.
 * Skipped only when Chromium is not installed ({@code tools/ensure-chromium.sh}, run by {@code make test-java}).
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class DashboardBrowserTest {
    private static final Path CHROMIUM = Path.of(Optional.ofNullable(System.getenv("CHROMIUM"))
            .orElse("/usr/bin/chromium"));
    private static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
    private static final long CHECK_TIMEOUT_SECONDS = 180;
    private static final int KEEPER_TRACKED = 11;

    @Test
    void theDashboardShowsTheApisNumbersInAHeadlessBrowser(AnvilChain chain, Deployment d, PostgresDatabase db)
            throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "no Chromium at " + CHROMIUM
                + ": run tools/ensure-chromium.sh (make test-java does) or set CHROMIUM");
        Credentials alice = chain.credentials(2);
        Credentials bob = chain.credentials(3);
        d.fundAndSupply(chain.credentials(1), d.wethMarket(), units(1_000_000, 6));
        d.fundAndSupply(chain.credentials(1), d.linkMarket(), units(100_000, 6));
        // 5 WETH at $2,000 each vault; debts from 10% to 79% of the collateral's value
        long[] wethBorrows = {1_000, 3_000, 5_000, 6_000, 6_500, 7_000, 7_400, 7_900};
        List<BigInteger> weth = new ArrayList<>();
        for (int i = 0; i < wethBorrows.length; i++) {
            weth.add(d.openVault(i % 2 == 0 ? alice : bob, d.wethMarket(), units(5, 18), units(wethBorrows[i], 6)));
        }
        for (long borrow : new long[] {300, 800, 1_000}) { // 100 LINK at $15
            d.openVault(bob, d.linkMarket(), units(100, 18), units(borrow, 6));
        }
        d.setPrice(d.wethMarket(), Deployment.WETH_PRICE.multiply(BigInteger.valueOf(80)).divide(BigInteger.valueOf(100)));
        BigInteger underwater = weth.getLast();
        Credentials liquidator = chain.credentials(5);
        d.mintAndApprove(liquidator, d.usdc().getContractAddress(), units(100_000, 6));
        Scenario.send(d.engineAs(liquidator).liquidate(underwater, MAX, BigInteger.ONE, liquidator.getAddress(),
                new byte[0])::send);

        // a risk change waiting out its timelock: the markets table shows when it becomes executable
        Scenario.send(d.engine().setRiskParams(d.linkMarket(), Scenario.pendingLinkUpdate())::send);

        // the margin guard: the safest vault topped up once (a trigger above its health), and a vault with 6,000 of
        // debt guarded with 2 WETH of capacity, which saves it from the liquidation a further 20% drop would bring
        long expiry = chain.latestTimestamp() + 10 * GuardWindow.DAY;
        Guards.fund(d, alice, d.weth().getContractAddress(), units(10, 18));
        Guards.setPolicy(d, alice, weth.getFirst(), Guards.terms(Guards.DEPOSIT, 10_000, 12_000, 0, expiry,
                units(1, 18), units(1, 18)));
        Guards.topUp(d, liquidator, weth.getFirst());
        Guards.fund(d, bob, d.weth().getContractAddress(), units(10, 18));
        Guards.setPolicy(d, bob, weth.get(3), Guards.terms(Guards.DEPOSIT, 1_100, 1_300, 0, expiry, units(2, 18),
                units(2, 18)));

        try (IndexerHarness indexer = IndexerHarness.create(d, db).startAndCatchUp(chain)) {
            HttpServer keeper = standInKeeper(indexer, chain);
            ApiServer api = ApiServer.start(indexer.vertx, new ApiServer.Options("127.0.0.1", 0, 5,
                    Optional.of("http://127.0.0.1:" + keeper.actualPort())), new MirrorReader(indexer.pool),
                    indexer.runner::status, IndexerMetrics.create(indexer.runner));
            indexer.runner.addCommitListener(api.events());
            try {
                String out = runCheck("http://127.0.0.1:" + api.port(), chain.rpcUrl());
                JsonObject summary = new JsonObject(out.substring(out.indexOf("dashboard check: OK ") + 20).strip());
                assertEquals(2, summary.getInteger("markets"), out);
                assertEquals(1, summary.getInteger("pendingRiskChanges"), out);
                JsonArray shownVaults = summary.getJsonArray("vaultIds");
                assertEquals(weth.get(6).longValueExact(), shownVaults.getLong(0),
                        "the vault with 7,400 of debt is the closest to liquidation: " + out);
                assertTrue(Double.parseDouble(summary.getString("lowestHealth")) < 1, "it is liquidatable: " + out);
                assertEquals(List.of(underwater.longValueExact()), summary.getJsonArray("liquidatedVaults").getList()
                        .stream().map(n -> ((Number) n).longValue()).toList(), out);
                // readable: markets by name, a liquidation at its block's time with its amount in USDC (raw on hover)
                assertEquals(List.of("WETH/USDC", "LINK/USDC"), summary.getJsonArray("marketNames").getList(), out);
                JsonObject liquidation = summary.getJsonArray("liquidationsShown").getJsonObject(0);
                assertTrue(liquidation.getString("time").matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC"),
                        "a time, not a block number: " + out);
                assertEquals("WETH/USDC", liquidation.getString("market"), out);
                String repaid = liquidation.getString("repaid");
                assertTrue(repaid.endsWith(" USDC"), out);
                assertEquals(new java.math.BigDecimal(liquidation.getString("repaidRaw")).movePointLeft(6),
                        new java.math.BigDecimal(repaid.substring(0, repaid.length() - " USDC".length())),
                        "whole USDC, exactly the raw base units moved by 6 decimals: " + out);
                assertEquals("ok", summary.getString("keeper"), out);
                assertEquals(KEEPER_TRACKED, summary.getInteger("keeperTracked"), out);
                assertTrue(summary.getInteger("riskRows") >= 2 * 7, "a risk table per market: " + out);
                assertEquals(List.of(weth.get(3).longValueExact(), weth.getFirst().longValueExact()),
                        summary.getJsonArray("guardedVaults").getList().stream()
                                .map(n -> ((Number) n).longValue()).toList(), "badges, in health order: " + out);
                assertEquals(List.of(weth.getFirst().longValueExact()), summary.getJsonArray("topUps").getList()
                        .stream().map(n -> ((Number) n).longValue()).toList(), out);
                assertTrue(summary.getInteger("savedByGuards") >= 1, "the guarded vault is saved at -20%: " + out);
                JsonObject vaultPage = summary.getJsonObject("vaultPage");
                assertEquals(weth.get(6).longValueExact(), vaultPage.getLong("id"), "the link led to its page: " + out);
                assertTrue(vaultPage.getInteger("historyRows") >= 2, "opened, then collateral and debt: " + out);
                assertTrue(summary.getBoolean("live"), "the page holds /events open: " + out);
                assertTrue(summary.getLong("pushedBlock") > summary.getLong("block"),
                        "a mined block reached the page through /events: " + out);
                Path shot = Path.of(summary.getString("screenshot"));
                assertTrue(Files.size(shot) > 10_000, "screenshot " + shot + " has " + Files.size(shot) + " bytes");
            } finally {
                api.close();
                keeper.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * A stand-in for the keeper's operator endpoint (the keeper module is not on the indexer's classpath): its
     * {@code /status} in the keeper's JSON shape.
     */
    private static HttpServer standInKeeper(IndexerHarness indexer, AnvilChain chain) throws Exception {
        JsonObject status = new JsonObject().put("sender", chain.credentials(5).getAddress()).put("dryRun", false)
                .put("block", indexer.runner.indexedBlock()).put("trackedVaults", KEEPER_TRACKED)
                .put("markets", new JsonArray().add(new JsonObject().put("marketId", 1).put("vaults", 8)
                        .put("liquidatable", 1)).add(new JsonObject().put("marketId", 2).put("vaults", 3)
                        .put("liquidatable", 0)))
                .put("closest", new JsonArray()).put("pending", new JsonArray());
        return indexer.vertx.createHttpServer().requestHandler(req -> req.response()
                        .putHeader("content-type", "application/json").end(status.encode()))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Runs the browser check against {@code url} (mining on {@code rpc}); returns its output after asserting it passed. */
    private static String runCheck(String url, String rpc) throws Exception {
        Path root = AnvilChain.repoRoot();
        Path outdir = Path.of("target", "e2e").toAbsolutePath();
        Files.createDirectories(outdir);
        Path log = outdir.resolve("dashboard-check.log");
        Process p = new ProcessBuilder("node", root.resolve("e2e/dashboard.check.cjs").toString(), url,
                outdir.toString(), rpc).directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
                .start();
        boolean done = p.waitFor(CHECK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String out = Files.readString(log);
        assertTrue(done, "the browser check did not finish within " + CHECK_TIMEOUT_SECONDS + " s:\n" + out);
        assertEquals(0, p.exitValue(), "the browser check failed:\n" + out);
        assertFalse(out.isBlank(), "no output");
        assertTrue(out.contains("dashboard check: OK "), out);
        return out.lines().filter(l -> l.startsWith("dashboard check: OK ")).findFirst().orElseThrow();
    }
}
