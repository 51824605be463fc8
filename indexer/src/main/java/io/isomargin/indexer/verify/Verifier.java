package io.isomargin.indexer.verify;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.indexer.projection.GuardMode;
import io.isomargin.indexer.projection.GuardWindow;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.RemoteFunctionCall;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthGetCode;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.tuples.generated.Tuple2;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.TransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * Checks the mirror against the chain: at the mirror's cursor block it reads the engine's views with
 * {@code eth_call} pinned to that block and compares every vault (owner, market, collateral, debt shares, closed),
 * every market's state (totals, insurance fund, last accrual, interest remainder, paused), risk parameters, tiers and
 * their ramp window, its pending risk change ({@code pendingRiskParams}: values and {@code executableAt}, or none), and
 * the supply shares of every mirrored lender (plus any extra addresses given) with the rows in PostgreSQL.
 *
 * <p>With a margin guard it also reads, for every vault, the guard's {@code policy(id)} (an active mirrored policy
 * must have its owner and terms; none or a revoked one a zero owner) and, for every vault with a policy on either side
 * or mirrored top-ups, {@code usedLast24h(id, mode)} of both modes, each of which must equal the sum of what the
 * mirrored top-ups of that mode took within the 24 hours before the cursor block's time (read from the node and
 * compared with the cursor's recorded time too).
 *
 * <p>The one implementation behind both the {@code verify} command and the mirror tests.
 */
public final class Verifier {
    private final Web3j web3j;
    private final RpcClient rpc;
    private final TransactionManager calls;
    private final String engine;
    private final String guard;

    /** One value on which the mirror and the chain disagree. */
    public record Mismatch(String what, Object chain, Object mirror) {
        /** One readable line: {@code vault 3 collateral: chain 5, mirror 6}. */
        public String line() {
            return what + ": chain " + chain + ", mirror " + mirror;
        }
    }

    /**
     * The result of one check.
     *
     * @param block      the cursor block the chain was read at
     * @param vaults     how many vaults the engine has at that block
     * @param mismatches every disagreement, in vault, market order
     */
    public record Report(long block, long vaults, List<Mismatch> mismatches) {
        public Report {
            mismatches = List.copyOf(mismatches);
        }
    }

    /**
     * Reads the chain with plain {@code web3j} calls: one failed call fails the check.
     *
     * @param web3j  the chain (an archive-capable node when the cursor is old)
     * @param engine the engine's address
     */
    public Verifier(Web3j web3j, String engine) {
        this(web3j, engine, null);
    }

    /**
     * Reads the chain with plain {@code web3j} calls: one failed call fails the check.
     *
     * @param web3j  the chain (an archive-capable node when the cursor is old)
     * @param engine the engine's address
     * @param guard  the margin guard's address, or null when the deployment has none (nothing of it checked)
     */
    public Verifier(Web3j web3j, String engine, String guard) {
        this.web3j = Objects.requireNonNull(web3j, "web3j");
        this.rpc = null;
        this.engine = Objects.requireNonNull(engine, "engine");
        this.guard = guard;
        this.calls = new ReadonlyTransactionManager(web3j, engine);
    }

    /**
     * Reads the chain through {@code rpc}: each {@code eth_call} with its retries of transient failures (timeouts,
     * HTTP 429/5xx, dropped connections, truncated answers) and failover, within its request timeout.
     *
     * @param rpc    the endpoints (archive-capable when the cursor is old); not closed here
     * @param engine the engine's address
     */
    public Verifier(RpcClient rpc, String engine) {
        this(rpc, engine, null);
    }

    /**
     * Reads the chain through {@code rpc} (see {@link #Verifier(RpcClient, String)}).
     *
     * @param guard the margin guard's address, or null when the deployment has none (nothing of it checked)
     */
    public Verifier(RpcClient rpc, String engine, String guard) {
        this.web3j = null;
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.guard = guard;
        this.calls = new RpcCalls(rpc, engine);
    }

