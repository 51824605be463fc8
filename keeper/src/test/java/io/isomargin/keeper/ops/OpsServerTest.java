package io.isomargin.keeper.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.Http;
import io.isomargin.abi.tokens.TokenMetadata;
import io.isomargin.keeper.book.VaultPosition;
import io.isomargin.keeper.ops.KeeperStatus.MarketVaults;
import io.isomargin.keeper.ops.KeeperStatus.PendingTx;
import io.isomargin.keeper.ops.KeeperStatus.VaultRisk;
import io.isomargin.keeper.risk.VaultHealth;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operator endpoints over real HTTP. */
class OpsServerTest {
    private static final BigInteger WAD = BigInteger.TEN.pow(18);
    private static final BigInteger MAX_UINT = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

    private final AtomicReference<KeeperHealth> health = new AtomicReference<>(new KeeperHealth(100, 102, true, 1));
    private final KeeperMetrics metrics = new KeeperMetrics();
    private Vertx vertx;
    private OpsServer server;

    static KeeperStatus sample() {
        List<VaultRisk> vaults = new ArrayList<>();
        LongStream.rangeClosed(1, 30).forEach(id -> vaults.add(new VaultRisk(id, id % 2 + 1, "0x" + "ab".repeat(20),
                WAD.add(BigInteger.valueOf((id * 7919) % 31).multiply(WAD).divide(BigInteger.valueOf(100)))
                        .subtract(BigInteger.valueOf(5).multiply(WAD).divide(BigInteger.valueOf(100))),
                BigInteger.valueOf(1_000_000 * id), BigInteger.valueOf(2_000_00000000L + id), false)));
        vaults.add(new VaultRisk(99, 1, "0x" + "cd".repeat(20), MAX_UINT, BigInteger.ZERO, BigInteger.ZERO, false));
        List<VaultRisk> closest = KeeperStatus.closest(vaults, KeeperStatus.CLOSEST).stream()
                .map(v -> new VaultRisk(v.vaultId(), v.marketId(), v.owner(), v.health(), v.debt(),
                        v.liquidationPrice(), v.health().compareTo(WAD) < 0))
                .toList();
        return new KeeperStatus("0x" + "12".repeat(20), true, 100, 31,
                List.of(new MarketVaults(1, 16, 2), new MarketVaults(2, 15, 1)), closest,
                List.of(new PendingTx(7, "0x" + "9f".repeat(32), "liquidate market 1: 3 vaults",
                        new BigInteger("30000000000"), new BigInteger("1500000000"), 98, 1)));
    }

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        server = OpsServer.start(vertx, new OpsServer.Options("127.0.0.1", 0, 3), health::get, OpsServerTest::sample,
                metrics);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void healthIsOkWhileFollowingWithinTheLagAndUnavailableOtherwise() throws Exception {
        HttpResponse<String> ok = get("/health");
        assertEquals(200, ok.statusCode());
        JsonObject body = new JsonObject(ok.body());
        assertEquals("ok", body.getString("status"));
        assertEquals(100, body.getLong("block"));
        assertEquals(102, body.getLong("head"));
        assertEquals(2, body.getLong("lag"));
        assertEquals(true, body.getBoolean("following"));
        assertEquals(1, body.getInteger("inFlight"));

        health.set(new KeeperHealth(100, 104, true, 0));
        HttpResponse<String> lagging = get("/health");
        assertEquals(503, lagging.statusCode());
        assertEquals("lagging", new JsonObject(lagging.body()).getString("status"));
        assertEquals(4, new JsonObject(lagging.body()).getLong("lag"));

        health.set(new KeeperHealth(100, 100, false, 0));
        HttpResponse<String> stopped = get("/health");
        assertEquals(503, stopped.statusCode());
        assertEquals("stopped", new JsonObject(stopped.body()).getString("status"));
    }

