package io.isomargin.keeper.book;

import io.isomargin.abi.follower.BlockRef;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.math.LiquidationMath;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.RateModel;
import io.isomargin.abi.math.TierState;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.response.EthBlock;

/**
 * Loads the book from the indexer's PostgreSQL mirror ({@code indexer/src/main/resources/db/migration}): the
 * {@code markets}, {@code market_tiers}, open {@code vaults} and latest {@code prices} of the followed markets at the
 * mirror's cursor, with the stored recent block headers, in one read-only repeatable-read transaction (the indexer
 * commits data and cursor together, so the read is the state at the end of the cursor block).
 *
 * <p>The mirror holds no margin-guard policies the keeper can rely on: with a guard to follow, the policies at the
 * cursor block are read from the guard's own logs ({@link GuardPolicyReader}) and kept for the snapshot's vaults.
 *
 * <p>The keeper then follows the chain itself from the cursor block on (see {@link BookFollower}); the mirror is only
 * the cold start. {@link #snapshotFrom} serves a reorg that reaches below the snapshot: it waits until the indexer has
 * rolled back and re-committed the new branch up to at least the common ancestor, then reads again.
 */
public final class MirrorSnapshotReader implements SnapshotSource {
    /** Where the mirror is. */
    public record Database(String jdbcUrl, String user, String password) {
        /** The database {@code url} names. */
        public static Database of(io.isomargin.abi.config.PostgresUrl url) {
            return new Database(url.jdbcUrl(), url.user(), url.password());
        }