    /**
     * Runs {@link #check} and prints each mismatch as one line, then {@code verify: N vaults, M mismatches}.
     *
     * @return the number of mismatches
     */
    public int verify(Connection db, PrintStream out) throws SQLException {
        Report report = check(db, List.of());
        report.mismatches().forEach(m -> out.println(m.line()));
        out.println("verify: " + report.vaults() + " vaults, " + report.mismatches().size() + " mismatches (at block "
                + report.block() + ")");
        return report.mismatches().size();
    }

    /**
     * Compares the mirror in {@code db} with the chain at the mirror's cursor block.
     *
     * @param extraLenders addresses whose supply shares to check in every market even when the mirror has no row
     *                     for them (a missing row counts as zero shares)
     * @throws IllegalStateException when the mirror has no cursor yet or a view call fails (with the call's
     *                               {@link io.isomargin.abi.follower.RpcException} as its cause when it went through
     *                               an {@link RpcClient})
     */
    public Report check(Connection db, Collection<String> extraLenders) throws SQLException {
        long block = single(db, "SELECT block_number FROM cursor", "the mirror has no cursor: nothing is indexed yet")
                .longValueExact();
        IsomarginEngine e = IsomarginEngine.load(engine, web3j, calls,
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
        e.setDefaultBlockParameter(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)));
        List<Mismatch> out = new ArrayList<>();

        long vaultCount = call(e.vaultCount(), "vaultCount", block).longValueExact();
        check(out, "vault count", vaultCount, single(db, "SELECT count(*) FROM vaults", null).longValueExact());
        try (PreparedStatement q = db.prepareStatement("SELECT * FROM vaults WHERE vault_id = ?")) {
            for (long id = 1; id <= vaultCount; id++) {
                IsomarginEngine.Vault v = call(e.vault(BigInteger.valueOf(id)), "vault(" + id + ")", block);
                q.setLong(1, id);
                try (ResultSet r = q.executeQuery()) {
                    String p = "vault " + id + " ";
                    if (!r.next()) {
                        out.add(new Mismatch("vault " + id, "exists", "missing"));
                        continue;
                    }
                    check(out, p + "owner", v.owner.toLowerCase(Locale.ROOT), r.getString("owner"));
                    check(out, p + "market", v.marketId.longValueExact(), r.getLong("market_id"));
                    check(out, p + "collateral", v.collateral, big(r, "collateral"));
                    check(out, p + "debtShares", v.debtShares, big(r, "debt_shares"));
                    check(out, p + "closed", v.closed, r.getBoolean("closed"));
                }
            }
        }