    @Test
    void everyFailingCheckIsAReasonAndAConditionAloneStaysHealthy() throws Exception {
        health.set(new KeeperHealth(100, 100, true, 2, java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(10), 3, 0, null, List.of("market 1: oracle answer is stale (...)")));
        HttpResponse<String> ok = get("/health");
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("market 1: oracle answer is stale (...)",
                new JsonObject(ok.body()).getJsonArray("conditions").getString(0));

        health.set(new KeeperHealth(100, 100, true, 2, java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(10), 11, 1, "native balance 5 wei is under ...", List.of()));
        HttpResponse<String> bad = get("/health");
        assertEquals(503, bad.statusCode());
        JsonObject body = new JsonObject(bad.body());
        assertEquals("stranded-transaction", body.getString("status"), "the first failing check");
        List<String> kinds = body.getJsonArray("reasons").stream()
                .map(o -> ((JsonObject) o).getString("kind")).toList();
        assertEquals(List.of("stranded-transaction", "stuck-transaction", "no-gas"), kinds);
        assertTrue(body.getJsonArray("reasons").getJsonObject(1).getString("message")
                .contains("unmined for 11 blocks (limit 10)"), body.encode());

        health.set(new KeeperHealth(100, 100, true, 0, java.time.Duration.ofSeconds(11),
                java.time.Duration.ofSeconds(10), 0, 0, null, List.of()));
        assertEquals("node-silent", new JsonObject(get("/health").body()).getString("status"));
    }

    @Test
    void metricsServeThePrometheusText() throws Exception {
        metrics.sent();
        metrics.vaultsTracked(() -> 31);
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        assertTrue(r.body().contains("isomargin_keeper_transactions_sent_total 1"), r.body());
        assertTrue(r.body().contains("isomargin_keeper_vaults_tracked 31"), r.body());
    }

    @Test
    void aClientAskingToUpgradeToHttp2GetsPlainHttp11Answers() throws Exception {
        // the JDK client's default: HTTP/2 over plain text via an h2c upgrade; the server once accepted it and then
        // answered in HTTP/1.1, so the client read the /metrics body as HTTP/2 frames ("Frame type(109)") or hung
        java.net.http.HttpClient h2 = java.net.http.HttpClient.newHttpClient();
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = h2.sendAsync(HttpRequest.newBuilder(uri("/metrics")).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.ofString()).get(20, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            assertEquals(java.net.http.HttpClient.Version.HTTP_1_1, r.version());
            assertTrue(r.body().contains("isomargin_keeper_transactions_sent_total"), r.body());
        }
    }

    @Test
    void statusIsTheJsonOfTheKeeperStatusWithExactAmounts() throws Exception {
        HttpResponse<String> r = get("/status");
        assertEquals(200, r.statusCode());
        assertEquals(sample(), new StatusJson().read(r.body()));
        JsonObject json = new JsonObject(r.body());
        assertEquals(10, json.getJsonArray("closest").size());
        // amounts are strings: exact for any uint256
        assertTrue(json.getJsonArray("pending").getJsonObject(0).getValue("maxFeePerGas") instanceof String);
        assertEquals("0x" + "12".repeat(20), json.getString("sender"));
        assertEquals(true, json.getBoolean("dryRun"));
    }

