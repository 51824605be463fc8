package io.isomargin.indexer.store;

import io.isomargin.abi.math.TierState;
import io.isomargin.indexer.projection.EventRef;
import io.isomargin.indexer.projection.GuardPolicyRow;
import io.isomargin.indexer.projection.GuardWindow;
import io.isomargin.indexer.projection.MarketRow;
import io.isomargin.indexer.projection.MirrorChanges.InsuranceEvent;
import io.isomargin.indexer.projection.MirrorChanges.LenderRow;
import io.isomargin.indexer.projection.MirrorChanges.LiquidationRow;
import io.isomargin.indexer.projection.MirrorChanges.PolicyChange;
import io.isomargin.indexer.projection.MirrorChanges.PriceRow;
import io.isomargin.indexer.projection.RiskChangeRow;
import io.isomargin.indexer.projection.TopUpRow;
import io.isomargin.indexer.projection.VaultRow;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The read side of the mirror, for the query API: every read runs inside one read-only REPEATABLE READ transaction
 * ({@link #read}), so the rows of one answer all come from the same committed batch even while the indexer writes.
 */
public final class MirrorReader {
    private final Pool pool;

    public MirrorReader(Pool pool) {
        this.pool = Objects.requireNonNull(pool, "pool");
    }

    /**
     * The block the mirror stands at. {@code timestamp} is that block's time when the mirror knows it (its header is
     * stored, the recent unfinalized blocks, or the cursor recorded it, as it does with a margin guard), else the
     * latest time the mirror has seen (a market's last accrual or an oracle update); empty before the first batch.
     */
    public record AsOf(long block, long timestamp) {}

    /** Vault filters of {@code /vaults}; null fields do not filter. */
    public record VaultFilter(Long marketId, String owner, Boolean closed) {}

    /** Runs {@code work} in one consistent snapshot of the mirror. */
    public <T> Future<T> read(Function<Snapshot, Future<T>> work) {
        return pool.withConnection(conn -> conn.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").execute()
                .compose(begun -> work.apply(new Snapshot(conn)))
                .transform(result -> conn.query(result.succeeded() ? "COMMIT" : "ROLLBACK").execute()
                        .transform(ended -> result.succeeded() ? Future.succeededFuture(result.result())
                                : Future.failedFuture(result.cause()))));
    }

    /** Queries bound to one transaction; valid only inside {@link #read}. */
    public static final class Snapshot {
        private final SqlConnection conn;

        private Snapshot(SqlConnection conn) {
            this.conn = conn;
        }

        public Future<Optional<AsOf>> asOf() {
            return query("SELECT c.block_number, COALESCE(b.timestamp, c.block_timestamp),"
                    + " GREATEST((SELECT max(last_accrual) FROM markets), (SELECT max(updated_at) FROM prices)) AS seen"
                    + " FROM cursor c LEFT JOIN blocks b ON b.number = c.block_number", Tuple.tuple())
                    .map(rows -> first(rows).map(r -> new AsOf(r.getLong(0),
                            r.getLong(1) != null ? r.getLong(1) : r.getLong(2) == null ? 0 : r.getLong(2))));
        }

        public Future<List<MarketRow>> markets() {
            return query("SELECT * FROM markets ORDER BY market_id", Tuple.tuple())
                    .map(rows -> map(rows, Tables::market));
        }

        public Future<Optional<MarketRow>> market(long marketId) {
            return query("SELECT * FROM markets WHERE market_id = $1", Tuple.of(marketId))
                    .map(rows -> first(rows).map(Tables::market));
        }

        /** Every market's tiers in index order. */
        public Future<Map<Long, List<TierState>>> tiers() {
            return query("SELECT market_id, min_value, im_bps, mm_from_bps, mm_to_bps FROM market_tiers"
                    + " ORDER BY market_id, idx", Tuple.tuple()).map(rows -> {
                        Map<Long, List<TierState>> byMarket = new HashMap<>();
                        for (Row r : rows) {
                            byMarket.computeIfAbsent(r.getLong("market_id"), k -> new ArrayList<>()).add(tier(r));
                        }
                        return byMarket;
                    });
        }

        /** The pending ({@code proposed}) risk change of every market that has one, by market id. */
        public Future<Map<Long, RiskChangeRow>> pendingRiskChanges() {
            return query("SELECT * FROM risk_changes WHERE status = 'proposed'", Tuple.tuple()).map(rows -> {
                Map<Long, RiskChangeRow> byMarket = new HashMap<>();
                for (Row r : rows) byMarket.put(r.getLong("market_id"), Tables.riskChange(r));
                return byMarket;
            });
        }

        /**
         * Up to {@code limit} risk changes of {@code marketId}, newest first, before position ({@code beforeBlock},
         * {@code beforeLogIndex}) of their making; {@code status} null for all.
         */
        public Future<List<RiskChangeRow>> riskChanges(long marketId, RiskChangeRow.Status status, long beforeBlock,
                int beforeLogIndex, int limit) {
            return query("SELECT * FROM risk_changes WHERE market_id = $1 AND ($2::text IS NULL OR status = $2)"
                    + " AND (proposed_block, proposed_log_index) < ($3, $4)"
                    + " ORDER BY proposed_block DESC, proposed_log_index DESC LIMIT $5",
                    Tuple.of(marketId, status == null ? null : status.column(), beforeBlock, beforeLogIndex, limit))
                    .map(rows -> map(rows, Tables::riskChange));
        }

        /** Every market's latest oracle update. */
        public Future<Map<Long, PriceRow>> latestPrices() {
            return query("SELECT DISTINCT ON (market_id) * FROM prices"
                    + " ORDER BY market_id, block_number DESC, log_index DESC", Tuple.tuple()).map(rows -> {
                        Map<Long, PriceRow> prices = new HashMap<>();
                        for (Row r : rows) prices.put(r.getLong("market_id"), price(r));
                        return prices;
                    });
        }

        /** How many open (not closed) vaults each market has. */
        public Future<Map<Long, Long>> openVaultCounts() {
            return query("SELECT market_id, count(*) FROM vaults WHERE NOT closed GROUP BY market_id", Tuple.tuple())
                    .map(rows -> {
                        Map<Long, Long> counts = new HashMap<>();
                        for (Row r : rows) counts.put(r.getLong(0), r.getLong(1));
                        return counts;
                    });
        }

        public Future<Optional<VaultRow>> vault(long vaultId) {
            return query("SELECT * FROM vaults WHERE vault_id = $1", Tuple.of(vaultId))
                    .map(rows -> first(rows).map(Tables::vault));
        }

        /** Up to {@code limit} vaults matching {@code f} with ids above {@code afterId}, in id order. */
        public Future<List<VaultRow>> vaults(VaultFilter f, long afterId, int limit) {
            return query("SELECT * FROM vaults WHERE vault_id > $1 AND ($2::bigint IS NULL OR market_id = $2)"
                    + " AND ($3::text IS NULL OR owner = $3) AND ($4::boolean IS NULL OR closed = $4)"
                    + " ORDER BY vault_id LIMIT $5", Tuple.of(afterId, f.marketId(), f.owner(), f.closed(), limit))
                    .map(rows -> map(rows, Tables::vault));
        }

        /** Every open vault of {@code marketId} that has debt. */
        public Future<List<VaultRow>> indebtedVaults(long marketId) {
            return query("SELECT * FROM vaults WHERE market_id = $1 AND NOT closed AND debt_shares > 0"
                    + " ORDER BY vault_id", Tuple.of(marketId)).map(rows -> map(rows, Tables::vault));
        }

        /**
         * Up to {@code limit} liquidations from block {@code sinceBlock} on, in chain order after position
         * ({@code afterBlock}, {@code afterLogIndex}), or with {@code newestFirst} in reverse chain order before it;
         * {@code marketId} null for all markets.
         */
        public Future<List<LiquidationRow>> liquidations(Long marketId, long sinceBlock, long afterBlock,
                int afterLogIndex, int limit, boolean newestFirst) {
            return query("SELECT * FROM liquidations WHERE ($1::bigint IS NULL OR market_id = $1)"
                    + " AND block_number >= $2 AND (block_number, log_index) " + (newestFirst ? "<" : ">")
                    + " ($3, $4) ORDER BY block_number" + (newestFirst ? " DESC" : "") + ", log_index"
                    + (newestFirst ? " DESC" : "") + " LIMIT $5",
                    Tuple.of(marketId, sinceBlock, afterBlock, afterLogIndex, limit))
                    .map(rows -> map(rows, MirrorReader::liquidation));
        }

        /** The vault's guard policy row (active or revoked), if it ever had one. */
        public Future<Optional<GuardPolicyRow>> policy(long vaultId) {
            return query("SELECT * FROM guard_policies WHERE vault_id = $1", Tuple.of(vaultId))
                    .map(rows -> first(rows).map(Tables::policy));
        }

        /** The active guard policies of {@code vaultIds}, by vault id. */
        public Future<Map<Long, GuardPolicyRow>> activePolicies(Collection<Long> vaultIds) {
            if (vaultIds.isEmpty()) return Future.succeededFuture(Map.of());
            return query("SELECT * FROM guard_policies WHERE status = 'active' AND vault_id = ANY($1)",
                    Tuple.of(vaultIds.toArray(Long[]::new))).map(MirrorReader::policiesById);
        }

        /** The active guard policies of the vaults of {@code marketId}, by vault id. */
        public Future<Map<Long, GuardPolicyRow>> activePolicies(long marketId) {
            return query("SELECT p.* FROM guard_policies p JOIN vaults v ON v.vault_id = p.vault_id"
                    + " WHERE p.status = 'active' AND v.market_id = $1", Tuple.of(marketId))
                    .map(MirrorReader::policiesById);
        }

        /**
         * How much of their rolling 24-hour caps the top-ups of {@code vaultIds} use at time {@code now} (the guard's
         * {@code usedLast24h} of each mode), by vault id; vaults without a top-up in the window are left out.
         */
        public Future<Map<Long, GuardWindow.Usage>> guardUsage(Collection<Long> vaultIds, long now) {
            if (vaultIds.isEmpty()) return Future.succeededFuture(Map.of());
            return query("SELECT vault_id,"
                    + " coalesce(sum(taken) FILTER (WHERE mode = 'deposit_collateral'), 0) AS used_deposit,"
                    + " coalesce(sum(taken) FILTER (WHERE mode = 'repay_debt'), 0) AS used_repay,"
                    + " count(*) AS n, min(block_timestamp) AS oldest"
                    + " FROM guard_top_ups WHERE vault_id = ANY($1) AND block_timestamp > $2 AND block_timestamp <= $3"
                    + " GROUP BY vault_id", Tuple.of(vaultIds.toArray(Long[]::new), now - GuardWindow.DAY, now))
                    .map(rows -> {
                        Map<Long, GuardWindow.Usage> usage = new HashMap<>();
                        for (Row r : rows) {
                            usage.put(r.getLong("vault_id"), new GuardWindow.Usage(Tables.big(r, "used_deposit"),
                                    Tables.big(r, "used_repay"), r.getLong("n").intValue(),
                                    r.getLong("oldest")));
                        }
                        return usage;
                    });
        }

        /** Up to {@code limit} of the vault's policy changes (set, replaced, revoked), newest first. */
        public Future<List<PolicyChange>> policyHistory(long vaultId, int limit) {
            return query("SELECT * FROM guard_policy_history WHERE vault_id = $1"
                    + " ORDER BY block_number DESC, log_index DESC LIMIT $2", Tuple.of(vaultId, limit))
                    .map(rows -> map(rows, r -> new PolicyChange(new EventRef(r.getLong("block_number"),
                            r.getInteger("log_index"), "", r.getString("tx_hash"), "guard"),
                            PolicyChange.Action.of(r.getString("action")), Tables.policy(r))));
        }

        /** How many top-ups the vault had. */
        public Future<Long> topUpCount(long vaultId) {
            return query("SELECT count(*) FROM guard_top_ups WHERE vault_id = $1", Tuple.of(vaultId))
                    .map(rows -> rows.iterator().next().getLong(0));
        }

        /**
         * Up to {@code limit} guard top-ups from block {@code sinceBlock} on, in chain order after position
         * ({@code afterBlock}, {@code afterLogIndex}), or with {@code newestFirst} in reverse chain order before it;
         * {@code vaultId} and {@code marketId} null for all.
         */
        public Future<List<TopUpRow>> topUps(Long vaultId, Long marketId, long sinceBlock, long afterBlock,
                int afterLogIndex, int limit, boolean newestFirst) {
            return query("SELECT * FROM guard_top_ups WHERE ($1::bigint IS NULL OR vault_id = $1)"
                    + " AND ($2::bigint IS NULL OR market_id = $2)"
                    + " AND block_number >= $3 AND (block_number, log_index) " + (newestFirst ? "<" : ">")
                    + " ($4, $5) ORDER BY block_number" + (newestFirst ? " DESC" : "") + ", log_index"
                    + (newestFirst ? " DESC" : "") + " LIMIT $6",
                    Tuple.of(vaultId, marketId, sinceBlock, afterBlock, afterLogIndex, limit))
                    .map(rows -> map(rows, Tables::topUp));
        }

        /** Up to {@code limit} events of vault {@code vaultId}, newest first, before ({@code beforeBlock}, {@code
         * beforeLogIndex}). */
        public Future<List<VaultEvent>> vaultHistory(long vaultId, long beforeBlock, int beforeLogIndex, int limit) {
            return query("SELECT * FROM vault_history WHERE vault_id = $1 AND (block_number, log_index) < ($2, $3)"
                    + " ORDER BY block_number DESC, log_index DESC LIMIT $4",
                    Tuple.of(vaultId, beforeBlock, beforeLogIndex, limit)).map(rows -> map(rows, r -> new VaultEvent(
                            new EventRef(r.getLong("block_number"), r.getInteger("log_index"), "",
                                    r.getString("tx_hash"), r.getString("event")),
                            Tables.big(r, "collateral_before"), Tables.big(r, "collateral_after"),
                            Tables.big(r, "debt_shares_before"), Tables.big(r, "debt_shares_after"),
                            r.getBoolean("closed"))));
        }

        /** Up to {@code limit} oracle answers of {@code marketId}, newest first, before a position. */
        public Future<List<PriceRow>> prices(long marketId, long beforeBlock, int beforeLogIndex, int limit) {
            return query("SELECT * FROM prices WHERE market_id = $1 AND (block_number, log_index) < ($2, $3)"
                    + " ORDER BY block_number DESC, log_index DESC LIMIT $4",
                    Tuple.of(marketId, beforeBlock, beforeLogIndex, limit)).map(rows -> map(rows, MirrorReader::price));
        }

        /**
         * Up to {@code limit} insurance-fund movements of {@code marketId}, newest first, before position
         * ({@code beforeBlock}, {@code beforeLogIndex}, {@code beforeKind}: one log may both pay a protocol fee and
         * cover bad debt, so the kind is part of the position; "~" sorts after every kind).
         */
        public Future<List<InsuranceEvent>> insurance(long marketId, long beforeBlock, int beforeLogIndex,
                String beforeKind, int limit) {
            return query("SELECT * FROM insurance_events WHERE market_id = $1"
                    + " AND (block_number, log_index, kind COLLATE \"C\") < ($2, $3, $4 COLLATE \"C\")"
                    + " ORDER BY block_number DESC, log_index DESC, kind COLLATE \"C\" DESC LIMIT $5",
                    Tuple.of(marketId, beforeBlock, beforeLogIndex, beforeKind, limit)).map(rows -> map(rows, r -> {
                        InsuranceEvent.Kind kind = java.util.Arrays.stream(InsuranceEvent.Kind.values())
                                .filter(k -> k.column().equals(r.getString("kind"))).findFirst().orElseThrow();
                        return new InsuranceEvent(new EventRef(r.getLong("block_number"), r.getInteger("log_index"),
                                "", r.getString("tx_hash"), kind.column()), r.getLong("market_id"), kind,
                                Tables.big(r, "amount"), r.getString("account"));
                    }));
        }

        /** The lenders of {@code marketId} with supply shares, most shares first (then by address), at most
         * {@code limit}. */
        public Future<List<LenderRow>> lenders(long marketId, int limit) {
            return query("SELECT * FROM lenders WHERE market_id = $1 AND shares > 0 ORDER BY shares DESC, lender"
                    + " LIMIT $2", Tuple.of(marketId, limit)).map(rows -> map(rows, r -> new LenderRow(
                            r.getLong("market_id"), r.getString("lender"), Tables.big(r, "shares"),
                            r.getLong("updated_block"))));
        }

        /** Every market's tokens (their metadata where read, see {@link io.isomargin.abi.tokens.TokenReader}) and
         * price scale, by market id. */
        public Future<Map<Long, MarketTokens>> marketTokens() {
            return query("SELECT m.market_id, m.loan_token, m.collateral_token, m.price_scale,"
                    + " l.symbol AS l_symbol, l.decimals AS l_decimals, l.symbol_source AS l_source,"
                    + " c.symbol AS c_symbol, c.decimals AS c_decimals, c.symbol_source AS c_source"
                    + " FROM markets m LEFT JOIN tokens l ON l.address = m.loan_token"
                    + " LEFT JOIN tokens c ON c.address = m.collateral_token", Tuple.tuple()).map(rows -> {
                        Map<Long, MarketTokens> out = new HashMap<>();
                        for (Row r : rows) {
                            out.put(r.getLong("market_id"), new MarketTokens(r.getLong("market_id"),
                                    token(r, "loan_token", "l_"), token(r, "collateral_token", "c_"),
                                    Tables.big(r, "price_scale")));
                        }
                        return out;
                    });
        }

        /** The stored times (seconds) of {@code blocks}, by number; blocks without one are left out. */
        public Future<Map<Long, Long>> blockTimes(Collection<Long> blocks) {
            if (blocks.isEmpty()) return Future.succeededFuture(Map.of());
            return query("SELECT number, timestamp FROM block_times WHERE number = ANY($1)",
                    Tuple.of(blocks.toArray(Long[]::new))).map(rows -> {
                        Map<Long, Long> out = new HashMap<>();
                        for (Row r : rows) out.put(r.getLong(0), r.getLong(1));
                        return out;
                    });
        }

        private Future<RowSet<Row>> query(String sql, Tuple args) {
            return conn.preparedQuery(sql).execute(args);
        }
    }

    /**
     * A market's tokens and price scale, as {@link Snapshot#marketTokens} reads them: what the API names the market and
     * formats its amounts in.
     *
     * @param loan       the loan token's metadata (a token not read yet is named by its short address, decimals
     *                   unknown)
     * @param collateral the collateral token's, likewise
     */
    public record MarketTokens(long marketId, io.isomargin.abi.tokens.TokenMetadata loan,
            io.isomargin.abi.tokens.TokenMetadata collateral, java.math.BigInteger priceScale) {}

    /** One event of a vault, with its collateral and debt shares before and after. */
    public record VaultEvent(EventRef at, java.math.BigInteger collateralBefore, java.math.BigInteger collateralAfter,
            java.math.BigInteger debtSharesBefore, java.math.BigInteger debtSharesAfter, boolean closed) {}

    /** A market token's metadata from a {@link Snapshot#marketTokens} row; not read yet: named by its short address,
     * decimals unknown. */
    private static io.isomargin.abi.tokens.TokenMetadata token(Row r, String addressColumn, String prefix) {
        String address = r.getString(addressColumn);
        String symbol = r.getString(prefix + "symbol");
        if (symbol == null) {
            return new io.isomargin.abi.tokens.TokenMetadata(address,
                    io.isomargin.abi.tokens.TokenMetadata.shortAddress(address), null,
                    io.isomargin.abi.tokens.TokenMetadata.Source.ADDRESS);
        }
        Short decimals = r.getShort(prefix + "decimals");
        return new io.isomargin.abi.tokens.TokenMetadata(address, symbol, decimals == null ? null : (int) decimals,
                io.isomargin.abi.tokens.TokenMetadata.Source.of(r.getString(prefix + "source")));
    }

    private static TierState tier(Row r) {
        return new TierState(Tables.big(r, "min_value"), r.getInteger("im_bps"), r.getInteger("mm_from_bps"),
                r.getInteger("mm_to_bps"));
    }

    private static PriceRow price(Row r) {
        return new PriceRow(r.getLong("market_id"), r.getLong("block_number"), r.getInteger("log_index"),
                r.getString("tx_hash"), Tables.big(r, "answer"), Tables.big(r, "round_id"),
                r.getLong("updated_at"));
    }

    private static LiquidationRow liquidation(Row r) {
        EventRef at = new EventRef(r.getLong("block_number"), r.getInteger("log_index"), "", r.getString("tx_hash"),
                "Liquidated");
        return new LiquidationRow(at, r.getLong("vault_id"), r.getLong("market_id"), r.getString("liquidator"),
                Tables.big(r, "repaid_assets"), Tables.big(r, "repaid_shares"),
                Tables.big(r, "seized_collateral"), Tables.big(r, "protocol_fee"),
                Tables.big(r, "collateral_after"), Tables.big(r, "debt_shares_after"),
                Tables.big(r, "bad_debt"), Tables.big(r, "covered_by_insurance"),
                Tables.big(r, "socialized"));
    }

    private static Map<Long, GuardPolicyRow> policiesById(RowSet<Row> rows) {
        Map<Long, GuardPolicyRow> byId = new HashMap<>();
        for (Row r : rows) byId.put(r.getLong("vault_id"), Tables.policy(r));
        return byId;
    }

    private static <T> List<T> map(RowSet<Row> rows, Function<Row, T> f) {
        List<T> out = new ArrayList<>(rows.size());
        for (Row r : rows) out.add(f.apply(r));
        return out;
    }

    private static Optional<Row> first(RowSet<Row> rows) {
        return rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next());
    }
}
