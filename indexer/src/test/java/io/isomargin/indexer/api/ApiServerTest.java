package io.isomargin.indexer.api;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginLens;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.Http;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.app.IndexerMetrics;
import io.isomargin.indexer.store.MirrorReader;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.Lenses;
import io.isomargin.indexer.testing.Scenario;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.tx.ReadonlyTransactionManager;

/**
 * The query API over a real mirror: its health, debt, liquidation prices and stress results equal what the engine
 * says (views pinned to the mirror's block, or the chain actually moved to the stressed price), its filters and
 * pagination return exactly the matching vaults, and bad requests get errors naming the parameter.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiServerTest {
    private static final BigInteger WETH = BigInteger.TEN.pow(18);
    private static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

    private AnvilChain chain;
    private Deployment d;
    private IndexerHarness indexer;
    private ApiServer api;
    private Credentials alice;
    private Credentials bob;
    private final List<BigInteger> wethVaults = new ArrayList<>();

    @BeforeAll
    void mirrorAPopulation(AnvilChain chain, Deployment d, PostgresDatabase db) throws Exception {
        this.chain = chain;
        this.d = d;
        alice = chain.credentials(2);
        bob = chain.credentials(3);
        d.fundAndSupply(chain.credentials(1), d.wethMarket(), units(1_000_000, 6));
        // 5 WETH at $2,000 = $10,000 of collateral each; debts from 10% to 79% of it, alternating owners
        long[] borrows = {1_000, 5_000, 7_000, 7_400, 7_600, 7_900};
        for (int i = 0; i < borrows.length; i++) {
            wethVaults.add(d.openVault(i % 2 == 0 ? alice : bob, d.wethMarket(), units(5, 18),
                    units(borrows[i], 6)));
        }
        chain.increaseTime(90L * 24 * 3600); // interest accrues: the API must accrue it to the mirror's block
        d.setPrice(d.wethMarket(), Deployment.WETH_PRICE); // a fresh answer: the engine's views refuse a stale one
        chain.increaseTime(600);
        chain.mine();
        indexer = IndexerHarness.create(d, db).startAndCatchUp(chain);
        PrometheusMeterRegistry metrics = IndexerMetrics.create(indexer.runner);
        api = ApiServer.start(indexer.vertx, new ApiServer.Options("127.0.0.1", 0, 5),
                new MirrorReader(indexer.pool), indexer.runner::status, metrics);
    }

    @AfterAll
    void stop() {
        if (api != null) api.close();
        if (indexer != null) indexer.close();
    }

    @Test
    void historiesListWhatHappenedNewestFirst() throws Exception {
        BigInteger v = wethVaults.getFirst();
        JsonArray h = getOk("/vaults/" + v + "/history").getJsonArray("items");
        assertTrue(h.size() >= 2, "opened, then collateral and debt: " + h.encode());
        for (int i = 1; i < h.size(); i++) {
            JsonObject newer = h.getJsonObject(i - 1);
            JsonObject older = h.getJsonObject(i);
            assertTrue(newer.getLong("block") > older.getLong("block") || newer.getLong("block").equals(older
                    .getLong("block")) && newer.getInteger("logIndex") > older.getInteger("logIndex"), h.encode());
            assertEquals(older.getString("collateralAfter"), newer.getString("collateralBefore"), "a chain of states");
        }
        JsonObject oldest = h.getJsonObject(h.size() - 1);
        assertEquals("0", oldest.getString("collateralBefore"), "it starts empty: " + oldest.encode());
        JsonObject now = getOk("/vaults/" + v);
        assertEquals(now.getString("collateral"), h.getJsonObject(0).getString("collateralAfter"));
        assertEquals(now.getString("debtShares"), h.getJsonObject(0).getString("debtSharesAfter"));

        JsonArray prices = getOk("/markets/" + d.wethMarket() + "/prices").getJsonArray("items");
        assertEquals(getOk("/markets/" + d.wethMarket()).getJsonObject("price").getString("answer"),
                prices.getJsonObject(0).getString("answer"), "the newest answer is the market's price");
        assertTrue(prices.size() >= 2, "the first answer at creation and the refresh: " + prices.encode());

        JsonArray lenders = getOk("/markets/" + d.wethMarket() + "/lenders").getJsonArray("items");
        assertEquals(chain.credentials(1).getAddress().toLowerCase(), lenders.getJsonObject(0).getString("lender"));
        assertTrue(new BigInteger(lenders.getJsonObject(0).getString("shares")).signum() > 0, lenders.encode());
        assertEquals(404, get("/markets/999/lenders").statusCode());
    }

    @Test
    void aClientAskingToUpgradeToHttp2GetsPlainHttp11() throws Exception {
        // the JDK client's default h2c upgrade: accepted, it once left a request unanswered (see abi testing Http)
        HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + api.port() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        assertEquals(java.net.http.HttpClient.Version.HTTP_1_1, r.version());
    }

    @Test
    void corsHeadersOnlyForTheConfiguredOrigins() throws Exception {
        HttpResponse<String> plain = Http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port()
                + "/markets")).header("Origin", "https://app.example.com").timeout(Duration.ofSeconds(10)).build());
        assertEquals(200, plain.statusCode());
        assertTrue(plain.headers().firstValue("access-control-allow-origin").isEmpty(), "off by default");

        ApiServer cors = ApiServer.start(indexer.vertx, new ApiServer.Options("127.0.0.1", 0, 5, Optional.empty(),
                10, 10, List.of("https://app.example.com")), new MirrorReader(indexer.pool), indexer.runner::status,
                IndexerMetrics.create(indexer.runner));
        try {
            String base = "http://127.0.0.1:" + cors.port();
            HttpResponse<String> allowed = Http.send(HttpRequest.newBuilder(URI.create(base + "/markets"))
                    .header("Origin", "https://app.example.com").timeout(Duration.ofSeconds(10)).build());
            assertEquals(200, allowed.statusCode());
            assertEquals("https://app.example.com", allowed.headers().firstValue("access-control-allow-origin")
                    .orElse(null));
            HttpResponse<String> preflight = Http.send(HttpRequest.newBuilder(URI.create(base + "/vaults"))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://app.example.com")
                    .header("Access-Control-Request-Method", "GET").timeout(Duration.ofSeconds(10)).build());
            assertTrue(preflight.statusCode() / 100 == 2, preflight.statusCode() + " " + preflight.body());
            assertTrue(preflight.headers().firstValue("access-control-allow-methods").orElse("").contains("GET"));
            HttpResponse<String> other = Http.send(HttpRequest.newBuilder(URI.create(base + "/markets"))
                    .header("Origin", "https://evil.example").timeout(Duration.ofSeconds(10)).build());
            assertTrue(other.headers().firstValue("access-control-allow-origin").isEmpty(), "another origin: none");
        } finally {
            cors.close();
        }
    }

    @Test
    void aVaultsHealthDebtAndLiquidationPriceEqualTheEnginesViewsAtTheMirrorsBlock() throws Exception {
        for (BigInteger id : wethVaults) {
            JsonObject v = getOk("/vaults/" + id);
            long block = v.getJsonObject("asOf").getLong("block");
            IsomarginLens at = Lenses.at(d, block);
            assertEquals(at.health(id).send().toString(), v.getString("healthWad"), "health of vault " + id);
            assertEquals(at.debtOf(id).send().toString(), v.getString("debt"), "debt of vault " + id);
            assertEquals(at.liquidationPrice(id).send().toString(), v.getString("liquidationPrice"),
                    "liquidation price of vault " + id);
            assertEquals(at.isLiquidatable(id).send(), v.getBoolean("liquidatable"), "liquidatable " + id);
            assertEquals(d.wethMarket().longValueExact(), v.getLong("market"));
        }
        // interest made the debt grow past what was borrowed: the accrual to the block's time is in the answer
        JsonObject first = getOk("/vaults/" + wethVaults.getFirst());
        assertTrue(new BigInteger(first.getString("debt")).compareTo(units(1_000, 6)) > 0, first.encode());
    }

    @Test
    void maxHealthReturnsExactlyTheVaultsAtOrBelowItAcrossPagesOfTheGivenSize() throws Exception {
        JsonObject any = getOk("/vaults/" + wethVaults.getFirst());
        IsomarginLens at = Lenses.at(d, any.getJsonObject("asOf").getLong("block"));
        BigInteger bound = new BigInteger("1250000000000000000"); // 1.25
        List<Long> expected = new ArrayList<>();
        for (BigInteger id : wethVaults) {
            if (at.health(id).send().compareTo(bound) <= 0) expected.add(id.longValueExact());
        }
        assertTrue(expected.size() >= 3 && expected.size() < wethVaults.size(), "population spans 1.25: " + expected);

        List<Long> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonObject page = getOk("/vaults?market=" + d.wethMarket() + "&maxHealth=1.25&limit=2"
                    + (cursor == null ? "" : "&cursor=" + cursor));
            JsonArray items = page.getJsonArray("items");
            assertTrue(items.size() <= 2, page.encode());
            for (int i = 0; i < items.size(); i++) {
                JsonObject v = items.getJsonObject(i);
                assertTrue(new BigInteger(v.getString("healthWad")).compareTo(bound) <= 0, v.encode());
                seen.add(v.getLong("id"));
            }
            cursor = page.getString("nextCursor");
            assertTrue(++pages <= expected.size() + 1, "pagination does not end");
        } while (cursor != null);
        assertEquals(expected, seen);
    }

    @Test
    void ownerAndMarketFiltersReturnOnlyThatOwnersVaultsInIdOrder() throws Exception {
        JsonArray items = getOk("/vaults?market=" + d.wethMarket() + "&owner="
                + alice.getAddress().toUpperCase().replace("0X", "0x"))
                .getJsonArray("items");
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            assertEquals(alice.getAddress().toLowerCase(), items.getJsonObject(i).getString("owner"));
            ids.add(items.getJsonObject(i).getLong("id"));
        }
        assertEquals(List.of(wethVaults.get(0).longValueExact(), wethVaults.get(2).longValueExact(),
                wethVaults.get(4).longValueExact()), ids);
        assertEquals(0, getOk("/vaults?market=" + d.linkMarket()).getJsonArray("items").size());
    }

    @Test
    void marketsShowParametersStateAndTheLatestPrice() throws Exception {
        JsonArray markets = getOk("/markets").getJsonArray("items");
        assertTrue(markets.size() >= 2, markets.encode());
        JsonObject weth = getOk("/markets/" + d.wethMarket());
        assertEquals(d.weth().getContractAddress().toLowerCase(), weth.getString("collateralToken"));
        assertEquals(Deployment.WETH_PRICE.toString(), weth.getJsonObject("price").getString("answer"));
        assertEquals(3, weth.getJsonArray("tiers").size());
        // the LINK feed never published since its market was created: its answer at creation is the price
        JsonObject link = getOk("/markets/" + d.linkMarket());
        assertEquals(Deployment.LINK_PRICE.toString(), link.getJsonObject("price").getString("answer"));
        assertEquals(link.getLong("createdBlock"), link.getJsonObject("price").getLong("block"));
        assertEquals(wethVaults.size(), weth.getLong("openVaults"));
        IsomarginEngine at = pinned(weth.getJsonObject("asOf").getLong("block"));
        IsomarginEngine.MarketState state = at.marketState(d.wethMarket()).send();
        assertEquals(state.totalBorrowShares.toString(), weth.getJsonObject("state").getString("totalBorrowShares"));
        assertEquals(state.interestRemainder.toString(), weth.getJsonObject("state").getString("interestRemainder"));
        assertTrue(weth.containsKey("pendingRiskChange") && weth.getValue("pendingRiskChange") == null,
                "no change pending: " + weth.encode());
    }

    /**
     * A tightening change through the timelock: pending in /markets (as pendingRiskParams says) until executed, then
     * the market's parameters; /markets/{id}/risk-changes lists it with the replaced and cancelled ones before it and
     * the change that applied at once after it.
     */
    @Test
    void aPendingRiskChangeIsShownUntilExecutedAndTheHistoryListsEveryChange() throws Exception {
        Deployment.Market m = d.createMarket(6, 18, 8, Deployment.WETH_PRICE);
        BigInteger id = m.id();
        var p = Deployment.defaultParams(m.loan().getContractAddress(), m.collateral().getContractAddress(),
                m.feed().getContractAddress(), 6, 1_000);
        IsomarginEngine owner = d.engine();
        IsomarginEngine.RiskUpdate first = new IsomarginEngine.RiskUpdate(p.maxOracleAge, BigInteger.valueOf(700),
                p.protocolFeeBps, p.closeFactorBps, p.reserveFactorBps, p.minDebt, p.rateModel);
        IsomarginEngine.RiskUpdate second = new IsomarginEngine.RiskUpdate(p.maxOracleAge, BigInteger.valueOf(600),
                BigInteger.valueOf(2_500), BigInteger.valueOf(6_000), BigInteger.valueOf(1_500), units(15, 6),
                p.rateModel);
        String snapshot = chain.snapshot();
        try {
            Scenario.send(owner.setRiskParams(id, first)::send);
            Scenario.send(owner.cancelRiskParams(id)::send);
            Scenario.send(owner.setRiskParams(id, first)::send);
            var proposal = Scenario.send(owner.setRiskParams(id, second)::send); // replaces the one before
            indexer.catchUp(chain);

            JsonObject market = getOk("/markets/" + id);
            JsonObject pending = market.getJsonObject("pendingRiskChange");
            assertNotNull(pending, market.encode());
            var onChain = pinned(market.getJsonObject("asOf").getLong("block")).pendingRiskParams(id).send();
            assertEquals(onChain.component2().longValue(), pending.getLong("executableAt"));
            assertFalse(pending.getBoolean("executable"), "the timelock has not passed: " + pending.encode());
            assertEquals(proposal.getTransactionHash(), pending.getString("proposedTxHash"));
            assertEquals(600, pending.getJsonObject("liquidation").getInteger("bonusBps"));
            assertEquals(2_500, pending.getJsonObject("liquidation").getInteger("protocolFeeBps"));
            assertEquals(6_000, pending.getJsonObject("liquidation").getInteger("closeFactorBps"));
            assertEquals(units(15, 6).toString(), pending.getJsonObject("liquidation").getString("minDebt"));
            assertEquals(1_500, pending.getJsonObject("interest").getInteger("reserveFactorBps"));
            assertEquals(p.rateModel.kink.toString(), pending.getJsonObject("interest").getString("kink"));
            assertEquals(500, market.getJsonObject("liquidation").getInteger("bonusBps"), "not in force yet");
            JsonObject listed = getOk("/markets").getJsonArray("items").stream().map(o -> (JsonObject) o)
                    .filter(o -> o.getLong("id") == id.longValueExact()).findFirst().orElseThrow();
            assertEquals(pending, listed.getJsonObject("pendingRiskChange"));

            chain.increaseTime(d.engine().RISK_TIMELOCK().send().longValueExact());
            chain.mine();
            indexer.catchUp(chain);
            assertTrue(getOk("/markets/" + id).getJsonObject("pendingRiskChange").getBoolean("executable"));
            var executed = Scenario.send(d.engineAs(alice).executeRiskParams(id)::send);
            // loosening every field again (the old bonus): applies at once
            var loosened = Scenario.send(owner.setRiskParams(id, new IsomarginEngine.RiskUpdate(p.maxOracleAge,
                    BigInteger.valueOf(500), BigInteger.valueOf(2_500), BigInteger.valueOf(6_000),
                    BigInteger.valueOf(1_500), units(15, 6), p.rateModel))::send);
            indexer.catchUp(chain);

            market = getOk("/markets/" + id);
            assertNull(market.getValue("pendingRiskChange"), market.encode());
            assertEquals(500, market.getJsonObject("liquidation").getInteger("bonusBps"));
            assertEquals(6_000, market.getJsonObject("liquidation").getInteger("closeFactorBps"));
            assertEquals(units(15, 6).toString(), market.getJsonObject("liquidation").getString("minDebt"));

            JsonArray history = getOk("/markets/" + id + "/risk-changes").getJsonArray("items");
            assertEquals(List.of("applied", "executed", "replaced", "cancelled"), history.stream()
                    .map(o -> ((JsonObject) o).getString("status")).toList(), history.encode());
            JsonObject run = history.getJsonObject(1);
            assertEquals(proposal.getTransactionHash(), run.getString("proposedTxHash"));
            assertEquals(executed.getTransactionHash(), run.getString("resolvedTxHash"));
            assertEquals(alice.getAddress().toLowerCase(), run.getString("executedBy"));
            assertEquals(proposal.getTransactionHash(), history.getJsonObject(2).getString("resolvedTxHash"),
                    "the first proposal was replaced by the second");
            assertEquals(loosened.getTransactionHash(), history.getJsonObject(0).getString("proposedTxHash"));
            assertNull(history.getJsonObject(0).getValue("executableAt"));
            // paging and the status filter
            JsonObject page = getOk("/markets/" + id + "/risk-changes?limit=3");
            assertEquals(3, page.getJsonArray("items").size());
            JsonObject rest = getOk("/markets/" + id + "/risk-changes?limit=3&cursor=" + page.getString("nextCursor"));
            assertEquals(List.of("cancelled"), rest.getJsonArray("items").stream()
                    .map(o -> ((JsonObject) o).getString("status")).toList());
            assertNull(rest.getString("nextCursor"));
            assertEquals(1, getOk("/markets/" + id + "/risk-changes?status=executed").getJsonArray("items").size());
        } finally {
            revertAndFollow(snapshot);
        }
    }

    /** Reverts the chain to {@code snapshot} and waits until the mirror has rolled the orphaned blocks back. */
    private void revertAndFollow(String snapshot) throws Exception {
        int reorgs = indexer.runner.reorgs();
        long orphanedHead = chain.blockNumber();
        chain.revert(snapshot);
        while (chain.blockNumber() <= orphanedHead) chain.mine(); // a longer branch: the follower switches to it
        long head = chain.blockNumber();
        indexer.await("the revert to be rolled back", () -> indexer.runner.reorgs() > reorgs
                && indexer.runner.indexedBlock() >= head);
    }

    @Test
    void sortByHealthListsTheLowestHealthFirstAcrossPagesAsTheEngineRanksThem() throws Exception {
        JsonObject any = getOk("/vaults/" + wethVaults.getFirst());
        IsomarginLens at = Lenses.at(d, any.getJsonObject("asOf").getLong("block"));
        List<BigInteger[]> ranked = new ArrayList<>();
        for (BigInteger id : wethVaults) ranked.add(new BigInteger[] {at.health(id).send(), id});
        ranked.sort((a, b) -> a[0].compareTo(b[0]) != 0 ? a[0].compareTo(b[0]) : a[1].compareTo(b[1]));
        List<Long> expected = ranked.stream().map(r -> r[1].longValueExact()).toList();
        assertFalse(expected.equals(wethVaults.stream().map(BigInteger::longValueExact).toList()),
                "the population is not already in id order");

        List<Long> seen = new ArrayList<>();
        List<String> healths = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonObject page = getOk("/vaults?market=" + d.wethMarket() + "&sort=health&limit=4"
                    + (cursor == null ? "" : "&cursor=" + cursor));
            JsonArray items = page.getJsonArray("items");
            for (int i = 0; i < items.size(); i++) {
                seen.add(items.getJsonObject(i).getLong("id"));
                healths.add(items.getJsonObject(i).getString("healthWad"));
            }
            cursor = page.getString("nextCursor");
            assertTrue(++pages <= expected.size(), "pagination does not end");
        } while (cursor != null);
        assertEquals(expected, seen);
        assertEquals(ranked.stream().map(r -> r[0].toString()).toList(), healths);
        // with maxHealth the order is the same, cut at the bound
        JsonArray below = getOk("/vaults?market=" + d.wethMarket() + "&sort=health&maxHealth=1.25")
                .getJsonArray("items");
        long count = ranked.stream().filter(r -> r[0].compareTo(new BigInteger("1250000000000000000")) <= 0).count();
        assertEquals(expected.subList(0, (int) count), below.stream().map(o -> ((JsonObject) o).getLong("id"))
                .toList());
    }

    @Test
    void theHealthHistogramCountsEachVaultInTheBucketOfItsEngineHealth() throws Exception {
        JsonObject h = getOk("/markets/" + d.wethMarket() + "/health-histogram?edges=1.2,1.5,3");
        IsomarginLens at = Lenses.at(d, h.getJsonObject("asOf").getLong("block"));
        BigInteger[] edges = {new BigInteger("1200000000000000000"), new BigInteger("1500000000000000000"),
                new BigInteger("3000000000000000000")};
        int[] counts = new int[4];
        BigInteger[] debts = {BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO};
        for (BigInteger id : wethVaults) {
            BigInteger health = at.health(id).send();
            int i = 0;
            while (i < edges.length && health.compareTo(edges[i]) >= 0) i++;
            counts[i]++;
            debts[i] = debts[i].add(at.debtOf(id).send());
        }
        JsonArray buckets = h.getJsonArray("buckets");
        assertEquals(4, buckets.size(), h.encode());
        for (int i = 0; i < 4; i++) {
            assertEquals(counts[i], buckets.getJsonObject(i).getInteger("vaults"), "bucket " + i + ": " + h.encode());
            assertEquals(debts[i].toString(), buckets.getJsonObject(i).getString("debt"), "bucket " + i);
        }
        assertNull(buckets.getJsonObject(0).getString("from"));
        assertEquals("1.2", buckets.getJsonObject(0).getString("to"));
        assertNull(buckets.getJsonObject(3).getString("to"));
        assertEquals(wethVaults.size(), h.getInteger("indebtedVaults"));
        assertEquals(0, h.getInteger("debtFreeVaults"));
        // the default edges: 8 buckets, the same vaults
        JsonObject byDefault = getOk("/markets/" + d.wethMarket() + "/health-histogram");
        assertEquals(8, byDefault.getJsonArray("buckets").size());
        assertEquals(wethVaults.size(), byDefault.getInteger("indebtedVaults"));
    }

    @Test
    void theRiskCurveEqualsRiskAtEachOfItsDrops() throws Exception {
        JsonObject curve = getOk("/risk/" + d.wethMarket() + "/curve?max=30&step=7.5");
        JsonArray points = curve.getJsonArray("points");
        assertEquals(List.of("0", "7.5", "15", "22.5", "30"),
                points.stream().map(p -> ((JsonObject) p).getString("drop")).toList());
        int liquidatableAtMax = 0;
        for (int i = 0; i < points.size(); i++) {
            JsonObject p = points.getJsonObject(i);
            JsonObject single = getOk("/risk/" + d.wethMarket() + "?drop=" + p.getString("drop"));
            for (String key : List.of("shockedPrice", "liquidatableVaults", "liquidatableDebt", "badDebt",
                    "indebtedVaults")) {
                assertEquals(single.getValue(key), p.getValue(key), key + " at -" + p.getString("drop") + "%");
            }
            liquidatableAtMax = p.getInteger("liquidatableVaults");
        }
        assertTrue(liquidatableAtMax > points.getJsonObject(0).getInteger("liquidatableVaults"),
                "more vaults are liquidatable at -30% than now: " + curve.encode());
        assertEquals(21, getOk("/risk/" + d.wethMarket() + "/curve").getJsonArray("points").size(),
                "default: 0 to 50% in 2.5% steps");
    }

    @Test
    void theDashboardIsServedAtSlashDashboardAndTheRootLeadsThere() throws Exception {
        for (String path : List.of("/", "/dashboard")) {
            HttpResponse<String> r = get(path);
            assertEquals(302, r.statusCode(), path);
            assertEquals("/dashboard/", r.headers().firstValue("location").orElse(null), path);
        }
        HttpResponse<String> page = get("/dashboard/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"), page.headers()
                .toString());
        assertTrue(page.body().contains("<script src=\"dashboard.js\">"), page.body());
        for (String asset : List.of("dashboard.js", "charts.js", "dashboard.css")) {
            assertEquals(200, get("/dashboard/" + asset).statusCode(), asset);
        }
        assertError("/dashboard/missing.js", 404, null);
    }

    @Test
    void keeperStatusSaysWhenNoKeeperIsConfigured() throws Exception {
        HttpResponse<String> r = get("/keeper/status");
        assertEquals(404, r.statusCode(), r.body());
        JsonObject body = new JsonObject(r.body());
        assertEquals(false, body.getBoolean("configured"));
        assertTrue(body.getString("error").contains("api.keeper-url"), r.body());
    }

    /**
     * A fresh market without interest, so the chain can be moved to the stressed price and liquidated there and must
     * give exactly the API's numbers: which vaults become liquidatable, their debt, and the bad debt.
     */
    @Test
    void riskEqualsWhatTheChainDoesAtTheDroppedPrice() throws Exception {
        Deployment.Market m = d.createMarket(6, 18, 8, Deployment.WETH_PRICE);
        var rates = new IsomarginEngine.RateModel(BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO,
                WETH.multiply(BigInteger.valueOf(8)).divide(BigInteger.TEN));
        var p = Deployment.defaultParams(m.loan().getContractAddress(), m.collateral().getContractAddress(),
                m.feed().getContractAddress(), 6, 1_000);
        // no interest: loosens every field, so it applies at once
        Scenario.send(d.engine().setRiskParams(m.id(), new IsomarginEngine.RiskUpdate(p.maxOracleAge,
                p.liquidationBonusBps, p.protocolFeeBps, p.closeFactorBps, p.reserveFactorBps, p.minDebt,
                rates))::send);
        // no AnswerUpdated since its creation: the mirror has the answer the feed held when the market was created
        d.fundAndSupply(chain.credentials(1), m.id(), units(100_000, 6));
        // $10,000 of collateral each: healthy at -20%, liquidatable at -20%, deep underwater at -20%
        BigInteger healthy = d.openVault(alice, m.id(), units(5, 18), units(5_000, 6));
        BigInteger liquidatable = d.openVault(alice, m.id(), units(5, 18), units(7_400, 6));
        BigInteger underwater = d.openVault(bob, m.id(), units(5, 18), units(7_900, 6));
        indexer.catchUp(chain);

        JsonObject risk = getOk("/risk/" + m.id() + "?drop=20");
        assertEquals(3, risk.getInteger("indebtedVaults"));
        assertEquals(2, risk.getInteger("liquidatableVaults"));
        assertEquals(0, risk.getInteger("alreadyLiquidatable"));
        BigInteger shocked = Deployment.WETH_PRICE.multiply(BigInteger.valueOf(80)).divide(BigInteger.valueOf(100));
        assertEquals(shocked.toString(), risk.getString("shockedPrice"));

        String snapshot = chain.snapshot();
        try {
            d.setPrice(m.id(), shocked);
            IsomarginLens lens = d.lens();
            assertFalse(lens.isLiquidatable(healthy).send());
            assertTrue(lens.isLiquidatable(liquidatable).send());
            assertTrue(lens.isLiquidatable(underwater).send());
            BigInteger debt = lens.debtOf(liquidatable).send().add(lens.debtOf(underwater).send());
            assertEquals(debt.toString(), risk.getString("liquidatableDebt"));
            assertEquals(units(10, 18).toString(), risk.getString("liquidatableCollateral"));

            Credentials liquidator = chain.credentials(5);
            d.mintAndApprove(liquidator, m.loan().getContractAddress(), units(100_000, 6));
            var receipt = Scenario.send(d.engineAs(liquidator).liquidate(underwater, MAX, BigInteger.ONE,
                    liquidator.getAddress(), new byte[0])::send);
            var bad = IsomarginEngine.getBadDebtRealizedEvents(receipt);
            assertEquals(1, bad.size(), "the deep-underwater vault leaves bad debt");
            assertEquals(bad.getFirst().badDebtAssets.toString(), risk.getString("badDebt"));

            indexer.catchUp(chain);
            JsonArray liqs = getOk("/liquidations?market=" + m.id()).getJsonArray("items");
            assertEquals(1, liqs.size(), liqs.encode());
            assertEquals(underwater.longValueExact(), liqs.getJsonObject(0).getLong("vault"));
            assertEquals(bad.getFirst().badDebtAssets.toString(), liqs.getJsonObject(0).getString("badDebt"));
            assertEquals(liqs, getOk("/liquidations?market=" + m.id() + "&order=desc").getJsonArray("items"));
            long block = receipt.getBlockNumber().longValueExact();
            assertEquals(0, getOk("/liquidations?market=" + m.id() + "&since=" + (block + 1))
                    .getJsonArray("items").size());
        } finally {
            chain.revert(snapshot);
            chain.mine();
        }
    }

    @Test
    void badParametersGet400NamingTheParameterAndUnknownIds404() throws Exception {
        assertError("/vaults?maxHealth=abc", 400, "maxHealth");
        assertError("/vaults?maxHealth=-1", 400, "maxHealth");
        assertError("/vaults?limit=0", 400, "limit");
        assertError("/vaults?limit=5000", 400, "limit");
        assertError("/vaults?market=x", 400, "market");
        assertError("/vaults?owner=0x1234", 400, "owner");
        assertError("/vaults?cursor=bm90LWEtY3Vyc29y", 400, "cursor");
        assertError("/vaults?maxhealth=1", 400, "maxhealth");
        assertError("/vaults/abc", 400, "id");
        assertError("/risk/" + d.wethMarket(), 400, "drop");
        assertError("/risk/" + d.wethMarket() + "?drop=101", 400, "drop");
        assertError("/risk/" + d.wethMarket() + "?drop=1.234", 400, "drop");
        assertError("/liquidations?since=-5", 400, "since");
        assertError("/liquidations?order=sideways", 400, "order");
        assertError("/vaults?sort=owner", 400, "sort");
        assertError("/vaults?sort=health&cursor=" + java.util.Base64.getUrlEncoder().encodeToString("v:3".getBytes()),
                400, "cursor");
        assertError("/markets/" + d.wethMarket() + "/health-histogram?edges=1.5,1.2", 400, "edges");
        assertError("/markets/" + d.wethMarket() + "/health-histogram?edges=1,x", 400, "edges");
        assertError("/markets/99999/health-histogram", 404, null);
        assertError("/risk/" + d.wethMarket() + "/curve?step=0", 400, "step");
        assertError("/risk/" + d.wethMarket() + "/curve?max=101", 400, "max");
        assertError("/risk/" + d.wethMarket() + "/curve?max=100&step=0.01", 400, "step");
        assertError("/vaults/99999", 404, null);
        assertError("/markets/99999", 404, null);
        assertError("/markets/99999/risk-changes", 404, null);
        assertError("/markets/" + d.wethMarket() + "/risk-changes?status=pending", 400, "status");
        assertError("/markets/" + d.wethMarket() + "/risk-changes?cursor=" + java.util.Base64.getUrlEncoder()
                .encodeToString("l:1:2".getBytes()), 400, "cursor");
        assertError("/risk/99999?drop=10", 404, null);
        assertError("/nowhere", 404, null);
    }

    @Test
    void healthReportsTheLagAndMetricsAreInPrometheusFormat() throws Exception {
        indexer.catchUp(chain);
        JsonObject health = getOk("/health");
        assertEquals("ok", health.getString("status"));
        assertEquals(0, health.getJsonArray("reasons").size(), health.encode());
        assertTrue(health.getLong("lagBlocks") <= 5, health.encode());
        assertTrue(health.getLong("indexedBlock") > 0, health.encode());

        HttpResponse<String> metrics = get("/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("isomargin_indexer_indexed_block "), metrics.body());
        assertTrue(metrics.body().contains("isomargin_indexer_events_total"), "events counter");
        for (String kind : List.of("range_too_large", "transient", "permanent")) {
            assertTrue(metrics.body().contains("isomargin_indexer_rpc_errors_total{kind=\"" + kind + "\"}"), kind);
        }
        assertTrue(metrics.body().contains("isomargin_indexer_last_commit_age_seconds "), "last-commit age");
        assertTrue(metrics.body().contains("isomargin_indexer_head_silence_seconds "), "head silence");
        assertTrue(metrics.body().contains("isomargin_indexer_http_requests_seconds_count{route=\"health\""),
                "per-route request timer");
    }

    private void assertError(String path, int status, String parameter) throws Exception {
        HttpResponse<String> r = get(path);
        assertEquals(status, r.statusCode(), path + " -> " + r.body());
        JsonObject body = new JsonObject(r.body());
        assertNotNull(body.getString("error"), r.body());
        if (parameter == null) {
            assertNull(body.getString("parameter"), r.body());
        } else {
            assertEquals(parameter, body.getString("parameter"), r.body());
            assertTrue(body.getString("error").contains(parameter), r.body());
        }
    }

    private JsonObject getOk(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertEquals(200, r.statusCode(), path + " -> " + r.body());
        return new JsonObject(r.body());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return Http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
                .timeout(Duration.ofSeconds(10)).GET().build());
    }

    private IsomarginEngine pinned(long block) {
        IsomarginEngine e = IsomarginEngine.load(d.engine().getContractAddress(), chain.web3j(),
                new ReadonlyTransactionManager(chain.web3j(), d.engine().getContractAddress()), chain.gasProvider());
        e.setDefaultBlockParameter(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)));
        return e;
    }
}