        Map<Long, Set<String>> lenders = new TreeMap<>();
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT market_id, lender FROM lenders")) {
            while (r.next()) lenders.computeIfAbsent(r.getLong(1), k -> new TreeSet<>()).add(r.getString(2));
        }
        long marketCount = call(e.marketCount(), "marketCount", block).longValueExact();
        check(out, "market count", marketCount, single(db, "SELECT count(*) FROM markets", null).longValueExact());
        for (long id = 1; id <= marketCount; id++) {
            checkMarket(db, e, block, id, out);
            Set<String> marketLenders = new TreeSet<>(lenders.getOrDefault(id, Set.of()));
            extraLenders.forEach(l -> marketLenders.add(l.toLowerCase(Locale.ROOT)));
            checkLenders(db, e, block, id, marketLenders, out);
        }
        if (guard != null) checkGuard(db, block, vaultCount, out);
        return new Report(block, vaultCount, out);
    }

    /** A policy as the mirror holds it, read over JDBC. */
    private record MirroredPolicy(boolean active, String owner, String mode, BigInteger triggerHealth,
            BigInteger targetHealth, long feeBps, long expiry, BigInteger maxPerTopUp, BigInteger maxPerDay,
            BigInteger armedCollateral, BigInteger armedDebtShares) {}

    /** Every vault's guard policy and, where the guard has touched the vault, its rolling-cap usage. */
    private void checkGuard(Connection db, long block, long vaultCount, List<Mismatch> out) throws SQLException {
        long now = blockTime(block);
        // the time the mirror recorded for `block`: the cursor's while it still stands there, else the header it kept
        // (a running indexer may have committed past `block` since the cursor was read)
        Long recorded = nullableLong(db, "SELECT block_timestamp FROM cursor WHERE block_number = " + block);
        if (recorded == null) recorded = nullableLong(db, "SELECT timestamp FROM blocks WHERE number = " + block);
        if (recorded != null) check(out, "cursor block #" + block + " timestamp", now, recorded);
        MarginGuard g = MarginGuard.load(guard, web3j, calls, new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
        g.setDefaultBlockParameter(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)));

        Map<Long, MirroredPolicy> policies = new HashMap<>();
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT * FROM guard_policies")) {
            while (r.next()) {
                policies.put(r.getLong("vault_id"), new MirroredPolicy(r.getString("status").equals("active"),
                        r.getString("owner"), r.getString("mode"), big(r, "trigger_health"), big(r, "target_health"),
                        r.getLong("fee_bps"), r.getLong("expiry"), big(r, "max_per_top_up"), big(r, "max_per_day"),
                        big(r, "armed_collateral"), big(r, "armed_debt_shares")));
            }
        }
        Map<Long, Map<GuardMode, BigInteger>> used = new HashMap<>();
        try (PreparedStatement q = db.prepareStatement("SELECT vault_id, mode, sum(taken) FROM guard_top_ups"
                + " WHERE block_number <= ? AND block_timestamp > ? GROUP BY vault_id, mode")) {
            q.setLong(1, block);
            q.setLong(2, now - GuardWindow.DAY);
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) {
                    used.computeIfAbsent(r.getLong(1), k -> new HashMap<>()).put(GuardMode.of(r.getString(2)),
                            r.getBigDecimal(3).toBigIntegerExact());
                }
            }
        }
        for (long id = 1; id <= vaultCount; id++) {
            BigInteger vid = BigInteger.valueOf(id);
            MarginGuard.StoredPolicy onChain = call(g.policy(vid), "guard policy(" + id + ")", block);
            boolean chainActive = !new BigInteger(onChain.owner.substring(2), 16).equals(BigInteger.ZERO);
            MirroredPolicy m = policies.get(id);
            String p = "vault " + id + " guard policy";
            boolean mirrorActive = m != null && m.active();
            if (chainActive != mirrorActive) {
                out.add(new Mismatch(p, chainActive ? "active" : "none", mirrorActive ? "active"
                        : m == null ? "none" : "revoked"));
            } else if (chainActive) {
                MarginGuard.GuardPolicy t = onChain.terms;
                check(out, p + " owner", onChain.owner.toLowerCase(Locale.ROOT), m.owner());
                check(out, p + " mode", GuardMode.ofEvent(t.mode).column(), m.mode());
                check(out, p + " triggerHealth", t.triggerHealth, m.triggerHealth());
                check(out, p + " targetHealth", t.targetHealth, m.targetHealth());
                check(out, p + " feeBps", t.feeBps.longValueExact(), m.feeBps());
                check(out, p + " expiry", t.expiry.longValueExact(), m.expiry());
                check(out, p + " maxPerTopUp", t.maxPerTopUp, m.maxPerTopUp());
                check(out, p + " maxPerDay", t.maxPerDay, m.maxPerDay());
                MarginGuard.ArmedPosition armed = call(g.armedPosition(vid), "guard armedPosition(" + id + ")", block);
                check(out, p + " armed collateral", armed.collateral, m.armedCollateral());
                check(out, p + " armed debtShares", armed.debtShares, m.armedDebtShares());
            }
            if (chainActive || m != null || used.containsKey(id)) {
                for (GuardMode mode : GuardMode.values()) {
                    BigInteger mirrored = used.getOrDefault(id, Map.of()).getOrDefault(mode, BigInteger.ZERO);
                    check(out, "vault " + id + " guard usedLast24h " + mode.column(), call(g.usedLast24h(vid,
                            BigInteger.valueOf(mode.ordinal())), "guard usedLast24h(" + id + ", " + mode.column()
                            + ")", block), mirrored);
                }
            }
        }
    }

    /** The time of block {@code block}, from the node. */
    private long blockTime(long block) {
        DefaultBlockParameter at = DefaultBlockParameter.valueOf(BigInteger.valueOf(block));
        try {
            var b = rpc != null ? rpc.call(w -> w.ethGetBlockByNumber(at, false)).getBlock()
                    : web3j.ethGetBlockByNumber(at, false).send().getBlock();
            if (b == null) throw new IllegalStateException("the node has no block #" + block);
            return b.getTimestamp().longValueExact();
        } catch (java.io.IOException ex) {
            throw new IllegalStateException("eth_getBlockByNumber #" + block + " failed: " + ex.getMessage(), ex);
        }
    }

    private static Long nullableLong(Connection db, String sql) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery(sql)) {
            return r.next() ? nullableLong(r, 1) : null;
        }
    }

    private static Long nullableLong(ResultSet r, int column) throws SQLException {
        long value = r.getLong(column);
        return r.wasNull() ? null : value;
    }

    private static void checkMarket(Connection db, IsomarginEngine e, long block, long id, List<Mismatch> out)
            throws SQLException {
        BigInteger mid = BigInteger.valueOf(id);
        IsomarginEngine.MarketState s = call(e.marketState(mid), "marketState(" + id + ")", block);
        IsomarginEngine.RiskParams rp = call(e.riskParams(mid), "riskParams(" + id + ")", block);
        Long rampStart = null; // the market's ramp window as mirrored (from TierSet); the engine keeps it per tier
        Long rampEnd = null;
        try (PreparedStatement q = db.prepareStatement("SELECT * FROM markets WHERE market_id = ?")) {
            q.setLong(1, id);
            try (ResultSet r = q.executeQuery()) {
                if (!r.next()) {
                    out.add(new Mismatch("market " + id, "exists", "missing"));
                    return;
                }
                String p = "market " + id + " ";
                check(out, p + "totalSupplyAssets", s.totalSupplyAssets, big(r, "total_supply_assets"));
                check(out, p + "totalSupplyShares", s.totalSupplyShares, big(r, "total_supply_shares"));
                check(out, p + "totalBorrowAssets", s.totalBorrowAssets, big(r, "total_borrow_assets"));
                check(out, p + "totalBorrowShares", s.totalBorrowShares, big(r, "total_borrow_shares"));
                check(out, p + "insuranceFund", s.insuranceFund, big(r, "insurance_fund"));
                check(out, p + "lastAccrual", s.lastAccrual.longValueExact(), r.getLong("last_accrual"));
                check(out, p + "interestRemainder", s.interestRemainder, big(r, "interest_remainder"));
                check(out, p + "paused", s.paused, r.getBoolean("paused"));
                check(out, p + "maxOracleAge", rp.maxOracleAge.longValueExact(), nullableLong(r, "max_oracle_age"));
                check(out, p + "liquidationBonusBps", rp.liquidationBonusBps.longValueExact(),
                        nullableLong(r, "liquidation_bonus_bps"));
                check(out, p + "protocolFeeBps", rp.protocolFeeBps.longValueExact(),
                        nullableLong(r, "protocol_fee_bps"));
                check(out, p + "closeFactorBps", rp.closeFactorBps.longValueExact(),
                        nullableLong(r, "close_factor_bps"));
                check(out, p + "reserveFactorBps", rp.reserveFactorBps.longValueExact(),
                        nullableLong(r, "reserve_factor_bps"));
                check(out, p + "minDebt", rp.minDebt, big(r, "min_debt"));
                check(out, p + "supplyCap", rp.supplyCap, big(r, "supply_cap"));
                check(out, p + "borrowCap", rp.borrowCap, big(r, "borrow_cap"));
                check(out, p + "baseRatePerSecond", rp.rateModel.baseRatePerSecond,
                        big(r, "base_rate_per_second"));
                check(out, p + "slope1PerSecond", rp.rateModel.slope1PerSecond, big(r, "slope1_per_second"));
                check(out, p + "slope2PerSecond", rp.rateModel.slope2PerSecond, big(r, "slope2_per_second"));
                check(out, p + "kink", rp.rateModel.kink, big(r, "kink"));
                rampStart = nullableLong(r, "ramp_start");
                rampEnd = nullableLong(r, "ramp_end");
            }
        }
        checkPendingRisk(db, e, block, id, out);
        int tierCount = call(e.marketConfig(mid), "marketConfig(" + id + ")", block).tierCount.intValueExact();
        check(out, "market " + id + " tier count", (long) tierCount,
                single(db, "SELECT count(*) FROM market_tiers WHERE market_id = " + id, null).longValueExact());
        try (PreparedStatement q = db.prepareStatement("SELECT * FROM market_tiers WHERE market_id = ? AND idx = ?")) {
            for (int i = 0; i < tierCount; i++) {
                IsomarginEngine.TierState t = call(e.tier(mid, BigInteger.valueOf(i)),
                        "tier(" + id + ", " + i + ")", block);
                q.setLong(1, id);
                q.setInt(2, i);
                try (ResultSet r = q.executeQuery()) {
                    String p = "market " + id + " tier " + i + " ";
                    if (!r.next()) {
                        out.add(new Mismatch("market " + id + " tier " + i, "exists", "missing"));
                        continue;
                    }
                    check(out, p + "minValue", t.minValue, big(r, "min_value"));
                    check(out, p + "imBps", t.imBps.longValueExact(), r.getLong("im_bps"));
                    check(out, p + "mmFromBps", t.mmFromBps.longValueExact(), r.getLong("mm_from_bps"));
                    check(out, p + "mmToBps", t.mmToBps.longValueExact(), r.getLong("mm_to_bps"));
                    check(out, p + "rampStart", t.rampStart.longValueExact(), rampStart);
                    check(out, p + "rampEnd", t.rampEnd.longValueExact(), rampEnd);
                }
            }
        }
    }

    /** The engine's pending change of market {@code id} against the mirror's {@code proposed} row (or none). */
    private static void checkPendingRisk(Connection db, IsomarginEngine e, long block, long id, List<Mismatch> out)
            throws SQLException {
        Tuple2<IsomarginEngine.RiskUpdate, BigInteger> pending = call(e.pendingRiskParams(BigInteger.valueOf(id)),
                "pendingRiskParams(" + id + ")", block);
        long executableAt = pending.component2().longValueExact();
        String p = "market " + id + " pending risk change ";
        try (PreparedStatement q = db.prepareStatement(
                "SELECT * FROM risk_changes WHERE market_id = ? AND status = 'proposed'")) {
            q.setLong(1, id);
            try (ResultSet r = q.executeQuery()) {
                boolean mirrored = r.next();
                if (executableAt == 0 || !mirrored) {
                    check(out, p.strip(), executableAt == 0 ? "none" : "pending",
                            mirrored ? "pending" : "none");
                    return;
                }
                IsomarginEngine.RiskUpdate u = pending.component1();
                check(out, p + "executableAt", executableAt, nullableLong(r, "executable_at"));
                check(out, p + "maxOracleAge", u.maxOracleAge.longValueExact(), r.getLong("max_oracle_age"));
                check(out, p + "liquidationBonusBps", u.liquidationBonusBps.longValueExact(),
                        r.getLong("liquidation_bonus_bps"));
                check(out, p + "protocolFeeBps", u.protocolFeeBps.longValueExact(), r.getLong("protocol_fee_bps"));
                check(out, p + "closeFactorBps", u.closeFactorBps.longValueExact(), r.getLong("close_factor_bps"));
                check(out, p + "reserveFactorBps", u.reserveFactorBps.longValueExact(),
                        r.getLong("reserve_factor_bps"));
                check(out, p + "minDebt", u.minDebt, big(r, "min_debt"));
                check(out, p + "baseRatePerSecond", u.rateModel.baseRatePerSecond, big(r, "base_rate_per_second"));
                check(out, p + "slope1PerSecond", u.rateModel.slope1PerSecond, big(r, "slope1_per_second"));
                check(out, p + "slope2PerSecond", u.rateModel.slope2PerSecond, big(r, "slope2_per_second"));
                check(out, p + "kink", u.rateModel.kink, big(r, "kink"));
                if (r.next()) out.add(new Mismatch(p + "count", 1, "more than one"));
            }
        }
    }

    private static void checkLenders(Connection db, IsomarginEngine e, long block, long id, Set<String> lenders,
            List<Mismatch> out) throws SQLException {
        try (PreparedStatement q = db.prepareStatement(
                "SELECT shares FROM lenders WHERE market_id = ? AND lender = ?")) {
            for (String lender : lenders) {
                BigInteger onChain = call(e.supplyShares(BigInteger.valueOf(id), lender),
                        "supplyShares(" + id + ", " + lender + ")", block);
                q.setLong(1, id);
                q.setString(2, lender);
                BigInteger mirrored = BigInteger.ZERO;
                try (ResultSet r = q.executeQuery()) {
                    if (r.next()) mirrored = big(r, "shares");
                }
                check(out, "market " + id + " lender " + lender + " supplyShares", onChain, mirrored);
            }
        }
    }

    private static <T> T call(RemoteFunctionCall<T> call, String what, long block) {
        try {
            return call.send();
        } catch (Exception ex) {
            throw new IllegalStateException("eth_call " + what + " at block " + block + " failed: " + ex.getMessage(),
                    ex);
        }
    }

    private static BigInteger single(Connection db, String sql, String whenEmpty) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery(sql)) {
            if (!r.next()) throw new IllegalStateException(whenEmpty != null ? whenEmpty : "no row for " + sql);
            return r.getBigDecimal(1).toBigIntegerExact();
        }
    }

    private static BigInteger big(ResultSet r, String column) throws SQLException {
        BigDecimal value = r.getBigDecimal(column);
        return value == null ? null : value.toBigIntegerExact();
    }

    private static Long nullableLong(ResultSet r, String column) throws SQLException {
        long value = r.getLong(column);
        return r.wasNull() ? null : value;
    }

    private static void check(List<Mismatch> out, String what, Object chain, Object mirror) {
        if (!Objects.equals(chain, mirror)) out.add(new Mismatch(what, chain, mirror));
    }

    /** The binding's view calls as {@code eth_call}s through the RPC client; it sends no transaction. */
    private static final class RpcCalls extends TransactionManager {
        private final RpcClient rpc;

        RpcCalls(RpcClient rpc, String from) {
            super((Web3j) null, from);
            this.rpc = rpc;
        }

        @Override
        public String sendCall(String to, String data, DefaultBlockParameter block) {
            EthCall call = rpc.call(w -> w.ethCall(Transaction.createEthCallTransaction(getFromAddress(), to, data),
                    block));
            if (call.isReverted()) {
                throw new IllegalStateException("reverted: " + call.getRevertReason());
            }
            return call.getValue();
        }

        @Override
        public EthGetCode getCode(String address, DefaultBlockParameter block) {
            return rpc.call(w -> w.ethGetCode(address, block));
        }

        @Override
        public EthSendTransaction sendTransaction(BigInteger gasPrice, BigInteger gasLimit, String to, String data,
                BigInteger value, boolean constructor) {
            throw new UnsupportedOperationException("the verifier sends no transaction");
        }

        @Override
        public EthSendTransaction sendEIP1559Transaction(long chainId, BigInteger maxPriorityFeePerGas,
                BigInteger maxFeePerGas, BigInteger gasLimit, String to, String data, BigInteger value,
                boolean constructor) {
            throw new UnsupportedOperationException("the verifier sends no transaction");
        }
    }
}
