package io.isomargin.indexer.api;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.Http;
import io.isomargin.abi.testing.OddTokens;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.app.IndexerMetrics;
import io.isomargin.indexer.store.MirrorReader;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.MirrorComparison;
import io.isomargin.indexer.testing.Scenario;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameter;

/**
 * Issue 16: what a person reads is readable. Over a real mirror of a 6-decimal loan token and 18-decimal collateral,
 * every raw amount has its exact formatted value beside it, markets are named ({@code WETH/USDC}, also when a token's
 * {@code symbol()} reverts or is a {@code bytes32}), and block numbers have the block's ISO 8601 time beside them.
 * A database written before token metadata and block times were kept migrates and becomes readable at start; a
 * node failing while a new market's tokens are read delays the mirror and never stores a wrong name.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReadableApiTest {
    private static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
    private static final String ODD = "0xabcdef00000000000000000000000000000b0b01";
    private static final String MKR = "0x00000000000000000000000000000000000a11ce";

    private AnvilChain chain;
    private Deployment d;
    private PostgresDatabase db;
    private IndexerHarness indexer;
    private ApiServer api;
    private BigInteger healthy;
    private BigInteger liquidated;
    private BigInteger oddMarket;
    private BigInteger mkrMarket;

    @BeforeAll
    void mirrorMarketsOfEveryTokenShape(AnvilChain chain, Deployment d, PostgresDatabase db) throws Exception {
        this.chain = chain;
        this.d = d;
        this.db = db;
        Credentials alice = chain.credentials(2);
        Credentials liquidator = chain.credentials(5);
        d.fundAndSupply(chain.credentials(1), d.wethMarket(), units(1_000_000, 6));
        healthy = d.openVault(alice, d.wethMarket(), units(5, 18), BigInteger.valueOf(1_234_500_000L)); // 1234.5 USDC
        liquidated = d.openVault(alice, d.wethMarket(), units(5, 18), units(7_900, 6));
        d.setPrice(d.wethMarket(), BigInteger.valueOf(1_600_00000000L)); // WETH -20%
        d.mintAndApprove(liquidator, d.usdc().getContractAddress(), units(100_000, 6));
        Scenario.send(d.engineAs(liquidator).liquidate(liquidated, MAX, BigInteger.ONE, liquidator.getAddress(),
                new byte[0])::send);
        String usdc = d.usdc().getContractAddress();
        String feed = d.wethFeed().getContractAddress();
        oddMarket = d.createMarket(Deployment.defaultParams(usdc, OddTokens.revertingSymbol(chain, ODD, 18), feed, 6,
                1_000));
        mkrMarket = d.createMarket(Deployment.defaultParams(usdc, OddTokens.bytes32Symbol(chain, MKR, "MKR", 18), feed,
                6, 1_000));
        start(IndexerHarness.Options.of(d));
    }

    @AfterAll
    void stop() {
        close();
    }

    @Test
    @Order(1)
    void marketsAreNamedByTheirTokensWhateverSymbolTheyAnswer() throws Exception {
        JsonObject weth = get("/markets/" + d.wethMarket());
        assertEquals("WETH/USDC", weth.getString("name"));
        JsonObject tokens = weth.getJsonObject("tokens");
        assertEquals(new JsonObject().put("address", d.usdc().getContractAddress().toLowerCase()).put("symbol", "USDC")
                .put("decimals", 6).put("symbolSource", "string"), tokens.getJsonObject("loan"));
        assertEquals(18, tokens.getJsonObject("collateral").getInteger("decimals"));
        assertEquals("1600", weth.getJsonObject("price").getString("answerFormatted"), "$ per WETH");
        assertEquals("0xabcd...0b01/USDC", get("/markets/" + oddMarket).getString("name"), "symbol() reverts");
        assertEquals("address", get("/markets/" + oddMarket).getJsonObject("tokens").getJsonObject("collateral")
                .getString("symbolSource"));
        assertEquals("MKR/USDC", get("/markets/" + mkrMarket).getString("name"), "a bytes32 symbol");
        assertEquals("bytes32", get("/markets/" + mkrMarket).getJsonObject("tokens").getJsonObject("collateral")
                .getString("symbolSource"));
        assertEquals("10", weth.getJsonObject("liquidation").getString("minDebtFormatted"), "10 USDC minimum debt");
    }

    @Test
    @Order(2)
    void everyRawAmountHasItsExactFormattedValueBesideIt() throws Exception {
        JsonObject v = get("/vaults/" + healthy);
        assertEquals("WETH/USDC", v.getString("marketName"));
        assertEquals("5000000000000000000", v.getString("collateral"), "the raw value is unchanged");
        assertEquals("5", v.getString("collateralFormatted"));
        assertEquals("8000", v.getString("collateralValueFormatted"), "5 WETH at $1,600");
        assertTrue(v.getString("debtFormatted").startsWith("1234.5"), v.encode()); // plus a few seconds' interest
        assertExact(v, "debt", 6);
        assertExact(v, "collateralValue", 6);
        JsonArray liquidations = get("/liquidations").getJsonArray("items");
        assertEquals(1, liquidations.size(), liquidations.encode());
        JsonObject l = liquidations.getJsonObject(0);
        assertEquals("WETH/USDC", l.getString("marketName"));
        for (String f : List.of("repaidAssets", "protocolFee", "badDebt", "coveredByInsurance", "socialized")) {
            assertExact(l, f, 6);
        }
        for (String f : List.of("seizedCollateral", "collateralAfter")) assertExact(l, f, 18);
        assertEquals(new BigDecimal(l.getString("repaidAssets")).movePointLeft(6).stripTrailingZeros().toPlainString(),
                l.getString("repaidAssetsFormatted"));
    }

    @Test
    @Order(3)
    void blockNumbersHaveTheirBlocksTimeInIso8601() throws Exception {
        JsonObject l = get("/liquidations").getJsonArray("items").getJsonObject(0);
        assertEquals(iso(l.getLong("block")), l.getString("time"));
        for (Object o : get("/vaults/" + liquidated + "/history").getJsonArray("items")) {
            JsonObject e = (JsonObject) o;
            assertEquals(iso(e.getLong("block")), e.getString("time"), e.encode());
        }
        for (Object o : get("/markets/" + d.wethMarket() + "/prices").getJsonArray("items")) {
            JsonObject p = (JsonObject) o;
            assertEquals(iso(p.getLong("block")), p.getString("time"), p.encode());
            assertEquals(Instant.ofEpochSecond(p.getLong("updatedAt")).toString(), p.getString("updatedAtTime"));
        }
        JsonObject v = get("/vaults/" + healthy);
        assertEquals(iso(v.getLong("openedBlock")), v.getString("openedTime"));
        JsonObject asOf = v.getJsonObject("asOf");
        assertEquals(iso(asOf.getLong("block")), asOf.getString("time"));
        JsonObject m = get("/markets/" + d.wethMarket());
        assertEquals(iso(m.getLong("createdBlock")), m.getString("createdTime"));
        assertEquals(iso(m.getJsonObject("state").getLong("updatedBlock")),
                m.getJsonObject("state").getString("updatedTime"));
    }

    /**
     * A database as an indexer from before V6 left it (no tokens, no block times, no armed positions) migrates: the next start reads the
     * mirrored markets' tokens and the mirrored blocks' times, and every answer is readable; the mirror still equals
     * the chain.
     */
    @Test
    @Order(4)
    void aDatabaseFromBeforeReadableDataMigratesAtStart() throws Exception {
        close();
        try (Connection c = db.connect()) {
            // V6 and what came after it undone: Flyway applies migrations in order only
            c.createStatement().execute("DROP TABLE tokens; DROP TABLE block_times;"
                    + " ALTER TABLE guard_policies DROP COLUMN armed_collateral, DROP COLUMN armed_debt_shares;"
                    + " ALTER TABLE guard_policy_history DROP COLUMN armed_collateral,"
                    + " DROP COLUMN armed_debt_shares;"
                    + " ALTER TABLE vaults RESET (fillfactor);"
                    + " DELETE FROM flyway_schema_history WHERE version IN ('6', '7', '8')");
        }
        start(IndexerHarness.Options.of(d));
        try (Connection c = db.connect(); ResultSet r = c.createStatement().executeQuery(
                "SELECT count(*) FROM tokens")) {
            r.next();
            assertEquals(5, r.getInt(1), "USDC, WETH, LINK, the odd token and MKR");
        }
        assertEquals("MKR/USDC", get("/markets/" + mkrMarket).getString("name"));
        JsonObject l = get("/liquidations").getJsonArray("items").getJsonObject(0);
        assertEquals(iso(l.getLong("block")), l.getString("time"));
        assertExact(l, "repaidAssets", 6);
        for (Object o : get("/vaults/" + liquidated + "/history").getJsonArray("items")) {
            JsonObject e = (JsonObject) o;
            assertEquals(iso(e.getLong("block")), e.getString("time"), e.encode());
        }
        assertEquals(List.of(), MirrorComparison.differences(d, db, List.of()));
    }

    /** The node failing while a new market's tokens are read: the market waits, and is named right once it answers. */
    @Test
    @Order(5)
    void aNodeFailingWhileTokensAreReadDelaysTheMarketButNeverNamesItWrong() throws Exception {
        close();
        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl())) {
            start(IndexerHarness.Options.of(d).withRpcUrl(proxy.url()));
            proxy.inject("eth_call", FaultProxy.Fault.httpStatus(503), -1);
            Deployment.Market late = d.createMarket(6, 8, 8, BigInteger.valueOf(65_000_00000000L));
            long created = chain.blockNumber();
            Thread.sleep(1_500); // the runner retries meanwhile, from the cursor
            assertTrue(indexer.runner.indexedBlock() < created, "nothing past the market is committed without names");
            assertTrue(indexer.runner.following(), "a transient failure: still following");
            proxy.clearFaults();
            indexer.catchUp(chain);
            JsonObject m = get("/markets/" + late.id());
            assertEquals("C8/L6", m.getString("name"));
            assertEquals("65000", m.getJsonObject("price").getString("answerFormatted"));
        }
    }

    /* HELPERS */

    private void start(IndexerHarness.Options o) {
        indexer = IndexerHarness.create(d, db, IndexerHarness.meta(d), o).startAndCatchUp(chain);
        api = ApiServer.start(indexer.vertx, new ApiServer.Options("127.0.0.1", 0, 5), new MirrorReader(indexer.pool),
                indexer.runner::status, IndexerMetrics.create(indexer.runner));
    }

    private void close() {
        if (api != null) api.close();
        if (indexer != null) indexer.close();
        api = null;
        indexer = null;
    }

    private JsonObject get(String path) throws Exception {
        HttpResponse<String> r = Http.get("http://127.0.0.1:" + api.port() + path);
        assertEquals(200, r.statusCode(), path + " -> " + r.body());
        return new JsonObject(r.body());
    }

    /** {@code field}'s formatted value is its raw value moved by {@code decimals}, exactly. */
    private static void assertExact(JsonObject o, String field, int decimals) {
        String raw = o.getString(field);
        String formatted = o.getString(field + "Formatted");
        assertNotNull(formatted, field + " has no formatted value: " + o.encode());
        assertEquals(new BigInteger(raw), new BigDecimal(formatted).movePointRight(decimals).toBigIntegerExact(),
                field + ": " + formatted + " is not " + raw + " / 10^" + decimals);
        assertFalse(formatted.contains("E") || formatted.endsWith(".") || formatted.matches(".*\\.[0-9]*0$"),
                field + ": " + formatted);
    }

    private String iso(long block) throws Exception {
        return Instant.ofEpochSecond(chain.web3j().ethGetBlockByNumber(DefaultBlockParameter.valueOf(
                BigInteger.valueOf(block)), false).send().getBlock().getTimestamp().longValueExact()).toString();
    }
}
