package io.isomargin.indexer.api;

import io.isomargin.indexer.intake.CommitListener;
import io.isomargin.indexer.projection.MirrorChanges;
import io.isomargin.indexer.projection.VaultRow;
import io.isomargin.indexer.store.MirrorReader;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * {@code GET /events}: what the mirror commits, pushed as server-sent events, so a page updates when a block is
 * indexed instead of polling. One {@code block} event per committed batch ({@code id} its last block; {@code data}
 * its range and the vaults it changed, at their state after it, its liquidations, prices and guard top-ups, each list
 * at most {@value #MAX_ITEMS} long with {@code truncated} set when cut), a {@code reorg} event when a reorg rolled
 * the mirror back ({@code data.block}: refetch what you show), and a {@code resync} event to a client that fell so far
 * behind that events were dropped for it (a slow reader never holds the indexer up). A comment every
 * {@value #KEEPALIVE_MS} ms keeps idle connections open through proxies. Nothing is built while no client listens.
 */
public final class EventStream implements CommitListener, AutoCloseable {
    /** Items per list of one event: a backfill batch can change thousands of vaults. */
    static final int MAX_ITEMS = 500;
    static final long KEEPALIVE_MS = 15_000;

    private final Vertx vertx;
    private final MirrorReader reader;
    /** The event being built: each waits for the one before, so clients get them in commit order. */
    private Future<Void> last = Future.succeededFuture();
    /** Each client with its connection's context: every write to a response happens there (writes from two threads
     * at once interleaved the chunked framing: a client read "chunked transfer encoding, state: READING_LENGTH"). */
    private final Map<HttpServerResponse, Context> clients = new ConcurrentHashMap<>();
    private final Set<HttpServerResponse> lagging = ConcurrentHashMap.newKeySet();
    private final long keepalive;

    EventStream(Vertx vertx, MirrorReader reader) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.reader = Objects.requireNonNull(reader, "reader");
        this.keepalive = vertx.setPeriodic(KEEPALIVE_MS, id -> send(": keepalive\n\n"));
    }

    /** Clients connected now. */
    public int clients() {
        return clients.size();
    }

    void handle(RoutingContext ctx) {
        HttpServerResponse r = ctx.response();
        r.setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache").putHeader("X-Accel-Buffering", "no");
        r.write("retry: 2000\n\n"); // a dropped connection is retried by the browser after 2 s
        clients.put(r, Vertx.currentContext());
        r.closeHandler(v -> forget(r));
        r.exceptionHandler(e -> forget(r));
    }

    /**
     * Builds the batch's {@code block} event with the market names, formatted amounts and times of the list endpoints
     * (read from the committed mirror) and sends it; when that read fails, clients get {@code resync} instead.
     */
    @Override
    public void committed(long fromBlock, long toBlock, MirrorChanges changes) {
        if (clients.isEmpty() || changes == null) return;
        enqueue(() -> reader.read(snap -> snap.marketTokens().compose(tokens -> {
            ApiServer.Labels labels = ApiServer.Labels.from(tokens);
            JsonObject data = new JsonObject().put("fromBlock", fromBlock).put("toBlock", toBlock);
            Map<Long, VaultRow> vaults = new LinkedHashMap<>(); // the last state of each vault in the batch
            for (MirrorChanges.VaultChange v : changes.vaults()) vaults.put(v.after().vaultId(), v.after());
            put(data, "vaults", List.copyOf(vaults.values()), EventStream::vault);
            put(data, "liquidations", changes.liquidations(), l -> JsonViews.liquidation(l, labels.of(l.marketId())));
            put(data, "prices", changes.prices(), p -> JsonViews.price(p, labels.of(p.marketId()))
                    .put("market", p.marketId()).put("marketName", labels.of(p.marketId()).name()));
            put(data, "topUps", changes.topUps(), t -> JsonViews.topUp(t, labels.of(t.marketId())));
            return BlockClock.stamp(snap, data);
        })).map(data -> "id: " + toBlock + "\nevent: block\ndata: " + data.encode() + "\n\n"));
    }

    @Override
    public void rolledBack(long ancestor) {
        if (clients.isEmpty()) return;
        enqueue(() -> Future.succeededFuture("id: " + ancestor + "\nevent: reorg\ndata: "
                + new JsonObject().put("block", ancestor).encode() + "\n\n"));
    }

    /** Sends the frame {@code build} makes after every frame enqueued before it. */
    private synchronized void enqueue(java.util.function.Supplier<Future<String>> build) {
        last = last.transform(ignored -> build.get().transform(frame -> {
            if (frame.succeeded()) send(frame.result());
            else send("event: resync\ndata: {}\n\n"); // could not read what to show: refetch
            return Future.<Void>succeededFuture();
        }));
    }

    @Override
    public void close() {
        vertx.cancelTimer(keepalive);
        clients.forEach((r, context) -> {
            forget(r);
            context.runOnContext(v -> r.end());
        });
    }

    private static <T> void put(JsonObject data, String key, List<T> items, Function<T, JsonObject> json) {
        JsonArray a = new JsonArray();
        items.stream().limit(MAX_ITEMS).map(json).forEach(a::add);
        data.put(key, a);
        if (items.size() > MAX_ITEMS) data.put("truncated", true);
    }

    private static JsonObject vault(VaultRow v) {
        return new JsonObject().put("id", v.vaultId()).put("market", v.marketId()).put("owner", v.owner())
                .put("closed", v.closed()).put("collateral", v.collateral().toString())
                .put("debtShares", v.debtShares().toString()).put("updatedBlock", v.updatedBlock());
    }

    /** Writes {@code frame} to every client, each on its connection's context (the runner's thread is none). */
    private void send(String frame) {
        clients.forEach((r, context) -> context.runOnContext(v -> {
            if (!clients.containsKey(r)) return; // closed meanwhile
            if (r.writeQueueFull()) {
                lagging.add(r); // this event is dropped for it: it must refetch
                return;
            }
            if (lagging.remove(r)) r.write("event: resync\ndata: {}\n\n");
            r.write(frame);
        }));
    }

    private void forget(HttpServerResponse r) {
        clients.remove(r);
        lagging.remove(r);
    }
}