        public Database {
            Objects.requireNonNull(jdbcUrl, "database.url");
            if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException("database.url must be a jdbc:postgresql: URL, got " + jdbcUrl);
            }
        }
    }

    /** The default range for the guard's policy logs (the follower's default {@code max-range}). */
    private static final int GUARD_LOG_RANGE = 2_000;

    private final Database database;
    private final BookScope scope;
    private final RpcClient rpc;
    private final Duration catchUpTimeout;
    private final GuardPolicyReader guardPolicies; // null when the scope follows no guard

    /**
     * @param rpc            to check that a re-read mirror is on the chain's current branch (and to read the guard's
     *                       policies when the scope follows a guard)
     * @param catchUpTimeout how long {@link #snapshotFrom} waits for the indexer to reach the new branch
     */
    public MirrorSnapshotReader(Database database, BookScope scope, RpcClient rpc, Duration catchUpTimeout) {
        this(database, scope, rpc, catchUpTimeout, GUARD_LOG_RANGE);
    }

    /** @param guardLogRange the largest {@code eth_getLogs} range for the guard's policy logs */
    public MirrorSnapshotReader(Database database, BookScope scope, RpcClient rpc, Duration catchUpTimeout,
            int guardLogRange) {
        this.database = Objects.requireNonNull(database, "database");
        this.scope = Objects.requireNonNull(scope, "scope");
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.catchUpTimeout = Objects.requireNonNull(catchUpTimeout, "catchUpTimeout");
        this.guardPolicies = scope.guard().map(g -> new GuardPolicyReader(rpc, g, scope.deployBlock(), guardLogRange))
                .orElse(null);
    }

    /**
     * The mirror at its cursor.
     *
     * @throws IllegalStateException when the mirror belongs to another engine or has indexed nothing yet
     */
    public BookSnapshot read() throws SQLException {
        try (Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password())) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            BookSnapshot s;
            try {
                s = read(c);
            } finally {
                c.rollback();
            }
            return guardPolicies == null ? s : withPolicies(s);
        }
    }

    /** The guard's policies at the snapshot's block, for the snapshot's vaults. */
    private BookSnapshot withPolicies(BookSnapshot s) {
        Map<Long, GuardPolicy> all = guardPolicies.at(s.block());
        List<GuardPolicy> kept = new ArrayList<>();
        for (VaultPosition v : s.vaults()) {
            GuardPolicy p = all.get(v.id());
            if (p != null) kept.add(p);
        }
        return s.withPolicies(kept);
    }

    @Override
    public BookSnapshot snapshotFrom(BlockRef ancestor) throws Exception {
        long deadline = System.nanoTime() + catchUpTimeout.toNanos();
        while (true) {
            BookSnapshot s = read();
            if (s.block() >= ancestor.number() && canonical(s)) return s;
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the mirror did not reach the chain's new branch above #"
                        + ancestor.number() + " within " + catchUpTimeout + " (its cursor: #" + s.block() + ")");
            }
            Thread.sleep(200);
        }
    }

    /** Whether the snapshot's block is on the chain's current branch (a final cursor block has no stored hash). */
    private boolean canonical(BookSnapshot s) {
        if (s.recentBlocks().isEmpty()) return true;
        BlockRef tip = s.recentBlocks().getLast();
        EthBlock.Block b = rpc.call(w -> w.ethGetBlockByNumber(
                DefaultBlockParameter.valueOf(BigInteger.valueOf(tip.number())), false)).getBlock();
        return b != null && b.getHash().equalsIgnoreCase(tip.hash());
    }

    private BookSnapshot read(Connection c) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT engine FROM indexer_meta");
                ResultSet r = q.executeQuery()) {
            if (!r.next()) throw new IllegalStateException("the mirror at " + database.jdbcUrl() + " is empty");
            if (!scope.engine().equalsIgnoreCase(r.getString(1))) {
                throw new IllegalStateException("the mirror at " + database.jdbcUrl() + " mirrors engine "
                        + r.getString(1) + ", not the configured " + scope.engine());
            }
        }
        long cursor;
        try (PreparedStatement q = c.prepareStatement("SELECT block_number FROM cursor");
                ResultSet r = q.executeQuery()) {
            if (!r.next()) throw new IllegalStateException("the mirror has no cursor: the indexer has not committed "
                    + "anything yet");
            cursor = r.getLong(1);
        }
        Long[] ids = scope.oracleByMarket().keySet().toArray(Long[]::new);
        Array marketIds = c.createArrayOf("bigint", ids);

        Map<Long, List<TierState>> tiers = new HashMap<>();
        try (PreparedStatement q = c.prepareStatement("SELECT market_id, idx, min_value, im_bps, mm_from_bps, "
                + "mm_to_bps FROM market_tiers WHERE market_id = ANY (?) ORDER BY market_id, idx")) {
            q.setArray(1, marketIds);
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) {
                    List<TierState> list = tiers.computeIfAbsent(r.getLong(1), k -> new ArrayList<>());
                    if (r.getInt(2) != list.size()) {
                        throw new IllegalStateException("market " + r.getLong(1) + " has no tier " + list.size()
                                + " in the mirror");
                    }
                    list.add(new TierState(big(r, 3), r.getInt(4), r.getInt(5), r.getInt(6)));
                }
            }
        }

        List<TrackedMarket> markets = new ArrayList<>();
        try (PreparedStatement q = c.prepareStatement("SELECT * FROM markets WHERE market_id = ANY (?)")) {
            q.setArray(1, marketIds);
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) markets.add(market(r, tiers.getOrDefault(r.getLong("market_id"), List.of())));
            }
        }

        List<VaultPosition> vaults = new ArrayList<>();
        try (PreparedStatement q = c.prepareStatement("SELECT vault_id, market_id, owner, collateral, debt_shares "
                + "FROM vaults WHERE NOT closed AND market_id = ANY (?)")) {
            q.setArray(1, marketIds);
            q.setFetchSize(10_000);
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) {
                    vaults.add(new VaultPosition(r.getLong(1), r.getLong(2), r.getString(3), big(r, 4), big(r, 5)));
                }
            }
        }

        Map<String, OraclePrice> prices = new TreeMap<>();
        try (PreparedStatement q = c.prepareStatement("SELECT DISTINCT ON (market_id) market_id, answer, round_id, "
                + "updated_at FROM prices WHERE market_id = ANY (?) ORDER BY market_id, block_number DESC, "
                + "log_index DESC")) {
            q.setArray(1, marketIds);
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) {
                    prices.put(scope.oracleByMarket().get(r.getLong(1)),
                            new OraclePrice(big(r, 2), big(r, 3), r.getLong(4)));
                }
            }
        }

        List<BlockRef> recent = new ArrayList<>();
        try (PreparedStatement q = c.prepareStatement("SELECT number, hash, parent_hash, timestamp FROM blocks "
                + "WHERE number <= ? ORDER BY number")) {
            q.setLong(1, cursor);
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) {
                    BlockRef b = new BlockRef(r.getLong(1), r.getString(2), r.getString(3), r.getLong(4));
                    if (!recent.isEmpty() && !recent.getLast().isParentOf(b)) recent.clear(); // keep the linked tail
                    recent.add(b);
                }
            }
        }
        if (!recent.isEmpty() && recent.getLast().number() != cursor) recent.clear();
        return new BookSnapshot(cursor, recent, markets, vaults, prices);
    }

    private TrackedMarket market(ResultSet r, List<TierState> tiers) throws SQLException {
        long id = r.getLong("market_id");
        String oracle = r.getString("oracle").toLowerCase(Locale.ROOT);
        if (!oracle.equals(scope.oracleByMarket().get(id))) {
            throw new IllegalStateException("market " + id + " has oracle " + oracle + " in the mirror, but the "
                    + "configuration names " + scope.oracleByMarket().get(id));
        }
        RateModel model = r.getObject("base_rate_per_second") == null ? null : new RateModel(
                big(r, "base_rate_per_second"), big(r, "slope1_per_second"), big(r, "slope2_per_second"),
                big(r, "kink"));
        LiquidationMath.Terms terms = r.getObject("liquidation_bonus_bps") == null ? null
                : new LiquidationMath.Terms(r.getInt("liquidation_bonus_bps"), r.getInt("protocol_fee_bps"),
                        r.getInt("close_factor_bps"), big(r, "min_debt"));
        MarketTotals totals = new MarketTotals(big(r, "total_supply_assets"), big(r, "total_supply_shares"),
                big(r, "total_borrow_assets"), big(r, "total_borrow_shares"), big(r, "insurance_fund"),
                r.getLong("last_accrual"), big(r, "interest_remainder"));
        // the mirror keeps the ramp window once per market (the engine gives every tier of a market the same one)
        return new TrackedMarket(id, oracle, big(r, "price_scale"), tiers, r.getLong("ramp_start"),
                r.getLong("ramp_end"), model, r.getInt("reserve_factor_bps"), terms, r.getLong("max_oracle_age"),
                totals, r.getBoolean("paused"));
    }

    private static BigInteger big(ResultSet r, int column) throws SQLException {
        return r.getBigDecimal(column).toBigIntegerExact();
    }

    private static BigInteger big(ResultSet r, String column) throws SQLException {
        return r.getBigDecimal(column).toBigIntegerExact();
    }
}
