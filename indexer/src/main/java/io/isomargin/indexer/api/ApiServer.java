package io.isomargin.indexer.api;

import io.isomargin.abi.BuildInfo;
import io.isomargin.abi.math.TierState;
import io.isomargin.indexer.intake.FollowStatus;
import io.isomargin.indexer.projection.GuardPolicyRow;
import io.isomargin.indexer.projection.GuardWindow;
import io.isomargin.indexer.projection.MarketRow;
import io.isomargin.indexer.projection.MirrorChanges;
import io.isomargin.indexer.projection.MirrorChanges.LiquidationRow;
import io.isomargin.indexer.projection.MirrorChanges.PriceRow;
import io.isomargin.indexer.projection.RiskChangeRow;
import io.isomargin.indexer.projection.TopUpRow;
import io.isomargin.indexer.projection.VaultRow;
import io.isomargin.indexer.store.MirrorReader;
import io.isomargin.indexer.store.MirrorReader.AsOf;
import io.isomargin.indexer.store.MirrorReader.VaultFilter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.pgclient.PgException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The indexer's HTTP query API (JSON over the mirror): {@code /vaults}, {@code /vaults/{id}}, {@code /markets},
 * {@code /markets/{id}}, {@code /markets/{id}/health-histogram}, {@code /markets/{id}/risk-changes},
 * {@code /liquidations}, {@code /guard/top-ups}, {@code /risk/{market}},
 * {@code /risk/{market}/curve}, {@code /health}, {@code /metrics}, {@code /keeper/status} (relayed,
 * {@link KeeperStatusProxy}), {@code /openapi.json} (this API's OpenAPI 3.1 document, {@link #openApi()}), and the
 * dashboard's static files at {@code /dashboard/} ({@code /} leads there). The endpoints and their parameters are
 * documented in docs/architecture.md ("Query API", "Dashboard") and, with the exact shape of every answer, in
 * {@code openapi.json} ({@code OpenApiContractTest} checks the real answers against it).
 *
 * <p>Health, debt and liquidation prices are computed on each request with the engine's exact math
 * ({@link MarketSnapshot}) at the mirror's block: interest accrued and margins ramped to that block's time, priced
 * at the latest mirrored oracle answer. Margin-guard figures (a policy's rolling cap, what guards would save in
 * {@code /risk}) are taken at that block's time too. Each answer reads one consistent snapshot of the mirror
 * ({@link MirrorReader#read}). Lists page by an opaque {@code cursor} ({@code nextCursor} of the previous page).
 * Bad parameters get a 400 whose JSON names the parameter; unknown ids a 404.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    /** {@code /vaults/{id}} lists at most this many of the vault's latest top-ups and policy changes. */
    static final int VAULT_GUARD_ROWS = 20;
    /** With {@code maxHealth}, one page examines at most this many vaults (it then returns a cursor to go on). */
    static final int MAX_SCAN = 10_000;
    private static final int SCAN_CHUNK = 1_000;
    /** {@code /risk/{market}/curve} answers at most this many drops. */
    static final int MAX_CURVE_POINTS = 201;

    /** One failed health check: {@code kind} is stable for alerts, {@code message} says what is wrong. */
    public record Reason(String kind, String message) {}

    /**
     * @param host             the interface to listen on
     * @param port             the port (0: any free port, see {@link #port()})
     * @param maxHealthyLag    {@code /health} answers 503 when following more than this many blocks behind
     * @param keeperUrl        the keeper's operator endpoint whose {@code /status} {@code /keeper/status} relays, if
     *                         any
     * @param maxStalledBlocks {@code /health} answers 503 when no batch was committed for more than this many block
     *                         times while the head moved
     * @param maxSilentBlocks  {@code /health} answers 503 when no endpoint answered a head poll for more than this
     *                         many block times
     */
    public record Options(String host, int port, long maxHealthyLag, Optional<String> keeperUrl,
            long maxStalledBlocks, long maxSilentBlocks, List<String> corsOrigins) {
        /** {@code api.max-stalled-blocks} and {@code api.max-silent-blocks} when not set. */
        public static final int DEFAULT_MAX_STALLED_BLOCKS = 10;
        public static final int DEFAULT_MAX_SILENT_BLOCKS = 10;

        public Options {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(keeperUrl, "keeperUrl");
            if (maxStalledBlocks < 1 || maxSilentBlocks < 1) {
                throw new IllegalArgumentException("maxStalledBlocks and maxSilentBlocks must be at least 1");
            }
            corsOrigins = List.copyOf(corsOrigins);
        }

        /** Without CORS headers. */
        public Options(String host, int port, long maxHealthyLag, Optional<String> keeperUrl, long maxStalledBlocks,
                long maxSilentBlocks) {
            this(host, port, maxHealthyLag, keeperUrl, maxStalledBlocks, maxSilentBlocks, List.of());
        }

        /** With the default stall and silence limits. */
        public Options(String host, int port, long maxHealthyLag, Optional<String> keeperUrl) {
            this(host, port, maxHealthyLag, keeperUrl, DEFAULT_MAX_STALLED_BLOCKS, DEFAULT_MAX_SILENT_BLOCKS);
        }

        /** Without a keeper: {@code /keeper/status} answers 404. */
        public Options(String host, int port, long maxHealthyLag) {
            this(host, port, maxHealthyLag, Optional.empty());
        }
    }

    private final MirrorReader reader;
    private final Supplier<FollowStatus> status;
    private final PrometheusMeterRegistry metrics;
    private final Options options;
    private final KeeperStatusProxy keeper;
    private final String openApi = openApi().encode();
    private Router router;
    private HttpServer server;
    private EventStream events;

    private ApiServer(MirrorReader reader, Supplier<FollowStatus> status, PrometheusMeterRegistry metrics, Options options,
            KeeperStatusProxy keeper) {
        this.reader = reader;
        this.status = status;
        this.metrics = metrics;
        this.options = options;
        this.keeper = keeper;
    }

    /**
     * Starts listening; returns once the port is bound.
     *
     * @throws IllegalStateException naming the address when it cannot listen (port in use, bad host)
     */
    public static ApiServer start(Vertx vertx, Options options, MirrorReader reader, Supplier<FollowStatus> status,
            PrometheusMeterRegistry metrics) {
        ApiServer api = new ApiServer(Objects.requireNonNull(reader, "reader"), Objects.requireNonNull(status,
                "status"), Objects.requireNonNull(metrics, "metrics"), options,
                new KeeperStatusProxy(vertx, options.keeperUrl(), KeeperStatusProxy.TIMEOUT));
        Router router = api.router(vertx);
        api.router = router;
        try {
            // HTTP/1.1 only: a JDK client's h2c upgrade was answered with HTTP/1.1 bytes it then read as HTTP/2
            // frames (a /metrics body as "Frame type(109)"), which hung or failed the request
            api.server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
                    .requestHandler(router).listen(options.port(), options.host())
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding the API to " + options.host() + ":"
                    + options.port(), e);
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("cannot listen on " + options.host() + ":" + options.port() + ": "
                    + cause.getMessage(), cause);
        }
        log.info("query API listening on http://{}:{}", options.host(), api.port());
        return api;
    }

    /** The bound port. */
    public int port() {
        return server.actualPort();
    }

    /**
     * The paths of the GET routes the router serves, as registered ({@code /vaults/:id}; a prefix route such as the
     * dashboard's files as its prefix, {@code /dashboard/}), each once.
     */
    public List<String> routes() {
        return router.getRoutes().stream().filter(r -> r.getPath() != null && r.methods() != null
                && r.methods().contains(HttpMethod.GET)).map(Route::getPath).distinct().toList();
    }

    /**
     * The API's OpenAPI 3.1 document ({@code indexer/src/main/resources/openapi.json}) with {@code info.version} the
     * indexer's version, as {@code /openapi.json} serves it.
     */
    public static JsonObject openApi() {
        try (InputStream in = ApiServer.class.getResourceAsStream("/openapi.json")) {
            if (in == null) throw new IllegalStateException("openapi.json is not on the classpath");
            JsonObject doc = new JsonObject(Buffer.buffer(in.readAllBytes()));
            doc.getJsonObject("info").put("version", BuildInfo.version());
            return doc;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read openapi.json", e);
        }
    }

    @Override
    public void close() {
        if (events != null) events.close();
        keeper.close();
        if (server != null) {
            server.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS)
                    .exceptionally(t -> null).join();
        }
    }

    /** The {@code /events} stream: add it to the runner ({@code addCommitListener}) so it sees the commits. */
    public EventStream events() {
        return events;
    }

    private Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        router.route().handler(this::timed);
        events = new EventStream(vertx, reader);
        router.get("/events").handler(events::handle); // long-lived: not timed, not in the request metrics
        if (!options.corsOrigins().isEmpty()) {
            // a front end served from another origin may read the API (GET only: it has nothing else)
            CorsHandler cors = CorsHandler.create().allowedMethods(Set.of(HttpMethod.GET, HttpMethod.OPTIONS))
                    .maxAgeSeconds(600);
            if (!options.corsOrigins().equals(List.of("*"))) cors.addOrigins(options.corsOrigins());
            router.route().handler(cors);
        }
        get(router, "/vaults", "vaults", this::vaults);
        get(router, "/vaults/:id", "vault", this::vault);
        get(router, "/markets", "markets", this::markets);
        get(router, "/markets/:id", "market", this::market);
        get(router, "/markets/:id/health-histogram", "health-histogram", this::healthHistogram);
        get(router, "/markets/:id/risk-changes", "risk-changes", this::riskChanges);
        get(router, "/liquidations", "liquidations", this::liquidations);
        get(router, "/vaults/:id/history", "vault-history", this::vaultHistory);
        get(router, "/markets/:id/prices", "prices", this::prices);
        get(router, "/markets/:id/insurance", "insurance", this::insurance);
        get(router, "/markets/:id/lenders", "lenders", this::lenders);
        get(router, "/guard/top-ups", "guard-top-ups", this::topUps);
        get(router, "/risk/:market", "risk", this::risk);
        get(router, "/risk/:market/curve", "risk-curve", this::riskCurve);
        get(router, "/health", "health", this::health);
        get(router, "/metrics", "metrics", this::metrics);
        get(router, "/keeper/status", "keeper-status", keeper::relay);
        get(router, "/openapi.json", "openapi", ctx -> {
            new RequestParams(ctx).only();
            ctx.response().putHeader("content-type", "application/json").end(openApi);
        });
        // the dashboard: static files from the classpath (indexer/src/main/resources/dashboard), no build step
        get(router, "/", "dashboard", ctx -> redirect(ctx, "/dashboard/"));
        get(router, "/dashboard", "dashboard", ctx -> { // the route also matches /dashboard/
            if (ctx.request().path().endsWith("/")) ctx.next();
            else redirect(ctx, "/dashboard/");
        });
        router.get("/dashboard/*").handler(ctx -> {
            ctx.put("route", "dashboard");
            ctx.next();
        }).handler(StaticHandler.create("dashboard").setCachingEnabled(false).setDirectoryListing(false)
                .setIndexPage("index.html"));
        router.route().failureHandler(this::failure);
        router.errorHandler(404, ctx -> error(ctx, 404, null, "no such endpoint: " + ctx.request().method() + " "
                + ctx.request().path() + " (see the README's Query API)"));
        router.errorHandler(405, ctx -> error(ctx, 405, null, "method " + ctx.request().method()
                + " not allowed: the API is read-only (GET)"));
        return router;
    }

    private static void get(Router router, String path, String name, Handler<RoutingContext> handler) {
        router.get(path).handler(ctx -> {
            ctx.put("route", name);
            handler.handle(ctx);
        });
    }

    private static void redirect(RoutingContext ctx, String to) {
        ctx.response().setStatusCode(302).putHeader("location", to).end();
    }

    private void timed(RoutingContext ctx) {
        if ("/events".equals(ctx.normalizedPath())) {
            ctx.next(); // a stream open for hours is no request duration
            return;
        }
        long start = System.nanoTime();
        ctx.addBodyEndHandler(v -> Timer.builder("isomargin.indexer.http.requests")
                .description("Query API requests by route and status")
                .tag("route", ctx.get("route", "unmatched"))
                .tag("status", Integer.toString(ctx.response().getStatusCode()))
                .register(metrics).record(System.nanoTime() - start, TimeUnit.NANOSECONDS));
        ctx.next();
    }

    /* ENDPOINTS */

    private void vaults(RoutingContext ctx) {
        RequestParams p = new RequestParams(ctx).only("market", "owner", "maxHealth", "state", "sort", "limit",
                "cursor");
        Long market = p.optionalId("market");
        String owner = p.optionalAddress("owner");
        BigDecimal maxHealth = p.optionalDecimal("maxHealth", BigDecimal.ZERO, new BigDecimal("1e40"));
        String state = p.choice("state", List.of("open", "closed", "all"), "open");
        boolean byHealth = p.choice("sort", List.of("id", "health"), "id").equals("health");
        int limit = p.limit();
        VaultFilter filter = new VaultFilter(market, owner, state.equals("all") ? null : state.equals("closed"));
        BigInteger maxHealthWad = maxHealth == null ? null : RequestParams.wad(maxHealth);
        if (byHealth) {
            HealthOrder.Position after = p.healthCursor();
            respond(ctx, read((snap, labels) -> snap.asOf().compose(asOf -> snapshots(snap, asOf.orElse(null))
                    .compose(markets -> allVaults(snap, filter, -1, new ArrayList<>()).compose(rows -> {
                        HealthOrder.Page page = HealthOrder.page(rows, v -> valuation(markets.get(v.marketId()), v),
                                maxHealthWad, after, limit);
                        JsonArray items = new JsonArray();
                        for (HealthOrder.Entry e : page.items()) {
                            items.add(JsonViews.vault(e.vault(), e.valuation(),
                                    debt(markets.get(e.vault().marketId()), e.vault()),
                                    labels.of(e.vault().marketId())));
                        }
                        return markGuarded(snap, items, now(asOf)).map(marked -> new JsonObject()
                                .put("asOf", asOf.map(JsonViews::asOf).orElse(null))
                                .put("items", items)
                                .put("nextCursor", page.next() == null ? null : RequestParams.encodeHealthCursor(
                                        page.next())));
                    })))));
            return;
        }
        long[] cursor = p.cursor("v", 1);
        long afterId = cursor == null ? -1 : cursor[0];
        respond(ctx, read((snap, labels) -> snap.asOf().compose(asOf -> snapshots(snap, asOf.orElse(null))
                .compose(markets -> {
                    VaultPage page = new VaultPage(markets, labels, maxHealthWad, limit);
                    return scan(snap, filter, afterId, page).compose(done -> markGuarded(snap, page.items, now(asOf)))
                            .map(marked -> new JsonObject()
                            .put("asOf", asOf.map(JsonViews::asOf).orElse(null))
                            .put("items", page.items)
                            .put("nextCursor", page.next < 0 ? null : RequestParams.encodeCursor("v", page.next)));
                }))));
    }

    /** Every vault matching {@code filter} with an id above {@code afterId}, read in chunks. */
    private static Future<List<VaultRow>> allVaults(MirrorReader.Snapshot snap, VaultFilter filter, long afterId,
            List<VaultRow> into) {
        return snap.vaults(filter, afterId, SCAN_CHUNK).compose(rows -> {
            into.addAll(rows);
            return rows.size() < SCAN_CHUNK ? Future.succeededFuture(into)
                    : allVaults(snap, filter, rows.getLast().vaultId(), into);
        });
    }

    /** Accumulates one page of {@code /vaults}: matching vaults until the limit, or the scan budget runs out. */
    private static final class VaultPage {
        final Map<Long, MarketSnapshot> markets;
        final Labels labels;
        final BigInteger maxHealthWad;
        final int limit;
        final JsonArray items = new JsonArray();
        int scanned;
        long next = -1;

        VaultPage(Map<Long, MarketSnapshot> markets, Labels labels, BigInteger maxHealthWad, int limit) {
            this.markets = markets;
            this.labels = labels;
            this.maxHealthWad = maxHealthWad;
            this.limit = limit;
        }
    }

    /**
     * Examines vaults after {@code afterId} in id order, adding the matching ones, until the page is full, the scan
     * budget is spent (with {@code maxHealth}) or the table ends. {@code page.next} is the last vault examined when
     * more may follow.
     */
    private Future<Void> scan(MirrorReader.Snapshot snap, VaultFilter filter, long afterId, VaultPage page) {
        int chunk = page.maxHealthWad == null ? page.limit + 1 : SCAN_CHUNK;
        return snap.vaults(filter, afterId, chunk).compose(rows -> {
            boolean tableEnds = rows.size() < chunk;
            for (int i = 0; i < rows.size(); i++) {
                VaultRow v = rows.get(i);
                boolean moreAfter = i < rows.size() - 1 || !tableEnds;
                page.scanned++;
                MarketSnapshot m = page.markets.get(v.marketId());
                MarketSnapshot.Valuation val = valuation(m, v);
                boolean matches = page.maxHealthWad == null
                        || (val != null && val.health().compareTo(page.maxHealthWad) <= 0);
                if (matches) page.items.add(JsonViews.vault(v, val, debt(m, v), page.labels.of(v.marketId())));
                if (page.items.size() == page.limit || page.scanned >= MAX_SCAN) {
                    page.next = moreAfter ? v.vaultId() : -1;
                    return Future.succeededFuture();
                }
            }
            return tableEnds ? Future.succeededFuture() : scan(snap, filter, rows.getLast().vaultId(), page);
        });
    }

    /**
     * Sets {@code guarded} on each vault of {@code items}: whether a guard policy defends it at {@code now} (active,
     * not expired, the vault still its owner's, and armed: no riskier than the position the policy defends).
     */
    private static Future<Void> markGuarded(MirrorReader.Snapshot snap, JsonArray items, long now) {
        List<Long> ids = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) ids.add(items.getJsonObject(i).getLong("id"));
        return snap.activePolicies(ids).map(policies -> {
            for (int i = 0; i < items.size(); i++) {
                JsonObject v = items.getJsonObject(i);
                GuardPolicyRow p = policies.get(v.getLong("id"));
                v.put("guarded", p != null && p.defends(now, v.getString("owner"),
                        new BigInteger(v.getString("collateral")), new BigInteger(v.getString("debtShares"))));
            }
            return null;
        });
    }

    /**
     * One vault, with {@code guarded} and {@code guard}: its active policy with its rolling cap at the mirror's time
     * (or null), its latest top-ups and policy changes (newest first) and how many top-ups it had.
     */
    private void vault(RoutingContext ctx) {
        long id = new RequestParams(ctx).only().pathId("id");
        respond(ctx, read((snap, labels) -> snap.asOf().compose(asOf -> snap.vault(id).compose(v -> {
            if (v.isEmpty()) return Future.failedFuture(ApiError.notFound("vault " + id + " not found"));
            VaultRow vault = v.get();
            long now = now(asOf);
            return snapshots(snap, asOf.orElse(null)).compose(markets -> snap.policy(id)
                    .compose(policy -> snap.guardUsage(List.of(id), now)
                    .compose(usage -> snap.topUps(id, null, 0, Long.MAX_VALUE, Integer.MAX_VALUE, VAULT_GUARD_ROWS,
                            true)
                    .compose(topUps -> snap.topUpCount(id)
                    .compose(count -> snap.policyHistory(id, VAULT_GUARD_ROWS).map(history -> {
                        MarketSnapshot m = markets.get(vault.marketId());
                        MarketLabel u = labels.of(vault.marketId());
                        GuardPolicyRow active = policy.filter(GuardPolicyRow::active).orElse(null);
                        JsonObject guard = new JsonObject()
                                .put("policy", active == null || m == null ? null : JsonViews.policy(active,
                                        usage.getOrDefault(id, GuardWindow.Usage.NONE), now,
                                        JsonViews.token(m.market(), active.mode()), vault, u))
                                .put("topUpCount", count)
                                .put("topUps", new JsonArray(topUps.stream().map(t -> JsonViews.topUp(t, u)).toList()))
                                .put("policyHistory", new JsonArray(history.stream()
                                        .map(c -> JsonViews.policyChange(c, u)).toList()));
                        return JsonViews.vault(vault, valuation(m, vault), debt(m, vault), u)
                                .put("guarded", active != null && active.defends(now, vault.owner(),
                                        vault.collateral(), vault.debtShares()))
                                .put("guard", guard)
                                .put("asOf", asOf.map(JsonViews::asOf).orElse(null));
                    }))))));
        }))));
    }

    /** The margin guard's top-ups, in chain order or newest first, optionally of one vault or market. */
    private void topUps(RoutingContext ctx) {
        RequestParams p = new RequestParams(ctx).only("vault", "market", "since", "order", "limit", "cursor");
        Long vault = p.optionalId("vault");
        Long market = p.optionalId("market");
        Long since = p.optionalId("since");
        boolean newestFirst = p.choice("order", List.of("asc", "desc"), "asc").equals("desc");
        int limit = p.limit();
        long[] cursor = p.cursor("g", 2);
        long afterBlock = cursor != null ? cursor[0] : newestFirst ? Long.MAX_VALUE : -1;
        int afterLog = cursor != null ? (int) Math.min(cursor[1], Integer.MAX_VALUE)
                : newestFirst ? Integer.MAX_VALUE : -1;
        respond(ctx, read((snap, labels) -> snap.topUps(vault, market, since == null ? 0 : since, afterBlock, afterLog,
                limit + 1, newestFirst).map(rows -> {
                    JsonArray items = new JsonArray();
                    rows.stream().limit(limit).forEach(t -> items.add(JsonViews.topUp(t, labels.of(t.marketId()))));
                    TopUpRow last = rows.size() > limit ? rows.get(limit - 1) : null;
                    return new JsonObject().put("items", items).put("nextCursor", last == null ? null
                            : RequestParams.encodeCursor("g", last.at().blockNumber(), last.at().logIndex()));
                })));
    }

    private void markets(RoutingContext ctx) {
        new RequestParams(ctx).only();
        respond(ctx, read((snap, labels) -> snap.asOf().compose(asOf -> snapshots(snap, asOf.orElse(null))
                .compose(markets -> snap.openVaultCounts().compose(counts -> snap.pendingRiskChanges().map(pending -> {
                    JsonArray items = new JsonArray();
                    markets.values().stream().sorted((a, b) -> Long.compare(a.market().marketId(),
                            b.market().marketId())).forEach(m -> items.add(JsonViews.market(m,
                                    counts.getOrDefault(m.market().marketId(), 0L),
                                    pending.get(m.market().marketId()), labels.of(m.market().marketId()))));
                    return new JsonObject().put("asOf", asOf.map(JsonViews::asOf).orElse(null)).put("items", items);
                }))))));
    }

    private void market(RoutingContext ctx) {
        long id = new RequestParams(ctx).only().pathId("id");
        respond(ctx, read((snap, labels) -> snap.asOf().compose(asOf -> snapshots(snap, asOf.orElse(null))
                .compose(markets -> {
                    MarketSnapshot m = markets.get(id);
                    if (m == null) return Future.failedFuture(ApiError.notFound("market " + id + " not found"));
                    return snap.openVaultCounts().compose(counts -> snap.pendingRiskChanges().map(pending ->
                            JsonViews.market(m, counts.getOrDefault(id, 0L), pending.get(id), labels.of(id))
                                    .put("asOf", asOf.map(JsonViews::asOf).orElse(null))));
                }))));
    }

    /** A market's risk-parameter changes, newest first: proposals and what became of them, and immediate changes. */
    private void riskChanges(RoutingContext ctx) {
        RequestParams p = new RequestParams(ctx).only("status", "limit", "cursor");
        long id = p.pathId("id");
        String status = p.choice("status", java.util.Arrays.stream(RiskChangeRow.Status.values())
                .map(RiskChangeRow.Status::column).toList(), null);
        int limit = p.limit();
        long[] cursor = p.cursor("r", 2);
        long beforeBlock = cursor != null ? cursor[0] : Long.MAX_VALUE;
        int beforeLog = cursor != null ? (int) Math.min(cursor[1], Integer.MAX_VALUE) : Integer.MAX_VALUE;
        respond(ctx, read((snap, labels) -> snap.market(id).compose(market -> {
            if (market.isEmpty()) return Future.failedFuture(ApiError.notFound("market " + id + " not found"));
            return snap.riskChanges(id, status == null ? null : RiskChangeRow.Status.of(status), beforeBlock,
                    beforeLog, limit + 1).map(rows -> {
                        JsonArray items = new JsonArray();
                        rows.stream().limit(limit).forEach(r -> items.add(JsonViews.riskChange(r, labels.of(id))));
                        RiskChangeRow last = rows.size() > limit ? rows.get(limit - 1) : null;
                        return new JsonObject().put("market", id).put("marketName", labels.of(id).name())
                                .put("items", items).put("nextCursor", last == null
                                ? null : RequestParams.encodeCursor("r", last.proposedBlock(),
                                        last.proposedLogIndex()));
                    });
        })));
    }

    private void vaultHistory(RoutingContext ctx) {
        RequestParams p = new RequestParams(ctx).only("limit", "cursor");
        long id = p.pathId("id");
        int limit = p.limit();
        long[] cursor = p.cursor("h", 2);
        long beforeBlock = cursor != null ? cursor[0] : Long.MAX_VALUE;
        int beforeLog = cursor != null ? (int) Math.min(cursor[1], Integer.MAX_VALUE) : Integer.MAX_VALUE;
        respond(ctx, read((snap, labels) -> snap.vault(id).compose(vault -> {
            if (vault.isEmpty()) return Future.failedFuture(ApiError.notFound("vault " + id + " not found"));
            return snap.vaultHistory(id, beforeBlock, beforeLog, limit + 1).map(rows -> {
                JsonArray items = new JsonArray();
                MarketLabel u = labels.of(vault.get().marketId());
                rows.stream().limit(limit).forEach(e -> items.add(JsonViews.vaultEvent(e, u)));
                MirrorReader.VaultEvent last = rows.size() > limit ? rows.get(limit - 1) : null;
                return new JsonObject().put("vault", id).put("items", items).put("nextCursor", last == null ? null
                        : RequestParams.encodeCursor("h", last.at().blockNumber(), last.at().logIndex()));
            });
        })));
    }

    private void prices(RoutingContext ctx) {
        RequestParams p = new RequestParams(ctx).only("limit", "cursor");
        long id = p.pathId("id");
        int limit = p.limit();
        long[] cursor = p.cursor("p", 2);
        long beforeBlock = cursor != null ? cursor[0] : Long.MAX_VALUE;
        int beforeLog = cursor != null ? (int) Math.min(cursor[1], Integer.MAX_VALUE) : Integer.MAX_VALUE;
        respond(ctx, read((snap, labels) -> snap.market(id).compose(market -> {
            if (market.isEmpty()) return Future.failedFuture(ApiError.notFound("market " + id + " not found"));
            return snap.prices(id, beforeBlock, beforeLog, limit + 1).map(rows -> {
                JsonArray items = new JsonArray();
                rows.stream().limit(limit).forEach(r -> items.add(JsonViews.price(r, labels.of(id)).put("logIndex",
                        r.logIndex())));
                PriceRow last = rows.size() > limit ? rows.get(limit - 1) : null;
                return new JsonObject().put("market", id).put("marketName", labels.of(id).name())
                        .put("items", items).put("nextCursor", last == null ? null
                        : RequestParams.encodeCursor("p", last.blockNumber(), last.logIndex()));
            });
        })));
    }

    private void insurance(RoutingContext ctx) {
        RequestParams p = new RequestParams(ctx).only("limit", "cursor");
        long id = p.pathId("id");
        int limit = p.limit();
        long[] cursor = p.cursor("i", 3);
        List<MirrorChanges.InsuranceEvent.Kind> kinds = List.of(MirrorChanges.InsuranceEvent.Kind.values());
        if (cursor != null && cursor[2] >= kinds.size()) throw ApiError.badParameter("cursor", null, "a cursor "
                + "this endpoint returned");
        long beforeBlock = cursor != null ? cursor[0] : Long.MAX_VALUE;
        int beforeLog = cursor != null ? (int) Math.min(cursor[1], Integer.MAX_VALUE) : Integer.MAX_VALUE;
        String beforeKind = cursor != null ? kinds.get((int) cursor[2]).column() : "~";
        respond(ctx, read((snap, labels) -> snap.market(id).compose(market -> {
            if (market.isEmpty()) return Future.failedFuture(ApiError.notFound("market " + id + " not found"));
            return snap.insurance(id, beforeBlock, beforeLog, beforeKind, limit + 1).map(rows -> {
                JsonArray items = new JsonArray();
                rows.stream().limit(limit).forEach(e -> items.add(JsonViews.insurance(e, labels.of(id))));
                MirrorChanges.InsuranceEvent last = rows.size() > limit ? rows.get(limit - 1) : null;
                return new JsonObject().put("market", id).put("marketName", labels.of(id).name())
                        .put("items", items).put("nextCursor", last == null ? null
                        : RequestParams.encodeCursor("i", last.at().blockNumber(), last.at().logIndex(),
                                last.kind().ordinal()));
            });
        })));
    }

    private void lenders(RoutingContext ctx) {
        RequestParams p = new RequestParams(ctx).only("limit");
        long id = p.pathId("id");
        int limit = p.limit();
        respond(ctx, read((snap, labels) -> snap.market(id).compose(market -> {
            if (market.isEmpty()) return Future.failedFuture(ApiError.notFound("market " + id + " not found"));
            return snap.lenders(id, limit).map(rows -> {
                JsonArray items = new JsonArray();
                rows.forEach(l -> items.add(new JsonObject().put("lender", l.lender())
                        .put("shares", l.shares().toString()).put("updatedBlock", l.updatedBlock())));
                return new JsonObject().put("market", id).put("marketName", labels.of(id).name()).put("items", items);
            });
        })));
    }

    private void liquidations(RoutingContext ctx) {
        RequestParams p = new RequestParams(ctx).only("market", "since", "order", "limit", "cursor");
        Long market = p.optionalId("market");
        Long since = p.optionalId("since");
        boolean newestFirst = p.choice("order", List.of("asc", "desc"), "asc").equals("desc");
        int limit = p.limit();
        long[] cursor = p.cursor("l", 2);
        long afterBlock = cursor != null ? cursor[0] : newestFirst ? Long.MAX_VALUE : -1;
        int afterLog = cursor != null ? (int) Math.min(cursor[1], Integer.MAX_VALUE)
                : newestFirst ? Integer.MAX_VALUE : -1;
        respond(ctx, read((snap, labels) -> snap.liquidations(market, since == null ? 0 : since, afterBlock, afterLog,
                limit + 1, newestFirst).map(rows -> {
                    JsonArray items = new JsonArray();
                    rows.stream().limit(limit).forEach(l -> items.add(JsonViews.liquidation(l,
                            labels.of(l.marketId()))));
                    LiquidationRow last = rows.size() > limit ? rows.get(limit - 1) : null;
                    return new JsonObject().put("items", items).put("nextCursor", last == null ? null
                            : RequestParams.encodeCursor("l", last.at().blockNumber(), last.at().logIndex()));
                })));
    }

    private void healthHistogram(RoutingContext ctx) {
        RequestParams p = new RequestParams(ctx).only("edges");
        long id = p.pathId("id");
        List<BigDecimal> edges = p.increasingDecimals("edges", HealthHistogram.MAX_EDGES,
                HealthHistogram.DEFAULT_EDGES);
        respond(ctx, read((snap, labels) -> snap.asOf().compose(asOf -> snapshots(snap, asOf.orElse(null))
                .compose(markets -> {
                    MarketSnapshot m = readyMarket(markets, id);
                    return snap.indebtedVaults(id).compose(vaults -> snap.openVaultCounts().map(counts ->
                            JsonViews.histogram(id, m.price(), HealthHistogram.of(m, vaults, edges),
                                    counts.getOrDefault(id, 0L) - vaults.size(), labels.of(id))
                                    .put("asOf", asOf.map(JsonViews::asOf).orElse(null))));
                }))));
    }

    private void riskCurve(RoutingContext ctx) {
        RequestParams p = new RequestParams(ctx).only("max", "step");
        long id = p.pathId("market");
        int maxBps = p.percentBps("max", BigDecimal.ZERO, BigDecimal.valueOf(100), 5_000);
        int stepBps = p.percentBps("step", new BigDecimal("0.01"), BigDecimal.valueOf(100), 250);
        if (maxBps / stepBps + 1 > MAX_CURVE_POINTS) {
            throw ApiError.badParameter("step", new BigDecimal(stepBps).movePointLeft(2).toPlainString(),
                    "large enough for at most " + MAX_CURVE_POINTS + " points from 0 to max");
        }
        respond(ctx, read((snap, labels) -> snap.asOf().compose(asOf -> snapshots(snap, asOf.orElse(null))
                .compose(markets -> {
                    MarketSnapshot m = readyMarket(markets, id);
                    return snap.indebtedVaults(id).compose(vaults -> guardCapacities(snap, id, vaults, now(asOf))
                            .map(guards -> {
                        JsonArray points = new JsonArray();
                        for (int bps = 0; bps <= maxBps; bps += stepBps) {
                            points.add(JsonViews.stress(id, BigDecimal.valueOf(bps, 2), m.price(),
                                    m.stress(vaults, bps, guards), labels.of(id)));
                        }
                        return labels.of(id).prices(new JsonObject().put("market", id)
                                .put("marketName", labels.of(id).name())
                                .put("price", JsonViews.str(m.price().answer())), "price")
                                .put("points", points).put("asOf", asOf.map(JsonViews::asOf).orElse(null));
                    }));
                }))));
    }

    /** The market, valued and priced; else a 404 (unknown) or 409 (no price yet) failure. */
    private static MarketSnapshot readyMarket(Map<Long, MarketSnapshot> markets, long id) {
        MarketSnapshot m = markets.get(id);
        if (m == null) throw ApiError.notFound("market " + id + " not found");
        if (m.price() == null || !m.complete()) throw ApiError.notReady("market " + id + " has no mirrored price yet");
        return m;
    }

    private void risk(RoutingContext ctx) {
        RequestParams p = new RequestParams(ctx).only("drop");
        long id = p.pathId("market");
        BigDecimal drop = p.optionalDecimal("drop", BigDecimal.ZERO, BigDecimal.valueOf(100));
        if (drop == null) throw ApiError.badParameter("drop", "", "given: the price drop in percent, 0 to 100");
        if (drop.stripTrailingZeros().scale() > 2) {
            throw ApiError.badParameter("drop", drop.toPlainString(), "a percentage with at most 2 decimals");
        }
        int dropBps = drop.movePointRight(2).intValueExact();
        respond(ctx, read((snap, labels) -> snap.asOf().compose(asOf -> snapshots(snap, asOf.orElse(null))
                .compose(markets -> {
                    MarketSnapshot m = markets.get(id);
                    if (m == null) return Future.failedFuture(ApiError.notFound("market " + id + " not found"));
                    if (m.price() == null || !m.complete()) {
                        return Future.failedFuture(ApiError.notReady("market " + id + " has no mirrored price yet"));
                    }
                    return snap.indebtedVaults(id).compose(vaults -> guardCapacities(snap, id, vaults, now(asOf))
                            .map(guards -> JsonViews.stress(id, drop, m.price(), m.stress(vaults, dropBps, guards),
                                    labels.of(id))
                                    .put("asOf", asOf.map(JsonViews::asOf).orElse(null))));
                }))));
    }

    private void health(RoutingContext ctx) {
        new RequestParams(ctx).only();
        FollowStatus s = status.get();
        List<Reason> reasons = reasons(s, options);
        JsonArray why = new JsonArray();
        for (Reason r : reasons) why.add(new JsonObject().put("kind", r.kind()).put("message", r.message()));
        send(ctx, reasons.isEmpty() ? 200 : 503, new JsonObject()
                .put("status", reasons.isEmpty() ? "ok" : reasons.getFirst().kind())
                .put("reasons", why)
                .put("indexedBlock", s.indexedBlock())
                .put("headBlock", s.headBlock())
                .put("lagBlocks", s.lag())
                .put("maxHealthyLag", options.maxHealthyLag())
                .put("reorgs", s.reorgs())
                .put("following", s.following())
                .put("lastCommitAgeMs", s.sinceCommit().toMillis())
                .put("commitDue", s.commitDue())
                .put("maxStallMs", maxStall(s, options.maxStalledBlocks()).toMillis())
                .put("sinceHeadAnswerMs", s.sinceHeadAnswer().toMillis())
                .put("maxSilenceMs", maxSilence(s, options.maxSilentBlocks()).toMillis())
                .put("blockIntervalMs", s.blockInterval().toMillis()));
    }

    /** The longest {@code sinceCommit} that is healthy while a commit is due: {@code maxStalledBlocks} block times. */
    static Duration maxStall(FollowStatus s, long maxStalledBlocks) {
        return s.blockInterval().multipliedBy(maxStalledBlocks);
    }

    /** The longest {@code sinceHeadAnswer} that is healthy: {@code maxSilentBlocks} block times. */
    static Duration maxSilence(FollowStatus s, long maxSilentBlocks) {
        return s.blockInterval().multipliedBy(maxSilentBlocks);
    }

    /** The checks of {@code /health} that {@code s} fails against {@code o}'s limits, most fundamental first; empty
     * when healthy. */
    static List<Reason> reasons(FollowStatus s, Options o) {
        List<Reason> out = new ArrayList<>();
        if (!s.following()) out.add(new Reason("stopped", "the indexer is not following the chain"));
        Duration maxSilence = maxSilence(s, o.maxSilentBlocks());
        if (s.sinceHeadAnswer().compareTo(maxSilence) > 0) {
            out.add(new Reason("node-silent", "no endpoint answered a head poll for " + seconds(s.sinceHeadAnswer())
                    + " (limit " + o.maxSilentBlocks() + " block times, " + seconds(maxSilence) + ")"));
        }
        Duration maxStall = maxStall(s, o.maxStalledBlocks());
        if (s.following() && s.commitDue() && s.sinceCommit().compareTo(maxStall) > 0) {
            out.add(new Reason("stalled", "no batch committed for " + seconds(s.sinceCommit()) + " (limit "
                    + o.maxStalledBlocks() + " block times, " + seconds(maxStall) + ") while the head moved to #"
                    + s.headBlock() + "; indexed #" + s.indexedBlock()));
        }
        if (s.following() && s.lag() > o.maxHealthyLag()) {
            out.add(new Reason("lagging", "indexed #" + s.indexedBlock() + ", " + s.lag() + " block(s) behind head #"
                    + s.headBlock() + " (limit " + o.maxHealthyLag() + ")"));
        }
        return out;
    }

    private static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    private void metrics(RoutingContext ctx) {
        new RequestParams(ctx).only();
        ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape());
    }

    /* HELPERS */

    /** Every market's {@link MarketLabel} in one answer's snapshot. */
    record Labels(Map<Long, MarketLabel> byMarket) {
        /** The labels of the markets the mirror holds. */
        static Labels from(Map<Long, MirrorReader.MarketTokens> tokens) {
            Map<Long, MarketLabel> byMarket = new HashMap<>();
            tokens.forEach((id, t) -> byMarket.put(id, MarketLabel.of(t)));
            return new Labels(byMarket);
        }

        MarketLabel of(long marketId) {
            MarketLabel u = byMarket.get(marketId);
            if (u == null) throw new IllegalStateException("market " + marketId + " is named but not mirrored");
            return u;
        }
    }

    /**
     * Runs {@code work} in one snapshot of the mirror ({@link MirrorReader#read}) with every market's tokens, then
     * puts the ISO times beside the answer's block numbers and seconds ({@link BlockClock}) from the same snapshot.
     */
    private Future<JsonObject> read(java.util.function.BiFunction<MirrorReader.Snapshot, Labels, Future<JsonObject>>
            work) {
        return reader.read(snap -> snap.marketTokens().compose(tokens -> work.apply(snap, Labels.from(tokens)))
                .compose(answer -> BlockClock.stamp(snap, answer)));
    }

    /** The mirror's time: its block's ({@link AsOf#timestamp}), 0 before anything is mirrored. */
    private static long now(Optional<AsOf> asOf) {
        return asOf.map(AsOf::timestamp).orElse(0L);
    }

    /** The remaining guard capacity at {@code now} of each of {@code vaults} (of market {@code marketId}) that a
     * policy defends (live and armed: a disarmed vault's top-up reverts {@code RiskRaisedSinceArmed}), by vault id. */
    private static Future<Map<Long, GuardCapacity>> guardCapacities(MirrorReader.Snapshot snap, long marketId,
            List<VaultRow> vaults, long now) {
        return snap.activePolicies(marketId).compose(policies -> {
            Map<Long, GuardPolicyRow> live = new HashMap<>();
            for (VaultRow v : vaults) {
                GuardPolicyRow p = policies.get(v.vaultId());
                if (p != null && p.defends(now, v.owner(), v.collateral(), v.debtShares())) live.put(v.vaultId(), p);
            }
            return snap.guardUsage(live.keySet(), now).map(usage -> {
                Map<Long, GuardCapacity> out = new HashMap<>();
                live.forEach((id, p) -> out.put(id, GuardCapacity.of(p, usage.getOrDefault(id,
                        GuardWindow.Usage.NONE))));
                return out;
            });
        });
    }

    /** Every market valued at {@code asOf} (null before the first batch: nothing to value). */
    private static Future<Map<Long, MarketSnapshot>> snapshots(MirrorReader.Snapshot snap, AsOf asOf) {
        return snap.markets().compose(markets -> snap.tiers().compose(tiers -> snap.latestPrices().map(prices -> {
            Map<Long, MarketSnapshot> out = new HashMap<>();
            for (MarketRow m : markets) {
                List<TierState> t = tiers.getOrDefault(m.marketId(), List.of());
                PriceRow price = prices.get(m.marketId());
                long at = Math.max(asOf == null ? 0 : asOf.timestamp(), m.state().lastAccrual());
                out.put(m.marketId(), new MarketSnapshot(m, t, price, at));
            }
            return out;
        })));
    }

    private static MarketSnapshot.Valuation valuation(MarketSnapshot m, VaultRow v) {
        if (m == null || m.price() == null || !m.complete()) return null;
        return m.value(v, m.price().answer());
    }

    private static BigInteger debt(MarketSnapshot m, VaultRow v) {
        return m == null ? null : m.debt(v);
    }

    private static void respond(RoutingContext ctx, Future<JsonObject> answer) {
        answer.onSuccess(json -> send(ctx, 200, json)).onFailure(ctx::fail);
    }

    static void send(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended()) return;
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
    }

    private void failure(RoutingContext ctx) {
        Throwable f = ctx.failure();
        if (f instanceof ApiError e) {
            error(ctx, e.status(), e.parameter(), e.getMessage());
        } else if (f == null) {
            error(ctx, ctx.statusCode() > 0 ? ctx.statusCode() : 500, null, "request failed");
        } else if (f instanceof PgException) {
            log.error("query API: {} failed", ctx.request().path(), f);
            error(ctx, 500, null, "internal error: " + f.getMessage());
        } else {
            log.warn("query API: {}: the mirror database did not answer: {}", ctx.request().path(), f.toString());
            error(ctx, 503, null, "the mirror database did not answer: " + f.getMessage());
        }
    }

    private static void error(RoutingContext ctx, int status, String parameter, String message) {
        JsonObject body = new JsonObject().put("error", message);
        if (parameter != null) body.put("parameter", parameter);
        send(ctx, status, body);
    }
}