    @Test
    void unknownPathsAndMethodsGetJsonErrors() throws Exception {
        HttpResponse<String> missing = get("/vaults");
        assertEquals(404, missing.statusCode());
        assertTrue(new JsonObject(missing.body()).getString("error").contains("/health, /metrics and /status"));
        HttpResponse<String> post = Http.send(HttpRequest.newBuilder(uri("/status")).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(405, post.statusCode());
    }

    @Test
    void aFailingStatusSupplierIsA500NotAHang() throws Exception {
        OpsServer failing = OpsServer.start(vertx, new OpsServer.Options("127.0.0.1", 0, 3), health::get, () -> {
            throw new IllegalStateException("book not loaded yet");
        }, metrics);
        try {
            HttpResponse<String> r = Http.get("http://127.0.0.1:" + failing.port() + "/status");
            assertEquals(500, r.statusCode());
            assertTrue(r.body().contains("book not loaded yet"), r.body());
        } finally {
            failing.close();
        }
    }

    @Test
    void aPortInUseIsNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> OpsServer.start(vertx,
                new OpsServer.Options("127.0.0.1", server.port(), 3), health::get, OpsServerTest::sample, metrics));
        assertTrue(e.getMessage().contains("127.0.0.1:" + server.port()), e.getMessage());
    }

    @Test
    void closestKeepsTheLowestHealthsWithDebtInOrder() {
        List<VaultRisk> closest = sample().closest();
        assertEquals(10, closest.size());
        for (int i = 1; i < closest.size(); i++) {
            assertTrue(closest.get(i - 1).health().compareTo(closest.get(i).health()) <= 0);
        }
        assertTrue(closest.stream().noneMatch(v -> v.vaultId() == 99), "a vault without debt is never close");
        List<VaultRisk> all = new ArrayList<>();
        LongStream.rangeClosed(1, 30).forEach(id -> all.add(new VaultRisk(id, 1, "0x", BigInteger.valueOf(id % 13),
                BigInteger.ONE, BigInteger.ONE, false)));
        List<VaultRisk> top3 = KeeperStatus.closest(all, 3);
        assertEquals(List.of(13L, 26L, 1L), top3.stream().map(VaultRisk::vaultId).toList());
    }

    @Test
    void vaultRiskAndPendingTxAreBuiltFromTheBookAndTheSender() {
        VaultRisk v = VaultRisk.of(new VaultPosition(5, 2, "0x" + "ee".repeat(20), BigInteger.TEN, BigInteger.ONE),
                new VaultHealth(5, BigInteger.valueOf(900), BigInteger.valueOf(800), WAD.subtract(BigInteger.ONE),
                        true, BigInteger.valueOf(123)), null, BigInteger.ONE);
        assertEquals(new VaultRisk(5, 2, "0x" + "ee".repeat(20), WAD.subtract(BigInteger.ONE), BigInteger.valueOf(900),
                BigInteger.valueOf(123), true), v);
    }

    /** A 6-decimal loan token and an 18-decimal collateral: the debt and liquidation price in whole USDC, exactly. */
    @Test
    void aVaultsDebtAndLiquidationPriceReadInWholeLoanTokens() {
        KeeperStatus.MarketLabel label = new KeeperStatus.MarketLabel(2,
                new TokenMetadata("0x" + "01".repeat(20), "USDC", 6, TokenMetadata.Source.STRING),
                new TokenMetadata("0x" + "02".repeat(20), "WETH", 18, TokenMetadata.Source.STRING));
        BigInteger priceScale = BigInteger.TEN.pow(36 + 6 - 18 - 8); // an 8-decimal feed
        VaultRisk v = VaultRisk.of(new VaultPosition(5, 2, "0x" + "ee".repeat(20), BigInteger.TEN, BigInteger.ONE),
                new VaultHealth(5, BigInteger.valueOf(1_234_500_000L), BigInteger.valueOf(800), WAD, false,
                        BigInteger.valueOf(1_580_12345678L)), label, priceScale);
        assertEquals("WETH/USDC", v.marketName());
        assertEquals("USDC", v.loanSymbol());
        assertEquals("1234.5", v.debtFormatted());
        assertEquals("1580.12345678", v.liquidationPriceFormatted());
        ByteArrayOutputStream table = new ByteArrayOutputStream();
        StatusTable.print(new KeeperStatus("0x" + "12".repeat(20), false, 77, 1, List.of(
                KeeperStatus.MarketVaults.of(2, 1, 0, 0, 0, label)), List.of(v), List.of(), List.of(),
                "2025-01-31T12:00:05Z", "capital-free"), new PrintStream(table, true));
        String out = table.toString();
        assertTrue(out.contains("liquidation mode: capital-free (repays by selling the seized collateral)"), out);
        assertTrue(out.contains("at block #77 (2025-01-31 12:00:05 UTC)"), out);
        assertTrue(out.contains("market 2 WETH/USDC: 1 open"), out);
        assertTrue(out.contains("1,234.5 USDC"), out);
        assertTrue(out.contains("1,580.12345678 USDC"), out);
        KeeperStatus back = new StatusJson().read(new StatusJson().write(new KeeperStatus("0x" + "12".repeat(20),
                false, 77, 1, List.of(KeeperStatus.MarketVaults.of(2, 1, 0, 0, 0, label)), List.of(v), List.of(),
                List.of(), "2025-01-31T12:00:05Z", "funded")));
        assertEquals(v, back.closest().getFirst(), "the JSON keeps the raw and the formatted values");
        assertEquals("funded", back.liquidationMode());
    }

    @Test
    void theStatusTableShowsVaultsClosestAndPending() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StatusTable.print(sample(), new PrintStream(buf, true, StandardCharsets.UTF_8));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("tracked vaults: 31"), text);
        assertTrue(text.contains("market 1: 16 open, 2 liquidatable"), text);
        assertTrue(text.contains("closest to liquidation (10)"), text);
        assertTrue(text.contains("0.9600"), text);
        assertTrue(text.contains("LIQ"), text);
        assertTrue(text.contains("pending transactions (1)"), text);
        assertTrue(text.contains("liquidate market 1: 3 vaults") && text.contains(" 30 ") && text.contains("1.5"),
                text);
        assertTrue(text.contains("DRY RUN"), text);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return Http.get(uri(path));
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
