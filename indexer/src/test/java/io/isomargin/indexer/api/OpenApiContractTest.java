package io.isomargin.indexer.api;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.BuildInfo;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.Http;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.app.IndexerMetrics;
import io.isomargin.indexer.intake.FollowStatus;
import io.isomargin.indexer.projection.GuardWindow;
import io.isomargin.indexer.store.MirrorReader;
import io.isomargin.indexer.testing.Guards;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.Scenario;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatableResponse;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;

/**
 * The query API against its OpenAPI document ({@code /openapi.json}): the document describes exactly the routes the
 * router serves (a new endpoint without a description fails here), and every operation's real answers over a real
 * mirror, its successes with data in every shape (vaults of two markets, with and without debt, closed, liquidated,
 * guarded, topped up, with a revoked and a replaced policy; liquidations; a pending and a cancelled risk change; pages
 * followed by their cursor) and its errors (400, 404, /health 503, the keeper relay's 404 and 502), validate against
 * the document's JSON Schemas (2020-12, with vertx-openapi). A failure names the operation, the request and what the
 * validator refused. The schemas are strict: a wrong type, a missing field or an unknown one is refused.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiContractTest {
    private static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
    /** GET routes the document leaves out: the dashboard's static files and the redirects that lead there. */
    private static final Set<String> UNDOCUMENTED = Set.of("/", "/dashboard", "/dashboard/");
    private static final int KEEPER_TRACKED = 11;
    /** Validator messages that only say that something below failed. */
    private static final Pattern GENERIC = Pattern.compile("^(A subschema had errors|Instance does not match every "
            + "subschema|Items did not match schema|Property \"[^\"]*\" does not match schema)");

    private AnvilChain chain;
    private IndexerHarness indexer;
    /** The API with a keeper to relay. */
    private ApiServer api;
    /** An API whose indexer stopped following and whose keeper URL refuses connections: /health 503, relay 502. */
    private ApiServer down;
    /** An API without a keeper URL: relay 404. */
    private ApiServer bare;
    private HttpServer keeper;
    /** The document as served. */
    private JsonObject served;
    private ResponseValidator validator;
    /** Media types vertx-openapi 4.5 cannot validate (text/plain), by "operationId status": checked here instead. */
    private final Map<String, Set<String>> otherMediaTypes = new HashMap<>();

    private BigInteger wethMarket;
    private BigInteger linkMarket;
    private final List<BigInteger> weth = new ArrayList<>();
    private final List<BigInteger> link = new ArrayList<>();
    private BigInteger debtFree;
    private BigInteger closed;
    private BigInteger revoked;
    private BigInteger repayGuarded;
    private Credentials alice;

    /** Operation id to the statuses its validated answers had. */
    private final Map<String, Set<Integer>> covered = new TreeMap<>();
    private final List<String> failures = new ArrayList<>();

    @BeforeAll
    void mirrorAPopulationAndLoadTheDocument(AnvilChain chain, Deployment d, PostgresDatabase db) throws Exception {
        this.chain = chain;
        alice = chain.credentials(2);
        Credentials bob = chain.credentials(3);
        Credentials executor = chain.credentials(5);
        wethMarket = d.wethMarket();
        linkMarket = d.linkMarket();
        d.fundAndSupply(chain.credentials(1), wethMarket, units(1_000_000, 6));
        d.fundAndSupply(chain.credentials(1), linkMarket, units(100_000, 6));
        // 5 WETH at $2,000 each; debts from 10% to 79% of it, alternating owners
        long[] borrows = {1_000, 3_000, 5_000, 6_000, 7_000, 7_400, 7_900};
        for (int i = 0; i < borrows.length; i++) {
            weth.add(d.openVault(i % 2 == 0 ? alice : bob, wethMarket, units(5, 18), units(borrows[i], 6)));
        }
        debtFree = d.openVault(alice, wethMarket, units(1, 18), BigInteger.ZERO);
        closed = d.openVault(bob, wethMarket, units(1, 18), BigInteger.ZERO);
        Scenario.send(d.engineAs(bob).closeVault(closed, bob.getAddress())::send);
        for (long borrow : new long[] {300, 800, 1_000}) { // 100 LINK at $15
            link.add(d.openVault(bob, linkMarket, units(100, 18), units(borrow, 6)));
        }
        // WETH -20%: the two most indebted vaults are liquidated, the deepest with bad debt
        d.setPrice(wethMarket, Deployment.WETH_PRICE.multiply(BigInteger.valueOf(80)).divide(BigInteger.valueOf(100)));
        d.mintAndApprove(executor, d.usdc().getContractAddress(), units(100_000, 6));
        for (BigInteger v : List.of(weth.get(6), weth.get(5))) {
            Scenario.send(d.engineAs(executor).liquidate(v, MAX, BigInteger.ONE, executor.getAddress(),
                    new byte[0])::send);
        }
        // LINK: a risk change cancelled, then one waiting out the timelock
        Scenario.send(d.engine().setRiskParams(linkMarket, Scenario.pendingLinkUpdate())::send);
        Scenario.send(d.engine().cancelRiskParams(linkMarket)::send);
        Scenario.send(d.engine().setRiskParams(linkMarket, Scenario.pendingLinkUpdate())::send);
        // the margin guard: two vaults topped up (a trigger above their health), one guarded by repayment, and a policy
        // set, replaced and revoked
        long expiry = chain.latestTimestamp() + 10 * GuardWindow.DAY;
        String wethToken = d.weth().getContractAddress();
        Guards.fund(d, alice, wethToken, units(10, 18));
        Guards.fund(d, bob, wethToken, units(10, 18));
        Guards.fund(d, bob, d.usdc().getContractAddress(), units(10_000, 6));
        Guards.setPolicy(d, alice, weth.get(0), Guards.terms(Guards.DEPOSIT, 10_000, 12_000, 50, expiry,
                units(1, 18), units(3, 18)));
        Guards.topUp(d, executor, weth.get(0));
        Guards.setPolicy(d, bob, weth.get(1), Guards.terms(Guards.DEPOSIT, 10_000, 12_000, 0, expiry, units(1, 18),
                units(1, 18)));
        Guards.topUp(d, executor, weth.get(1));
        repayGuarded = weth.get(3);
        Guards.setPolicy(d, bob, repayGuarded, Guards.terms(Guards.REPAY, 1_100, 1_300, 100, expiry,
                units(1_000, 6), units(1_000, 6)));
        revoked = weth.get(2);
        Guards.setPolicy(d, alice, revoked, Guards.terms(Guards.DEPOSIT, 1_100, 1_300, 0, expiry, units(1, 18),
                units(1, 18)));
        Guards.setPolicy(d, alice, revoked, Guards.terms(Guards.DEPOSIT, 1_200, 1_400, 0, expiry, units(1, 18),
                units(1, 18)));
        Guards.revoke(d, alice, revoked);

        indexer = IndexerHarness.create(d, db).startAndCatchUp(chain);
        keeper = standInKeeper(chain);
        api = ApiServer.start(indexer.vertx, new ApiServer.Options("127.0.0.1", 0, 5,
                Optional.of("http://127.0.0.1:" + keeper.actualPort())), new MirrorReader(indexer.pool),
                indexer.runner::status, IndexerMetrics.create(indexer.runner));
        down = ApiServer.start(indexer.vertx, new ApiServer.Options("127.0.0.1", 0, 5,
                Optional.of("http://127.0.0.1:" + closedPort())), new MirrorReader(indexer.pool),
                () -> new FollowStatus(indexer.runner.indexedBlock(), indexer.runner.indexedBlock(), 0, false),
                IndexerMetrics.create(indexer.runner));
        bare = ApiServer.start(indexer.vertx, new ApiServer.Options("127.0.0.1", 0, 5), new MirrorReader(indexer.pool),
                indexer.runner::status, IndexerMetrics.create(indexer.runner));

        HttpResponse<String> doc = Http.get(url(api, "/openapi.json"));
        assertEquals(200, doc.statusCode(), doc.body());
        served = new JsonObject(doc.body());
        validator = ResponseValidator.create(indexer.vertx, await(OpenAPIContract.from(indexer.vertx,
                validatable(served))));
    }

    @AfterAll
    void stop() throws Exception {
        for (ApiServer s : new ApiServer[] {api, down, bare}) {
            if (s != null) s.close();
        }
        if (keeper != null) keeper.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        if (indexer != null) indexer.close();
    }

    @Test
    void theDocumentDescribesExactlyTheRoutesTheRouterServes() {
        List<String> routes = api.routes();
        assertTrue(routes.containsAll(UNDOCUMENTED), "the dashboard routes left out are still served: " + routes);
        Set<String> registered = routes.stream().filter(p -> !UNDOCUMENTED.contains(p))
                .map(p -> p.replaceAll(":([A-Za-z]+)", "{$1}")).collect(Collectors.toCollection(TreeSet::new));
        Set<String> documented = new TreeSet<>(served.getJsonObject("paths").fieldNames());
        assertEquals(registered, documented, "routes the router serves (left) and paths /openapi.json describes "
                + "(right): a new endpoint needs its description in indexer/src/main/resources/openapi.json");
        Set<String> ids = new TreeSet<>();
        for (String path : documented) {
            JsonObject item = served.getJsonObject("paths").getJsonObject(path);
            assertEquals(Set.of("get"), item.fieldNames(), path + ": the API is read-only");
            String id = item.getJsonObject("get").getString("operationId");
            assertNotNull(id, path + " has no operationId");
            assertTrue(ids.add(id), "operationId " + id + " twice");
        }
    }

    @Test
    void theDocumentIsServedAsJsonWithTheIndexersVersion() throws Exception {
        HttpResponse<String> r = Http.get(url(api, "/openapi.json"));
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(null));
        JsonObject doc = new JsonObject(r.body());
        assertTrue(doc.getString("openapi").startsWith("3.1."), doc.getString("openapi"));
        assertEquals(BuildInfo.version(), doc.getJsonObject("info").getString("version"));
        assertNotEquals("unknown", BuildInfo.version(), "the build fills in the version");
    }

    /** Every operation, with real data and its errors; each answer is validated against the document. */
    @Test
    void everyOperationsRealAnswersMatchTheDocument() throws Exception {
        String w = wethMarket.toString();
        String l = linkMarket.toString();
        // vaults: every filter and order, pages followed by their cursor
        JsonObject all = ok("listVaults", "/vaults?state=all");
        assertEquals(weth.size() + link.size() + 2, all.getJsonArray("items").size(), all.encode());
        ok("listVaults", "/vaults");
        assertEquals(1, ok("listVaults", "/vaults?state=closed").getJsonArray("items").size());
        ok("listVaults", "/vaults?market=" + w + "&owner=" + alice.getAddress().toUpperCase().replace("0X", "0x"));
        assertFalse(ok("listVaults", "/vaults?maxHealth=1.5&limit=1000").getJsonArray("items").isEmpty());
        pages("listVaults", "/vaults?market=" + w + "&limit=3", 3);
        pages("listVaults", "/vaults?sort=health&limit=4", 4);
        pages("listVaults", "/vaults?sort=health&maxHealth=2&limit=1", 2);
        error("listVaults", "/vaults?limit=0", 400);
        error("listVaults", "/vaults?state=gone", 400);
        error("listVaults", "/vaults?maxhealth=1", 400);
        // one vault in each state
        JsonObject topped = ok("getVault", "/vaults/" + weth.get(0));
        assertFalse(topped.getJsonObject("guard").getJsonArray("topUps").isEmpty(), topped.encode());
        assertNotNull(topped.getJsonObject("guard").getJsonObject("policy"), topped.encode());
        JsonObject history = ok("getVault", "/vaults/" + revoked);
        assertEquals(List.of("revoked", "replaced", "set"), history.getJsonObject("guard").getJsonArray("policyHistory")
                .stream().map(o -> ((JsonObject) o).getString("action")).toList(), history.encode());
        assertEquals("repay_debt", ok("getVault", "/vaults/" + repayGuarded).getJsonObject("guard")
                .getJsonObject("policy").getString("mode"));
        JsonObject free = ok("getVault", "/vaults/" + debtFree);
        assertNull(free.getValue("health"), "no debt: " + free.encode());
        assertTrue(ok("getVault", "/vaults/" + closed).getBoolean("closed"));
        ok("getVault", "/vaults/" + weth.get(6));
        ok("getVault", "/vaults/" + link.get(0));
        error("getVault", "/vaults/99999", 404);
        error("getVault", "/vaults/abc", 400);
        error("getVault", "/vaults/1?guard=1", 400);
        // markets, with and without a pending risk change
        JsonObject markets = ok("listMarkets", "/markets");
        assertTrue(markets.getJsonArray("items").size() >= 2, markets.encode());
        error("listMarkets", "/markets?limit=1", 400);
        assertNull(ok("getMarket", "/markets/" + w).getValue("pendingRiskChange"));
        assertNotNull(ok("getMarket", "/markets/" + l).getJsonObject("pendingRiskChange"));
        error("getMarket", "/markets/99999", 404);
        error("getMarket", "/markets/x", 400);
        ok("getHealthHistogram", "/markets/" + w + "/health-histogram");
        ok("getHealthHistogram", "/markets/" + l + "/health-histogram?edges=1.20,1.5,3");
        error("getHealthHistogram", "/markets/" + w + "/health-histogram?edges=2,1", 400);
        error("getHealthHistogram", "/markets/99999/health-histogram", 404);
        pages("listRiskChanges", "/markets/" + l + "/risk-changes?limit=1", 1);
        ok("listRiskChanges", "/markets/" + l + "/risk-changes?status=cancelled");
        ok("listRiskChanges", "/markets/" + w + "/risk-changes");
        error("listRiskChanges", "/markets/" + l + "/risk-changes?status=pending", 400);
        error("listRiskChanges", "/markets/99999/risk-changes", 404);
        // histories
        pages("getVaultHistory", "/vaults/" + weth.get(0) + "/history?limit=1", 1);
        ok("getVaultHistory", "/vaults/" + closed + "/history");
        error("getVaultHistory", "/vaults/99999/history", 404);
        error("getVaultHistory", "/vaults/" + closed + "/history?cursor=bm90LWEtY3Vyc29y", 400);
        pages("listPrices", "/markets/" + w + "/prices?limit=1", 1);
        error("listPrices", "/markets/99999/prices", 404);
        ok("listInsurance", "/markets/" + w + "/insurance");
        ok("listInsurance", "/markets/" + l + "/insurance?limit=1");
        error("listInsurance", "/markets/99999/insurance", 404);
        ok("listLenders", "/markets/" + w + "/lenders");
        error("listLenders", "/markets/" + w + "/lenders?cursor=x", 400);
        error("listLenders", "/markets/99999/lenders", 404);
        // events
        pages("listLiquidations", "/liquidations?limit=1", 1);
        pages("listLiquidations", "/liquidations?order=desc&market=" + w + "&limit=1", 1);
        ok("listLiquidations", "/liquidations?since=1");
        error("listLiquidations", "/liquidations?order=sideways", 400);
        error("listLiquidations", "/liquidations?cursor=bm90LWEtY3Vyc29y", 400);
        pages("listTopUps", "/guard/top-ups?limit=1", 1);
        pages("listTopUps", "/guard/top-ups?order=desc&market=" + w + "&limit=1", 1);
        assertEquals(1, ok("listTopUps", "/guard/top-ups?vault=" + weth.get(0)).getJsonArray("items").size());
        error("listTopUps", "/guard/top-ups?vault=x", 400);
        // risk
        JsonObject risk = ok("getRisk", "/risk/" + w + "?drop=20");
        assertTrue(risk.getInteger("liquidatableVaults") > 0, risk.encode());
        ok("getRisk", "/risk/" + w + "?drop=7.5");
        ok("getRisk", "/risk/" + l + "?drop=0");
        error("getRisk", "/risk/" + w, 400);
        error("getRisk", "/risk/" + w + "?drop=1.234", 400);
        error("getRisk", "/risk/99999?drop=10", 404);
        ok("getRiskCurve", "/risk/" + w + "/curve");
        ok("getRiskCurve", "/risk/" + l + "/curve?max=30&step=7.5");
        error("getRiskCurve", "/risk/" + w + "/curve?max=100&step=0.01", 400);
        error("getRiskCurve", "/risk/99999/curve", 404);
        // operations
        indexer.catchUp(chain);
        assertEquals("ok", ok("getHealth", "/health").getString("status"));
        assertEquals("stopped", call(down, "getHealth", "/health", 503).getString("status"));
        error("getHealth", "/health?verbose=1", 400);
        call(api, "getMetrics", "/metrics", 200);
        stream(api, "getEvents", "/events");
        error("getMetrics", "/metrics?x=1", 400);
        assertEquals(KEEPER_TRACKED, ok("getKeeperStatus", "/keeper/status").getInteger("trackedVaults"));
        assertFalse(call(bare, "getKeeperStatus", "/keeper/status", 404).getBoolean("configured"));
        assertTrue(call(down, "getKeeperStatus", "/keeper/status", 502).getBoolean("configured"));
        error("getKeeperStatus", "/keeper/status?x=1", 400);
        ok("getOpenApi", "/openapi.json");
        error("getOpenApi", "/openapi.json?v=2", 400);

        Set<String> operations = new TreeSet<>();
        served.getJsonObject("paths").forEach(e -> operations.add(((JsonObject) e.getValue()).getJsonObject("get")
                .getString("operationId")));
        Set<String> withData = covered.entrySet().stream().filter(e -> e.getValue().contains(200))
                .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(operations, withData, "every operation answered 200 at least once");
        System.out.println("OpenApiContractTest: " + operations.size() + " operations, statuses validated: " + covered);
        assertTrue(failures.isEmpty(), failures.size() + " answer(s) do not match /openapi.json:\n"
                + String.join("\n", failures));
    }

    /** The schemas are strict enough to matter: real answers made wrong in one place are refused. */
    @Test
    void aWrongTypeAMissingFieldOrAnUnknownOneIsRefused() throws Exception {
        JsonObject vault = new JsonObject(Http.get(url(api, "/vaults/" + weth.get(0))).body());
        assertNull(validate("getVault", 200, vault.encode()), "the real answer passes");
        assertRefused("getVault", vault, v -> v.put("debt", Long.parseLong(v.getString("debt"))), "debt as a number");
        assertRefused("getVault", vault, v -> v.put("health", "1.50"), "health with a trailing zero");
        assertRefused("getVault", vault, v -> v.put("owner", v.getString("owner").toUpperCase()), "an upper-case address");
        assertRefused("getVault", vault, v -> v.remove("guarded"), "guarded missing");
        assertRefused("getVault", vault, v -> v.put("surprise", 1), "an undocumented field");
        assertRefused("getVault", vault, v -> v.getJsonObject("guard").getJsonArray("topUps").getJsonObject(0)
                .put("amount", 1), "a top-up's amount as a number");
        assertRefused("getVault", vault, v -> v.getJsonObject("guard").getJsonObject("policy").put("mode", "other"),
                "an unknown guard mode");
        JsonObject markets = new JsonObject(Http.get(url(api, "/markets")).body());
        assertNull(validate("listMarkets", 200, markets.encode()));
        assertRefused("listMarkets", markets, m -> m.getJsonArray("items").getJsonObject(0).getJsonObject("state")
                .put("totalBorrowAssets", 5), "a market total as a number");
        assertRefused("listMarkets", markets, m -> m.getJsonArray("items").getJsonObject(0).put("asOf", null),
                "asOf inside a listed market");
        JsonObject risk = new JsonObject(Http.get(url(api, "/risk/" + wethMarket + "?drop=20")).body());
        assertNull(validate("getRisk", 200, risk.encode()));
        assertRefused("getRisk", risk, r -> r.getJsonObject("withGuards").put("savedVaults", "2"), "a count as text");
        assertNotNull(validate("getVault", 404, vault.encode()), "a vault is not an error body");
        assertNotNull(validate("getVault", 409, new JsonObject().put("error", "x").encode()),
                "a status the document does not list");
    }

    private void assertRefused(String operationId, JsonObject real, Consumer<JsonObject> change, String what) {
        JsonObject wrong = real.copy();
        change.accept(wrong);
        assertNotNull(validate(operationId, 200, wrong.encode()), what + " passed the schema of " + operationId);
    }

    /* CALLS */

    private JsonObject ok(String operationId, String path) throws Exception {
        return call(api, operationId, path, 200);
    }

    private void error(String operationId, String path, int status) throws Exception {
        JsonObject body = call(api, operationId, path, status);
        assertNotNull(body.getString("error"), body.encode());
    }

    /** Follows {@code path}'s pages to the end: at least two, each of at most {@code limit} items. */
    private void pages(String operationId, String path, int limit) throws Exception {
        int pages = 0;
        String cursor = null;
        do {
            JsonObject page = ok(operationId, path + (cursor == null ? "" : "&cursor=" + cursor));
            JsonArray items = page.getJsonArray("items");
            assertTrue(items.size() <= limit, page.encode());
            assertTrue(++pages <= 100, "pagination does not end: " + path);
            cursor = page.getString("nextCursor");
            if (cursor != null) assertFalse(items.isEmpty(), page.encode());
        } while (cursor != null);
        assertTrue(pages >= 2, path + " fits one page: the population should page");
    }

    /**
     * GETs {@code path} from {@code server}, asserts the status, and validates the answer as {@code operationId}'s
     * (a mismatch is collected, the test fails at its end with them all); returns the JSON body (empty if not JSON).
     */
    private JsonObject call(ApiServer server, String operationId, String path, int status) throws Exception {
        HttpResponse<String> r = Http.get(url(server, path));
        assertEquals(status, r.statusCode(), operationId + ": GET " + path + " -> " + r.body());
        String contentType = r.headers().firstValue("content-type").orElse(null);
        String problem;
        Set<String> other = otherMediaTypes.get(operationId + " " + status);
        if (other != null) { // described, but not a type vertx-openapi validates: the media type and a body
            String base = contentType == null ? "" : contentType.split(";")[0].strip();
            problem = !other.contains(base) ? "content-type " + contentType + ", documented " + other
                    : r.body().isEmpty() ? "an empty body" : validate(operationId, status, null);
        } else {
            problem = contentType == null ? "no content-type"
                    : validate(operationId, ValidatableResponse.create(status, headers(r), Buffer.buffer(r.body()),
                            contentType));
        }
        if (problem != null) failures.add(operationId + ": GET " + path + " -> " + status + ": " + problem);
        covered.computeIfAbsent(operationId, k -> new TreeSet<>()).add(status);
        return "application/json".equals(contentType) ? new JsonObject(r.body()) : new JsonObject();
    }

    /**
     * A stream that never ends ({@code /events}): its status, its documented media type and its first line, read
     * within 10 s; then closed.
     */
    private void stream(ApiServer server, String operationId, String path) throws Exception {
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        HttpResponse<java.io.InputStream> r = client.sendAsync(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(url(server, path))).build(), HttpResponse.BodyHandlers.ofInputStream())
                .get(10, TimeUnit.SECONDS);
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(r.body(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            assertEquals(200, r.statusCode(), operationId);
            String contentType = r.headers().firstValue("content-type").orElse("");
            Set<String> documented = otherMediaTypes.get(operationId + " 200");
            if (documented == null || !documented.contains(contentType.split(";")[0].strip())) {
                failures.add(operationId + ": GET " + path + " -> content-type " + contentType + ", documented "
                        + documented);
            }
            String first = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return lines.readLine();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).get(10, TimeUnit.SECONDS);
            assertEquals("retry: 2000", first, operationId + ": the stream's first line");
        }
        covered.computeIfAbsent(operationId, k -> new TreeSet<>()).add(200);
    }

    /** Null if the JSON {@code body} is a valid {@code status} answer of {@code operationId}, else why not. */
    private String validate(String operationId, int status, String body) {
        return validate(operationId, body == null ? ValidatableResponse.create(status)
                : ValidatableResponse.create(status, Buffer.buffer(body), "application/json"));
    }

    private String validate(String operationId, ValidatableResponse response) {
        try {
            await(validator.validate(response, operationId));
            return null;
        } catch (ExecutionException e) {
            return describe(e.getCause());
        } catch (Exception e) {
            return describe(e);
        }
    }

    private static String describe(Throwable t) {
        StringBuilder s = new StringBuilder(String.valueOf(t.getMessage()));
        if (t instanceof SchemaValidationException v && v.getOutputUnit() != null) {
            // the leaves: the lines that only say a subschema failed repeat what the leaves say
            List<OutputUnit> leaves = v.getOutputUnit().getErrors().stream().filter(u -> !GENERIC.matcher(
                    String.valueOf(u.getError())).find()).toList();
            for (OutputUnit u : leaves.subList(0, Math.min(leaves.size(), 12))) {
                s.append("\n    ").append(u.getError()).append(" at '").append(u.getInstanceLocation())
                        .append("' (").append(u.getKeywordLocation()).append(')');
            }
        }
        return s.toString();
    }

    /* SET-UP */

    /**
     * The document vertx-openapi 4.5 loads: a copy of {@code doc} without the media types it cannot validate (it
     * refuses a contract with a text/plain response), which {@link #call} checks itself.
     */
    private JsonObject validatable(JsonObject doc) {
        JsonObject copy = doc.copy();
        copy.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).forEach(op -> {
            JsonObject operation = (JsonObject) op.getValue();
            operation.getJsonObject("responses").forEach(response -> {
                JsonObject content = ((JsonObject) response.getValue()).getJsonObject("content");
                if (content == null) return;
                Set<String> other = new LinkedHashSet<>();
                for (String type : Set.copyOf(content.fieldNames())) {
                    if (!type.equals("application/json")) {
                        other.add(type);
                        content.remove(type);
                    }
                }
                if (!other.isEmpty()) {
                    otherMediaTypes.put(operation.getString("operationId") + " " + response.getKey(), other);
                    if (content.isEmpty()) ((JsonObject) response.getValue()).remove("content");
                }
            });
        }));
        return copy;
    }

    /** A stand-in for the keeper's operator endpoint (the keeper is not on the indexer's classpath). */
    private HttpServer standInKeeper(AnvilChain chain) throws Exception {
        JsonObject status = new JsonObject().put("sender", chain.credentials(5).getAddress()).put("dryRun", false)
                .put("block", indexer.runner.indexedBlock()).put("trackedVaults", KEEPER_TRACKED)
                .put("markets", new JsonArray().add(new JsonObject().put("marketId", 1).put("vaults", 8)
                        .put("liquidatable", 1)))
                .put("closest", new JsonArray()).put("pending", new JsonArray());
        return await(indexer.vertx.createHttpServer().requestHandler(req -> req.response()
                .putHeader("content-type", "application/json").end(status.encode())).listen(0, "127.0.0.1"));
    }

    /** A local port nothing listens on: a keeper there refuses the connection. */
    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Map<String, String> headers(HttpResponse<?> r) {
        Map<String, String> out = new HashMap<>();
        r.headers().map().forEach((k, v) -> out.put(k, v.getFirst()));
        return out;
    }

    private static String url(ApiServer server, String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
}
