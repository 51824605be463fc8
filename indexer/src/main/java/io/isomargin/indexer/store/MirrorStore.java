package io.isomargin.indexer.store;

import io.isomargin.abi.follower.BlockRef;
import io.isomargin.abi.follower.LogBatch;
import io.isomargin.indexer.projection.BlockTimes;
import io.isomargin.indexer.projection.GuardPolicyRow;
import io.isomargin.indexer.projection.GuardWindow;
import io.isomargin.indexer.projection.MarketRow;
import io.isomargin.indexer.projection.MirrorChanges;
import io.isomargin.indexer.projection.MirrorProjection;
import io.isomargin.indexer.projection.MirrorState;
import io.isomargin.indexer.projection.RiskChangeRow;
import io.isomargin.indexer.projection.TopUpRow;
import io.isomargin.indexer.projection.VaultRow;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The mirror in PostgreSQL, written through the reactive client (every method returns a {@link Future} and never
 * blocks an event loop).
 *
 * <p>{@link #applyBatch} commits a batch's rows, its unfinalized block headers and the cursor in one transaction, so
 * a crash leaves either all of a batch or none of it, and a batch at or below the committed cursor is skipped inside
 * that transaction: each batch lands exactly once. Rows go in with one statement per table, each column as an array
 * ({@link Write}), never one round trip per row. {@link #rollbackTo} undoes everything above a block, also in one
 * transaction.
 */
public final class MirrorStore {
    /** Vaults (and as many guard policies and top-up lists) kept in memory at most, least recently used dropped. */
    private static final int CACHED_ROWS = 50_000;

    private final Pool pool;
    private final MirrorProjection projection;
    private final int reorgWindow;
    /** The current rows as the last batch projected them; guarded by itself. */
    private final RowCache rows = new RowCache(CACHED_ROWS);
    /** Guards the fields below: the order batches are projected and take the cursor's lock in. */
    private final Object pipeline = new Object();
    private Future<?> lastPrepared = Future.succeededFuture();
    private Future<Void> lastLocked = Future.succeededFuture();
    private int inFlight;
    private boolean rowsSpoiled;

    /**
     * @param pool        connections to the migrated database (see {@link Migrations})
     * @param projection  turns batches into rows
     * @param reorgWindow how many recent block headers to keep (the follower's {@code reorgWindow})
     */
    public MirrorStore(Pool pool, MirrorProjection projection, int reorgWindow) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.projection = Objects.requireNonNull(projection, "projection");
        if (reorgWindow < 1) {
            throw new IllegalArgumentException("reorgWindow must be at least 1, got " + reorgWindow);
        }
        this.reorgWindow = reorgWindow;
    }

    /**
     * What {@link #applyBatch} did.
     *
     * @param applied false when the batch was at or below the cursor and skipped
     * @param rows    rows written (history and facts)
     * @param cursor  the cursor after the call
     */
    /** What {@link #applyBatch} did: {@code changes} are the committed rows (null when the batch was skipped). */
    public record BatchResult(boolean applied, int rows, long cursor, MirrorChanges changes) {}

    /**
     * Records {@code expected} as the deployment this database mirrors, or checks it against the one recorded; a
     * genesis hash not recorded yet (a database from before it was kept) is recorded now when {@code expected} has one.
     *
     * @return a failed future with {@link MetaMismatchException} when the database mirrors another chain or engine,
     *         or another margin guard (or was written without following the configured one)
     */
    public Future<IndexerMeta> ensureMeta(IndexerMeta expected) {
        return pool.withTransaction(conn -> conn
                .preparedQuery("INSERT INTO indexer_meta (chain_id, engine, deploy_block, genesis_hash, guard)"
                        + " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (singleton) DO NOTHING")
                .execute(Tuple.of(expected.chainId(), expected.engine(), expected.deployBlock(),
                        expected.genesisHash(), expected.guard()))
                .compose(ignored -> conn.query("SELECT chain_id, engine, deploy_block, genesis_hash, guard"
                        + " FROM indexer_meta FOR UPDATE").execute())
                .compose(rows -> {
                    Row row = rows.iterator().next();
                    IndexerMeta stored = new IndexerMeta(row.getLong("chain_id"), row.getString("engine"),
                            row.getLong("deploy_block"), row.getString("genesis_hash"), row.getString("guard"));
                    if (stored.mismatch(expected).isPresent()) {
                        return Future.failedFuture(new MetaMismatchException(stored, expected));
                    }
                    if (stored.genesisHash() != null || expected.genesisHash() == null) {
                        return Future.succeededFuture(stored);
                    }
                    return conn.preparedQuery("UPDATE indexer_meta SET genesis_hash = $1")
                            .execute(Tuple.of(expected.genesisHash()))
                            .map(ignored -> new IndexerMeta(stored.chainId(), stored.engine(), stored.deployBlock(),
                                    expected.genesisHash(), stored.guard()));
                }));
    }

    /** The {@code eth_getLogs} range the follower had learned at the last commit ({@link #saveFollowerRange}); empty
     * before the first (or for a database from before it was kept). */
    public Future<Optional<Integer>> loadFollowerRange() {
        return pool.query("SELECT follower_range FROM indexer_meta").execute().map(rows -> rows.size() == 0
                ? Optional.empty() : Optional.ofNullable(rows.iterator().next().getInteger(0)));
    }

    /** Keeps {@code blocks} as the follower's learned {@code eth_getLogs} range, for the next start (after
     * {@link #ensureMeta}; a hint, outside any batch's transaction). */
    public Future<Void> saveFollowerRange(int blocks) {
        if (blocks < 1) return Future.failedFuture(new IllegalArgumentException("range must be positive: " + blocks));
        return pool.preparedQuery("UPDATE indexer_meta SET follower_range = $1").execute(Tuple.of(blocks)).mapEmpty();
    }

    /** The committed cursor; empty before the first batch. */
    public Future<Optional<IndexedCursor>> loadCursor() {
        return pool.query("SELECT block_number, block_hash FROM cursor").execute().map(rows -> {
            if (rows.size() == 0) return Optional.empty();
            Row row = rows.iterator().next();
            return Optional.of(new IndexedCursor(row.getLong("block_number"),
                    Optional.ofNullable(row.getString("block_hash"))));
        });
    }

    /** The oracle of every mirrored market, lower-case. */
    public Future<Set<String>> loadOracles() {
        return pool.query("SELECT DISTINCT oracle FROM markets").execute().map(rows -> {
            Set<String> oracles = new HashSet<>();
            rows.forEach(r -> oracles.add(r.getString(0)));
            return oracles;
        });
    }

    /**
     * The stored headers of the blocks up to the cursor, ascending and linked by parent hash, ending at the cursor
     * (what {@code ChainFollower.start} takes as {@code knownRecentBlocks}); empty when the cursor block was final.
     */
    public Future<List<BlockRef>> loadRecentBlocks() {
        return loadCursor().compose(cursor -> {
            if (cursor.isEmpty()) return Future.succeededFuture(List.of());
            return pool.query("SELECT number, hash, parent_hash, timestamp FROM blocks ORDER BY number DESC")
                    .execute().map(rows -> {
                        List<BlockRef> run = new ArrayList<>();
                        for (Row row : rows) {
                            BlockRef b = new BlockRef(row.getLong("number"), row.getString("hash"),
                                    row.getString("parent_hash"), row.getLong("timestamp"));
                            boolean links = run.isEmpty()
                                    ? b.number() == cursor.get().blockNumber()
                                    : b.isParentOf(run.getLast());
                            if (!links) break;
                            run.add(b);
                        }
                        return run.reversed();
                    });
        });
    }

    /**
     * The block hashes the mirror holds for blocks at or below {@code number}, newest first: the kept headers and the
     * newest vault event's block (what tells whether the mirror up to {@code number} is on a given chain).
     */
    public Future<Map<Long, String>> knownHashesAtOrBelow(long number) {
        return pool.preparedQuery("SELECT number, hash FROM blocks WHERE number <= $1 UNION"
                        + " (SELECT block_number, block_hash FROM vault_history WHERE block_number <= $1"
                        + " ORDER BY block_number DESC, log_index DESC LIMIT 1) ORDER BY 1 DESC")
                .execute(Tuple.of(number)).map(rows -> {
                    Map<Long, String> hashes = new LinkedHashMap<>();
                    rows.forEach(r -> hashes.putIfAbsent(r.getLong(0), r.getString(1)));
                    return hashes;
                });
    }

    /* READABLE DATA: token metadata and block times (see V6__readable.sql) */

    /** The tokens whose metadata is stored. */
    public Future<Set<String>> loadTokenAddresses() {
        return pool.query("SELECT address FROM tokens").execute().map(rows -> {
            Set<String> out = new HashSet<>();
            rows.forEach(r -> out.add(r.getString(0)));
            return out;
        });
    }

    /** The tokens of mirrored markets without stored metadata (a database from before it was kept). */
    public Future<Set<String>> tokensWithoutMetadata() {
        return pool.query("SELECT loan_token FROM markets UNION SELECT collateral_token FROM markets"
                + " EXCEPT SELECT address FROM tokens").execute().map(rows -> {
                    Set<String> out = new java.util.TreeSet<>();
                    rows.forEach(r -> out.add(r.getString(0)));
                    return out;
                });
    }

    /** Stores token metadata (immutable per address: outside any batch, never rolled back; a row kept stays). */
    public Future<Void> saveTokens(List<io.isomargin.abi.tokens.TokenMetadata> tokens) {
        if (tokens.isEmpty()) return Future.succeededFuture();
        return pool.withConnection(conn -> write(conn, Tables.INSERT_TOKEN, tokens, t -> Tuple.of(t.address(),
                t.symbol(), t.decimals() == null ? null : t.decimals().shortValue(), t.source().column())));
    }

    /**
     * The blocks that hold a mirrored row, or are the cursor's, and have no stored time, ascending (a database from
     * before times were kept; empty afterwards).
     */
    public Future<List<Long>> blocksWithoutTime() {
        String rows = String.join(" UNION ", java.util.stream.Stream.of("market_history", "tier_history",
                "vault_history", "lender_history", "operator_history", "prices", "liquidations", "insurance_events",
                "risk_change_history", "guard_policy_history", "guard_top_ups", "cursor")
                .map(t -> "SELECT block_number FROM " + t).toList());
        return pool.query("SELECT n FROM (" + rows + ") AS used (n) WHERE NOT EXISTS"
                + " (SELECT 1 FROM block_times WHERE number = n) ORDER BY n").execute().map(result -> {
                    List<Long> out = new ArrayList<>();
                    result.forEach(r -> out.add(r.getLong(0)));
                    return out;
                });
    }

    /** Stores block times read for {@link #blocksWithoutTime} (at start, before following). */
    public Future<Void> saveBlockTimes(Map<Long, Long> times) {
        if (times.isEmpty()) return Future.succeededFuture();
        return pool.withConnection(conn -> write(conn, Tables.UPSERT_BLOCK_TIME,
                List.copyOf(times.entrySet()), e -> Tuple.of(e.getKey(), e.getValue())));
    }

    /**
     * Commits {@code batch} with the block times its headers carry; see {@link #applyBatch(LogBatch, BlockTimes)}.
     */
    public Future<BatchResult> applyBatch(LogBatch batch) {
        return applyBatch(batch, BlockTimes.of(batch));
    }

    /**
     * Commits {@code batch}: its rows, its unfinalized block headers, the times {@code times} has of the blocks holding
     * its logs and of its last block, and {@code batch.toBlock()} as the cursor (with its time when known), in one
     * transaction. A batch starting at or below the committed cursor is
     * skipped ({@code applied == false}); one that would leave a gap above it fails.
     *
     * <p><b>Pipelined.</b> The call returns once the batch is decoded; its projection starts from the rows the
     * previous batch <em>projected</em> (kept in memory, {@link RowCache}, rows not kept there read from the
     * database), not from its commit, so the caller can hand in the next batch while this one commits. Transactions
     * take the cursor row's lock in the order the batches were handed in, and each checks that its batch follows the
     * committed cursor, so commits land in order and exactly once: when a commit fails, every later one fails that
     * check (or is refused here), and the rows kept in memory are dropped before the next batch is projected (once
     * nothing is in flight; until then a batch is refused with {@link CommitPendingException}). The futures of
     * batches handed in one after another complete in that order.
     *
     * @param times the times of at least the blocks holding guard top-ups; the runner passes those of every block
     *              holding a log and of the last block
     */
    public Future<BatchResult> applyBatch(LogBatch batch, BlockTimes times) {
        MirrorProjection.Decoded decoded; // the costly part of the projection, on the caller's thread
        try {
            decoded = projection.decode(batch);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        Promise<Void> locked = Promise.promise();
        Future<BatchResult> result;
        synchronized (pipeline) {
            if (inFlight == 0 && rowsSpoiled) {
                synchronized (rows) {
                    rows.clear();
                }
                rowsSpoiled = false;
            } else if (rowsSpoiled) {
                return Future.failedFuture(new CommitPendingException("batch #" + batch.fromBlock() + "..#"
                        + batch.toBlock() + " refused: an earlier batch's commit failed or was skipped and "
                        + inFlight + " commit(s) are still in flight; resume from the committed cursor"));
            }
            inFlight++;
            Future<Prepared> prepared = lastPrepared.transform(ignored -> prepare(decoded, batch, times));
            lastPrepared = prepared;
            Future<Void> previousLocked = lastLocked;
            lastLocked = locked.future();
            result = prepared.compose(p -> p.skipped() != null ? Future.succeededFuture(p.skipped())
                    : previousLocked.transform(ignored -> commit(batch, times, p.changes(), locked)));
        }
        return result.andThen(ar -> {
            locked.tryComplete(); // whatever happened, the next batch may take the lock: its own check guards it
            synchronized (pipeline) {
                if (ar.succeeded() && ar.result().applied()) {
                    synchronized (rows) {
                        rows.committed(ar.result().cursor());
                    }
                } else {
                    rowsSpoiled = true; // a failed or skipped commit: what was projected on top of it is void
                }
                inFlight--;
            }
        });
    }

    /** A projected batch: its changes, or the result of skipping it (the mirror is already past it). */
    private record Prepared(MirrorChanges changes, BatchResult skipped) {}

    /**
     * Projects {@code d} from the rows kept in memory, reading those missing in one snapshot of the database (with the
     * cursor: a mirror already past the batch skips it, as the commit would).
     */
    private Future<Prepared> prepare(MirrorProjection.Decoded d, LogBatch batch, BlockTimes times) {
        RowCache.Misses misses;
        synchronized (rows) {
            misses = rows.misses(d.vaultIds(), d.guardVaultIds(), d.topUpVaultIds());
        }
        Future<BatchResult> loaded = misses.none() ? Future.succeededFuture() : loadMisses(misses).map(read -> {
            if (read.cursor().isPresent() && batch.fromBlock() <= read.cursor().get()) {
                return new BatchResult(false, 0, read.cursor().get(), null);
            }
            synchronized (rows) {
                rows.load(read.state(), misses.marketsAndPending());
                read.cursor().ifPresent(rows::committed);
            }
            return null;
        });
        return loaded.map(skipped -> {
            if (skipped != null) return new Prepared(null, skipped);
            MirrorState state;
            synchronized (rows) {
                state = rows.state(d.vaultIds(), d.guardVaultIds(), d.topUpVaultIds());
            }
            MirrorProjection.Projected p = projection.projectWithState(d, state, times);
            synchronized (rows) {
                rows.update(p.after());
            }
            return new Prepared(p.changes(), null);
        });
    }

    private record Read(Optional<Long> cursor, MirrorState state) {}

    /** The rows {@code m} names and the cursor, from one snapshot (a read-only repeatable-read transaction). */
    private Future<Read> loadMisses(RowCache.Misses m) {
        return pool.withTransaction(conn -> conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute().compose(ignored -> {
                    Future<Optional<Long>> cursor = conn.query("SELECT block_number FROM cursor").execute()
                            .map(r -> r.size() == 0 ? Optional.<Long>empty() : Optional.of(r.iterator().next()
                                    .getLong(0)));
                    Future<Map<Long, MarketRow>> markets = m.marketsAndPending() ? loadMarkets(conn)
                            : Future.succeededFuture(Map.of());
                    Future<Map<Long, RiskChangeRow>> pending = m.marketsAndPending() ? loadPendingRisk(conn)
                            : Future.succeededFuture(Map.of());
                    Future<Map<Long, VaultRow>> vaults = loadVaults(conn, m.vaults());
                    Future<Map<Long, GuardPolicyRow>> policies = loadPolicies(conn, m.policies());
                    Future<Map<Long, List<TopUpRow>>> topUps = loadRecentTopUps(conn, m.topUps());
                    return Future.all(cursor, markets, pending, vaults, policies, topUps).map(all -> new Read(
                            cursor.result(), new MirrorState(markets.result(), vaults.result(), pending.result(),
                                    policies.result(), topUps.result())));
                }));
    }

    /** The transaction writing a projected batch; {@code locked} completes once it holds the cursor's lock. */
    private Future<BatchResult> commit(LogBatch batch, BlockTimes times, MirrorChanges changes, Promise<Void> locked) {
        return pool.withTransaction(conn -> lockCursor(conn).compose(cursor -> {
            // without a cursor row (the first batch) there is no row lock to queue behind: the next batch waits for
            // this one to end instead
            if (cursor.isPresent()) locked.tryComplete();
            if (cursor.isPresent() && batch.fromBlock() <= cursor.get()) {
                return Future.succeededFuture(new BatchResult(false, 0, cursor.get(), null));
            }
            if (cursor.isPresent() && batch.fromBlock() != cursor.get() + 1) {
                return Future.failedFuture(new IllegalStateException("batch #" + batch.fromBlock() + "..#"
                        + batch.toBlock() + " does not follow the cursor #" + cursor.get() + ": blocks would be missed"));
            }
            // every statement sent at once (the connection pipelines them in order), then awaited together
            List<Future<?>> writes = new ArrayList<>();
            writeChanges(conn, changes, writes);
            writeBlocksAndCursor(conn, batch, times, writes);
            return Future.all(writes).map(ignored -> new BatchResult(true, changes.size(), batch.toBlock(), changes));
        }));
    }

    /**
     * Undoes everything above {@code ancestor}: deletes the history, prices, liquidations, insurance events, guard
     * top-ups, block headers and block times above it, rebuilds the current vaults, markets, tiers, lenders,
     * operators, risk changes and guard policies they touched from the latest history that remains (deleting those
     * with none), and sets the cursor to {@code ancestor} (with its time); atomically.
     */
    public Future<Void> rollbackTo(BlockRef ancestor) {
        forgetRows();
        return pool.withTransaction(conn -> lockCursor(conn)
                .compose(ignored -> conn.query(Tables.rollbackScript(ancestor.number())).execute())
                .compose(ignored -> write(conn, Tables.UPSERT_BLOCK, List.of(ancestor), MirrorStore::blockTuple))
                .compose(ignored -> write(conn, Tables.UPSERT_BLOCK_TIME, List.of(ancestor),
                        b -> Tuple.of(b.number(), b.timestamp())))
                .compose(ignored -> saveCursor(conn, ancestor.number(), ancestor.hash(), ancestor.timestamp()))
                .<Void>mapEmpty()).andThen(ignored -> forgetRows());
    }

    /**
     * Drops the rows kept in memory before the next batch is projected (once no commit is in flight): for a caller
     * that resumes from the committed cursor, or wrote the mirror by other means.
     */
    public void forgetRows() {
        synchronized (pipeline) {
            rowsSpoiled = true;
        }
    }

    /* INTERNALS */

    private static Future<Optional<Long>> lockCursor(SqlConnection conn) {
        return conn.query("SELECT block_number FROM cursor FOR UPDATE").execute()
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getLong(0)));
    }

    private static Future<Map<Long, GuardPolicyRow>> loadPolicies(SqlConnection conn, Set<Long> vaultIds) {
        return loadByVault(conn, "guard_policies", vaultIds, Tables::policy);
    }

    /** The rows of {@code table} (keyed by {@code vault_id}) of {@code vaultIds}, by vault id. */
    private static <R> Future<Map<Long, R>> loadByVault(SqlConnection conn, String table, Set<Long> vaultIds,
            Function<Row, R> row) {
        if (vaultIds.isEmpty()) return Future.succeededFuture(Map.of());
        return conn.preparedQuery("SELECT * FROM " + table + " WHERE vault_id = ANY($1)")
                .execute(Tuple.of(vaultIds.toArray(Long[]::new))).map(rows -> {
                    Map<Long, R> byId = new HashMap<>();
                    rows.forEach(r -> byId.put(r.getLong("vault_id"), row.apply(r)));
                    return byId;
                });
    }

    /** The latest {@value GuardWindow#MAX_TOP_UPS_PER_DAY} top-ups of each vault: all its rolling cap can count. */
    private static Future<Map<Long, List<TopUpRow>>> loadRecentTopUps(SqlConnection conn, Set<Long> vaultIds) {
        if (vaultIds.isEmpty()) return Future.succeededFuture(Map.of());
        return conn.preparedQuery("SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY vault_id"
                        + " ORDER BY block_number DESC, log_index DESC) AS recent FROM guard_top_ups"
                        + " WHERE vault_id = ANY($1)) t WHERE recent <= $2 ORDER BY block_number, log_index")
                .execute(Tuple.of(vaultIds.toArray(Long[]::new), GuardWindow.MAX_TOP_UPS_PER_DAY)).map(rows -> {
                    Map<Long, List<TopUpRow>> byId = new HashMap<>();
                    rows.forEach(r -> byId.computeIfAbsent(r.getLong("vault_id"), k -> new ArrayList<>())
                            .add(Tables.topUp(r)));
                    return byId;
                });
    }

    private static Future<Map<Long, MarketRow>> loadMarkets(SqlConnection conn) {
        return conn.query("SELECT * FROM markets").execute().map(rows -> {
            Map<Long, MarketRow> byId = new HashMap<>();
            rows.forEach(r -> byId.put(r.getLong("market_id"), Tables.market(r)));
            return byId;
        });
    }

    private static Future<Map<Long, RiskChangeRow>> loadPendingRisk(SqlConnection conn) {
        return conn.query("SELECT * FROM risk_changes WHERE status = 'proposed'").execute().map(rows -> {
            Map<Long, RiskChangeRow> pending = new HashMap<>();
            rows.forEach(r -> pending.put(r.getLong("market_id"), Tables.riskChange(r)));
            return pending;
        });
    }

    private static Future<Map<Long, VaultRow>> loadVaults(SqlConnection conn, Set<Long> vaultIds) {
        return loadByVault(conn, "vaults", vaultIds, Tables::vault);
    }

    /** Sends the statements writing {@code c}, adding their futures to {@code writes}. */
    private static void writeChanges(SqlConnection conn, MirrorChanges c, List<Future<?>> writes) {
        writes.add(write(conn, Tables.INSERT_MARKET_HISTORY, c.markets(), Tables::marketHistory));
        writes.add(write(conn, Tables.UPSERT_MARKET,
                latest(c.markets(), m -> m.after().marketId(), MirrorChanges.MarketChange::after), Tables::market));
        writes.add(write(conn, Tables.INSERT_TIER_HISTORY, c.tiers(), Tables::tierHistory));
        writes.add(write(conn, Tables.UPSERT_TIER, latest(c.tiers(), t -> List.of(t.after().marketId(),
                t.after().index()), MirrorChanges.TierChange::after), Tables::tier));
        writes.add(write(conn, Tables.INSERT_VAULT_HISTORY, c.vaults(), Tables::vaultHistory));
        writes.add(write(conn, Tables.UPSERT_VAULT,
                latest(c.vaults(), x -> x.after().vaultId(), MirrorChanges.VaultChange::after), Tables::vault));
        writes.add(write(conn, Tables.INSERT_LENDER_HISTORY, c.lenders(), Tables::lenderHistory));
        writes.add(write(conn, Tables.UPSERT_LENDER, latest(c.lenders(), l -> List.of(l.after().marketId(),
                l.after().lender()), MirrorChanges.LenderChange::after), Tables::lender));
        writes.add(write(conn, Tables.INSERT_OPERATOR_HISTORY, c.operators(), Tables::operatorHistory));
        writes.add(write(conn, Tables.UPSERT_OPERATOR, latest(c.operators(), o -> List.of(o.after().owner(),
                o.after().operator()), MirrorChanges.OperatorChange::after), Tables::operator));
        writes.add(write(conn, Tables.INSERT_PRICE, c.prices(), Tables::price));
        writes.add(write(conn, Tables.INSERT_LIQUIDATION, c.liquidations(), Tables::liquidation));
        writes.add(write(conn, Tables.INSERT_INSURANCE, c.insuranceEvents(), Tables::insurance));
        writes.add(write(conn, Tables.INSERT_RISK_CHANGE_HISTORY, c.riskChanges(), Tables::riskChangeHistory));
        writes.add(write(conn, Tables.UPSERT_RISK_CHANGE, latest(c.riskChanges(), r -> List.of(
                r.after().proposedBlock(), r.after().proposedLogIndex()), MirrorChanges.RiskChange::after),
                Tables::riskChange));
        writes.add(write(conn, Tables.INSERT_GUARD_POLICY_HISTORY, c.policies(), Tables::policyHistory));
        writes.add(write(conn, Tables.UPSERT_GUARD_POLICY,
                latest(c.policies(), p -> p.after().vaultId(), MirrorChanges.PolicyChange::after), Tables::policy));
        writes.add(write(conn, Tables.INSERT_TOP_UP, c.topUps(), Tables::topUp));
    }

    /** Headers of the batch's unfinalized blocks (a final batch means every kept header is final: all go) and the
     * cursor, with its time when known. */
    private void writeBlocksAndCursor(SqlConnection conn, LogBatch b, BlockTimes times, List<Future<?>> writes) {
        String cursorHash = null;
        if (b.blocks().isEmpty()) {
            writes.add(conn.query("DELETE FROM blocks").execute());
        } else {
            BlockRef last = b.blocks().getLast();
            cursorHash = last.number() == b.toBlock() ? last.hash() : null;
            writes.add(write(conn, Tables.UPSERT_BLOCK, b.blocks(), MirrorStore::blockTuple));
            writes.add(conn.preparedQuery("DELETE FROM blocks WHERE number <= $1")
                    .execute(Tuple.of(b.toBlock() - reorgWindow)));
        }
        java.util.OptionalLong time = times.at(b.toBlock());
        Long timestamp = time.isPresent() ? time.getAsLong() : null;
        writes.add(write(conn, Tables.UPSERT_BLOCK_TIME, blockTimeRows(b, times), t -> Tuple.of(t[0], t[1])));
        writes.add(saveCursor(conn, b.toBlock(), cursorHash, timestamp));
    }

    /** The times to keep for {@code b}: of each block holding one of its logs and of its last block, where known. */
    private static List<long[]> blockTimeRows(LogBatch b, BlockTimes times) {
        java.util.TreeSet<Long> numbers = new java.util.TreeSet<>();
        long last = -1;
        for (org.web3j.protocol.core.methods.response.Log l : b.logs()) { // ordered by block: one add a block
            long n = l.getBlockNumber().longValueExact();
            if (n != last) numbers.add(n);
            last = n;
        }
        numbers.add(b.toBlock());
        List<long[]> rows = new ArrayList<>();
        for (long n : numbers) times.at(n).ifPresent(t -> rows.add(new long[] {n, t}));
        return rows;
    }

    private static Future<Void> saveCursor(SqlConnection conn, long number, String hash, Long timestamp) {
        return conn.preparedQuery("INSERT INTO cursor (block_number, block_hash, block_timestamp) VALUES ($1, $2, $3)"
                        + " ON CONFLICT (singleton) DO UPDATE SET block_number = EXCLUDED.block_number,"
                        + " block_hash = EXCLUDED.block_hash, block_timestamp = EXCLUDED.block_timestamp")
                .execute(Tuple.of(number, hash, timestamp)).mapEmpty();
    }

    private static Tuple blockTuple(BlockRef b) {
        return Tuple.of(b.number(), b.hash(), b.parentHash(), b.timestamp());
    }

    /**
     * Writes all {@code rows} with {@code statement}: one statement whatever their number (see {@link Write}).
     * Nothing when there are no rows. Rows of an upsert must have distinct keys ({@link #latest}).
     */
    private static <T> Future<Void> write(SqlConnection conn, Write statement, List<T> rows,
            Function<T, Tuple> toTuple) {
        if (rows.isEmpty()) return Future.succeededFuture();
        List<Tuple> tuples = new ArrayList<>(rows.size());
        for (T row : rows) tuples.add(toTuple.apply(row));
        return conn.preparedQuery(statement.sql).execute(statement.params(tuples)).mapEmpty();
    }

    /** The last row per key, in first-seen key order. */
    private static <C, R> List<R> latest(List<C> changes, Function<C, Object> key, Function<C, R> row) {
        Map<Object, R> byKey = new LinkedHashMap<>();
        changes.forEach(c -> byKey.put(key.apply(c), row.apply(c)));
        return List.copyOf(byKey.values());
    }
}
