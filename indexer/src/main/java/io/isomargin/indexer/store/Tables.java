package io.isomargin.indexer.store;

import io.isomargin.indexer.projection.EventRef;
import io.isomargin.indexer.projection.GuardMode;
import io.isomargin.indexer.projection.GuardPolicyRow;
import io.isomargin.indexer.projection.MarketRow;
import io.isomargin.indexer.projection.MarketRow.Caps;
import io.isomargin.indexer.projection.MarketRow.InterestParams;
import io.isomargin.indexer.projection.MarketRow.LiquidationParams;
import io.isomargin.indexer.projection.MarketRow.Ramp;
import io.isomargin.indexer.projection.MarketRow.State;
import io.isomargin.indexer.projection.MirrorChanges;
import io.isomargin.indexer.projection.MirrorChanges.InsuranceEvent;
import io.isomargin.indexer.projection.MirrorChanges.LenderChange;
import io.isomargin.indexer.projection.MirrorChanges.LiquidationRow;
import io.isomargin.indexer.projection.MirrorChanges.MarketChange;
import io.isomargin.indexer.projection.MirrorChanges.OperatorChange;
import io.isomargin.indexer.projection.MirrorChanges.PolicyChange;
import io.isomargin.indexer.projection.MirrorChanges.PriceRow;
import io.isomargin.indexer.projection.MirrorChanges.RiskChange;
import io.isomargin.indexer.projection.MirrorChanges.TierChange;
import io.isomargin.indexer.projection.MirrorChanges.VaultChange;
import io.isomargin.indexer.projection.RiskChangeRow;
import io.isomargin.indexer.projection.TopUpRow;
import io.isomargin.indexer.projection.VaultRow;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.data.Numeric;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The SQL of the mirror's tables and the mapping between their rows and the row records. */
final class Tables {
    private Tables() {}

    static final List<String> MARKET_COLUMNS = List.of("market_id", "loan_token", "collateral_token", "oracle",
            "price_scale", "created_block", "max_oracle_age", "liquidation_bonus_bps", "protocol_fee_bps",
            "close_factor_bps", "min_debt", "base_rate_per_second", "slope1_per_second", "slope2_per_second", "kink",
            "reserve_factor_bps", "supply_cap", "borrow_cap", "ramp_start", "ramp_end", "total_supply_assets",
            "total_supply_shares", "total_borrow_assets", "total_borrow_shares", "insurance_fund", "last_accrual",
            "interest_remainder", "paused", "updated_block");

    static final List<String> VAULT_COLUMNS = List.of("vault_id", "market_id", "owner", "collateral", "debt_shares",
            "closed", "opened_block", "updated_block");

    /* STATEMENTS: one per table and commit, taking each column as an array (see Write) */

    static final Write INSERT_MARKET_HISTORY = Write.insert("market_history",
            concat(List.of("block_number", "log_index", "tx_hash", "event"), MARKET_COLUMNS));
    static final Write UPSERT_MARKET = Write.upsert("markets", MARKET_COLUMNS, "market_id");

    static final Write INSERT_VAULT_HISTORY = Write.insert("vault_history", List.of("block_number", "log_index",
            "block_hash", "tx_hash", "event", "vault_id", "market_id", "owner", "collateral_before",
            "collateral_after", "debt_shares_before", "debt_shares_after", "closed", "opened_block"));
    static final Write UPSERT_VAULT = Write.upsert("vaults", VAULT_COLUMNS, "vault_id");

    static final List<String> TIER_COLUMNS = List.of("market_id", "idx", "min_value", "im_bps", "mm_from_bps",
            "mm_to_bps");
    static final Write INSERT_TIER_HISTORY = Write.insert("tier_history",
            concat(List.of("block_number", "log_index", "tx_hash"), TIER_COLUMNS));
    static final Write UPSERT_TIER = Write.upsert("market_tiers", TIER_COLUMNS, "market_id, idx");

    static final Write INSERT_LENDER_HISTORY = Write.insert("lender_history", List.of("block_number", "log_index",
            "tx_hash", "event", "market_id", "lender", "shares_after"));
    static final Write UPSERT_LENDER = Write.upsert("lenders", List.of("market_id", "lender", "shares",
            "updated_block"), "market_id, lender");

    static final Write INSERT_OPERATOR_HISTORY = Write.insert("operator_history", List.of("block_number",
            "log_index", "tx_hash", "owner", "operator", "approved"));
    static final Write UPSERT_OPERATOR = Write.upsert("operators", List.of("owner", "operator", "approved",
            "updated_block"), "owner, operator");

    static final Write INSERT_PRICE = Write.insert("prices", List.of("market_id", "block_number", "log_index",
            "tx_hash", "answer", "round_id", "updated_at"));
    static final Write INSERT_LIQUIDATION = Write.insert("liquidations", List.of("block_number", "log_index",
            "tx_hash", "vault_id", "market_id", "liquidator", "repaid_assets", "repaid_shares", "seized_collateral",
            "protocol_fee", "collateral_after", "debt_shares_after", "bad_debt", "covered_by_insurance",
            "socialized"));
    static final Write INSERT_INSURANCE = Write.insert("insurance_events", List.of("block_number", "log_index",
            "tx_hash", "market_id", "kind", "amount", "account"));

    static final List<String> RISK_CHANGE_COLUMNS = List.of("proposed_block", "proposed_log_index", "proposed_tx",
            "market_id", "status", "executable_at", "max_oracle_age", "liquidation_bonus_bps", "protocol_fee_bps",
            "close_factor_bps", "reserve_factor_bps", "min_debt", "base_rate_per_second", "slope1_per_second",
            "slope2_per_second", "kink", "resolved_block", "resolved_log_index", "resolved_tx", "executed_by",
            "updated_block");
    static final Write INSERT_RISK_CHANGE_HISTORY = Write.insert("risk_change_history",
            concat(List.of("block_number", "log_index", "tx_hash", "event"), RISK_CHANGE_COLUMNS));
    static final Write UPSERT_RISK_CHANGE = Write.upsert("risk_changes", RISK_CHANGE_COLUMNS,
            "proposed_block, proposed_log_index");

    static final Write UPSERT_BLOCK = Write.upsert("blocks", List.of("number", "hash", "parent_hash", "timestamp"),
            "number");
    static final Write UPSERT_BLOCK_TIME = Write.upsert("block_times", List.of("number", "timestamp"), "number");

    static final List<String> GUARD_POLICY_COLUMNS = List.of("vault_id", "status", "owner", "mode", "trigger_health",
            "target_health", "fee_bps", "expiry", "max_per_top_up", "max_per_day", "armed_collateral",
            "armed_debt_shares", "set_by", "set_block", "set_log_index", "set_tx", "revoked_by", "updated_block");
    static final Write INSERT_GUARD_POLICY_HISTORY = Write.insert("guard_policy_history",
            concat(List.of("block_number", "log_index", "tx_hash", "action"), GUARD_POLICY_COLUMNS));
    static final Write UPSERT_GUARD_POLICY = Write.upsert("guard_policies", GUARD_POLICY_COLUMNS, "vault_id");
    static final Write INSERT_TOP_UP = Write.insert("guard_top_ups", List.of("block_number", "log_index", "tx_hash",
            "block_timestamp", "vault_id", "market_id", "owner", "executor", "mode", "amount", "fee", "health_before",
            "health_after", "used_last_24h", "taken"));

    /** Token metadata: immutable per address, a row kept stays. */
    static final Write INSERT_TOKEN = new Write("tokens", List.of("address", "symbol", "decimals", "symbol_source"),
            " ON CONFLICT (address) DO NOTHING");

    /**
     * The rollback above block {@code n}, as one script: for every current table, delete the rows whose key has
     * history above {@code n}, re-insert them from their latest history at or below {@code n} (keys without any
     * stay deleted), then delete that history; then drop the facts, block headers and block times above {@code n}.
     */
    static String rollbackScript(long n) {
        String above = "block_number > " + n;
        String atOrBelow = "block_number <= " + n;
        String market = String.join(", ", MARKET_COLUMNS);
        return String.join(";\n",
                "DELETE FROM markets c USING market_history h WHERE h." + above + " AND c.market_id = h.market_id",
                "INSERT INTO markets (" + market + ") SELECT DISTINCT ON (market_id) " + market
                        + " FROM market_history WHERE " + atOrBelow
                        + " AND market_id IN (SELECT market_id FROM market_history WHERE " + above + ")"
                        + " ORDER BY market_id, block_number DESC, log_index DESC",
                "DELETE FROM market_history WHERE " + above,

                "DELETE FROM market_tiers c USING tier_history h WHERE h." + above
                        + " AND c.market_id = h.market_id AND c.idx = h.idx",
                "INSERT INTO market_tiers (market_id, idx, min_value, im_bps, mm_from_bps, mm_to_bps)"
                        + " SELECT DISTINCT ON (market_id, idx) market_id, idx, min_value, im_bps, mm_from_bps,"
                        + " mm_to_bps FROM tier_history WHERE " + atOrBelow
                        + " AND (market_id, idx) IN (SELECT market_id, idx FROM tier_history WHERE " + above + ")"
                        + " ORDER BY market_id, idx, block_number DESC, log_index DESC",
                "DELETE FROM tier_history WHERE " + above,

                "DELETE FROM vaults c USING vault_history h WHERE h." + above + " AND c.vault_id = h.vault_id",
                "INSERT INTO vaults (" + String.join(", ", VAULT_COLUMNS) + ")"
                        + " SELECT DISTINCT ON (vault_id) vault_id, market_id, owner, collateral_after,"
                        + " debt_shares_after, closed, opened_block, block_number FROM vault_history WHERE "
                        + atOrBelow + " AND vault_id IN (SELECT vault_id FROM vault_history WHERE " + above + ")"
                        + " ORDER BY vault_id, block_number DESC, log_index DESC",
                "DELETE FROM vault_history WHERE " + above,

                "DELETE FROM lenders c USING lender_history h WHERE h." + above
                        + " AND c.market_id = h.market_id AND c.lender = h.lender",
                "INSERT INTO lenders (market_id, lender, shares, updated_block)"
                        + " SELECT DISTINCT ON (market_id, lender) market_id, lender, shares_after, block_number"
                        + " FROM lender_history WHERE " + atOrBelow
                        + " AND (market_id, lender) IN (SELECT market_id, lender FROM lender_history WHERE "
                        + above + ") ORDER BY market_id, lender, block_number DESC, log_index DESC",
                "DELETE FROM lender_history WHERE " + above,

                "DELETE FROM operators c USING operator_history h WHERE h." + above
                        + " AND c.owner = h.owner AND c.operator = h.operator",
                "INSERT INTO operators (owner, operator, approved, updated_block)"
                        + " SELECT DISTINCT ON (owner, operator) owner, operator, approved, block_number"
                        + " FROM operator_history WHERE " + atOrBelow
                        + " AND (owner, operator) IN (SELECT owner, operator FROM operator_history WHERE "
                        + above + ") ORDER BY owner, operator, block_number DESC, log_index DESC",
                "DELETE FROM operator_history WHERE " + above,

                "DELETE FROM risk_changes c USING risk_change_history h WHERE h." + above
                        + " AND c.proposed_block = h.proposed_block AND c.proposed_log_index = h.proposed_log_index",
                "INSERT INTO risk_changes (" + String.join(", ", RISK_CHANGE_COLUMNS) + ")"
                        + " SELECT DISTINCT ON (proposed_block, proposed_log_index) "
                        + String.join(", ", RISK_CHANGE_COLUMNS) + " FROM risk_change_history WHERE " + atOrBelow
                        + " AND (proposed_block, proposed_log_index) IN (SELECT proposed_block, proposed_log_index"
                        + " FROM risk_change_history WHERE " + above + ")"
                        + " ORDER BY proposed_block, proposed_log_index, block_number DESC, log_index DESC",
                "DELETE FROM risk_change_history WHERE " + above,

                "DELETE FROM guard_policies c USING guard_policy_history h WHERE h." + above
                        + " AND c.vault_id = h.vault_id",
                "INSERT INTO guard_policies (" + String.join(", ", GUARD_POLICY_COLUMNS) + ")"
                        + " SELECT DISTINCT ON (vault_id) " + String.join(", ", GUARD_POLICY_COLUMNS)
                        + " FROM guard_policy_history WHERE " + atOrBelow
                        + " AND vault_id IN (SELECT vault_id FROM guard_policy_history WHERE " + above + ")"
                        + " ORDER BY vault_id, block_number DESC, log_index DESC",
                "DELETE FROM guard_policy_history WHERE " + above,

                "DELETE FROM prices WHERE " + above,
                "DELETE FROM liquidations WHERE " + above,
                "DELETE FROM insurance_events WHERE " + above,
                "DELETE FROM guard_top_ups WHERE " + above,
                "DELETE FROM blocks WHERE number > " + n,
                "DELETE FROM block_times WHERE number > " + n);
    }

    /* ROWS TO TUPLES (each wraps the list of its values, built for it: no copy) */

    static Tuple marketHistory(MarketChange c) {
        List<Object> values = new ArrayList<>(List.of(c.at().blockNumber(), c.at().logIndex(), c.at().txHash(),
                c.at().event()));
        values.addAll(marketValues(c.after()));
        return Tuple.wrap(values);
    }

    static Tuple market(MarketRow m) {
        return Tuple.wrap(marketValues(m));
    }

    private static List<Object> marketValues(MarketRow m) {
        LiquidationParams l = m.liquidation();
        InterestParams i = m.interest();
        Caps c = m.caps();
        Ramp r = m.ramp();
        State s = m.state();
        return Arrays.asList(m.marketId(), m.config().loanToken(), m.config().collateralToken(), m.config().oracle(),
                numRepeated(m.config().priceScale()), m.config().createdBlock(), m.maxOracleAge(),
                l == null ? null : l.bonusBps(), l == null ? null : l.protocolFeeBps(),
                l == null ? null : l.closeFactorBps(), l == null ? null : numRepeated(l.minDebt()),
                i == null ? null : numRepeated(i.baseRatePerSecond()),
                i == null ? null : numRepeated(i.slope1PerSecond()),
                i == null ? null : numRepeated(i.slope2PerSecond()), i == null ? null : numRepeated(i.kink()),
                i == null ? null : i.reserveFactorBps(),
                c == null ? null : numRepeated(c.supplyCap()), c == null ? null : numRepeated(c.borrowCap()),
                r == null ? null : r.start(), r == null ? null : r.end(),
                num(s.totalSupplyAssets()), num(s.totalSupplyShares()), num(s.totalBorrowAssets()),
                num(s.totalBorrowShares()), num(s.insuranceFund()), s.lastAccrual(), num(s.interestRemainder()),
                m.paused(), m.updatedBlock());
    }

    static MarketRow market(Row row) {
        MarketRow.Config config = new MarketRow.Config(row.getString("loan_token"), row.getString("collateral_token"),
                row.getString("oracle"), big(row, "price_scale"), row.getLong("created_block"));
        LiquidationParams l = row.getValue("liquidation_bonus_bps") == null ? null : new LiquidationParams(
                row.getInteger("liquidation_bonus_bps"), row.getInteger("protocol_fee_bps"),
                row.getInteger("close_factor_bps"), big(row, "min_debt"));
        InterestParams i = row.getValue("kink") == null ? null : new InterestParams(big(row, "base_rate_per_second"),
                big(row, "slope1_per_second"), big(row, "slope2_per_second"), big(row, "kink"),
                row.getInteger("reserve_factor_bps"));
        Caps c = row.getValue("supply_cap") == null ? null : new Caps(big(row, "supply_cap"), big(row, "borrow_cap"));
        Ramp r = row.getValue("ramp_start") == null ? null : new Ramp(row.getLong("ramp_start"),
                row.getLong("ramp_end"));
        State s = new State(big(row, "total_supply_assets"), big(row, "total_supply_shares"),
                big(row, "total_borrow_assets"), big(row, "total_borrow_shares"), big(row, "insurance_fund"),
                row.getLong("last_accrual"), big(row, "interest_remainder"));
        return new MarketRow(row.getLong("market_id"), config, row.getLong("max_oracle_age"), l, i, c, r, s,
                row.getBoolean("paused"), row.getLong("updated_block"));
    }

    static Tuple vaultHistory(VaultChange c) {
        VaultRow v = c.after();
        return Tuple.wrap(Arrays.asList(c.at().blockNumber(), c.at().logIndex(), c.at().blockHash(), c.at().txHash(),
                c.at().event(), v.vaultId(), v.marketId(), v.owner(), num(c.collateralBefore()), num(v.collateral()),
                num(c.debtSharesBefore()), num(v.debtShares()), v.closed(), v.openedBlock()));
    }

    static Tuple vault(VaultRow v) {
        return Tuple.wrap(Arrays.asList(v.vaultId(), v.marketId(), v.owner(), num(v.collateral()),
                num(v.debtShares()), v.closed(), v.openedBlock(), v.updatedBlock()));
    }

    static VaultRow vault(Row row) {
        return new VaultRow(row.getLong("vault_id"), row.getLong("market_id"), row.getString("owner"),
                big(row, "collateral"), big(row, "debt_shares"), row.getBoolean("closed"),
                row.getLong("opened_block"), row.getLong("updated_block"));
    }

    static Tuple tierHistory(TierChange c) {
        var t = c.after();
        return Tuple.wrap(Arrays.asList(c.at().blockNumber(), c.at().logIndex(), c.at().txHash(), t.marketId(),
                t.index(), num(t.minValue()), t.imBps(), t.mmFromBps(), t.mmToBps()));
    }

    static Tuple tier(MirrorChanges.TierRow t) {
        return Tuple.wrap(Arrays.asList(t.marketId(), t.index(), num(t.minValue()), t.imBps(), t.mmFromBps(),
                t.mmToBps()));
    }

    static Tuple lenderHistory(LenderChange c) {
        var l = c.after();
        return Tuple.wrap(Arrays.asList(c.at().blockNumber(), c.at().logIndex(), c.at().txHash(), c.at().event(),
                l.marketId(), l.lender(), num(l.shares())));
    }

    static Tuple lender(MirrorChanges.LenderRow l) {
        return Tuple.wrap(Arrays.asList(l.marketId(), l.lender(), num(l.shares()), l.updatedBlock()));
    }

    static Tuple operatorHistory(OperatorChange c) {
        var o = c.after();
        return Tuple.wrap(Arrays.asList(c.at().blockNumber(), c.at().logIndex(), c.at().txHash(), o.owner(),
                o.operator(), o.approved()));
    }

    static Tuple operator(MirrorChanges.OperatorRow o) {
        return Tuple.wrap(Arrays.asList(o.owner(), o.operator(), o.approved(), o.updatedBlock()));
    }

    static Tuple riskChangeHistory(RiskChange c) {
        List<Object> values = new ArrayList<>(List.of(c.at().blockNumber(), c.at().logIndex(), c.at().txHash(),
                c.at().event()));
        values.addAll(riskChangeValues(c.after()));
        return Tuple.wrap(values);
    }

    static Tuple riskChange(RiskChangeRow r) {
        return Tuple.wrap(riskChangeValues(r));
    }

    private static List<Object> riskChangeValues(RiskChangeRow r) {
        LiquidationParams l = r.liquidation();
        InterestParams i = r.interest();
        RiskChangeRow.Position p = r.resolved();
        return Arrays.asList(r.proposedBlock(), r.proposedLogIndex(), r.proposedTx(), r.marketId(),
                r.status().column(), r.executableAt(), r.maxOracleAge(), l.bonusBps(), l.protocolFeeBps(),
                l.closeFactorBps(), i.reserveFactorBps(), num(l.minDebt()), num(i.baseRatePerSecond()),
                num(i.slope1PerSecond()), num(i.slope2PerSecond()), num(i.kink()), p == null ? null : p.block(),
                p == null ? null : p.logIndex(), p == null ? null : p.txHash(), r.executedBy(), r.updatedBlock());
    }

    static RiskChangeRow riskChange(Row row) {
        Long resolvedBlock = row.getLong("resolved_block");
        return new RiskChangeRow(row.getLong("proposed_block"), row.getInteger("proposed_log_index"),
                row.getString("proposed_tx"), row.getLong("market_id"),
                RiskChangeRow.Status.of(row.getString("status")), row.getLong("executable_at"),
                row.getLong("max_oracle_age"),
                new LiquidationParams(row.getInteger("liquidation_bonus_bps"), row.getInteger("protocol_fee_bps"),
                        row.getInteger("close_factor_bps"), big(row, "min_debt")),
                new InterestParams(big(row, "base_rate_per_second"), big(row, "slope1_per_second"),
                        big(row, "slope2_per_second"), big(row, "kink"), row.getInteger("reserve_factor_bps")),
                resolvedBlock == null ? null : new RiskChangeRow.Position(resolvedBlock,
                        row.getInteger("resolved_log_index"), row.getString("resolved_tx")),
                row.getString("executed_by"), row.getLong("updated_block"));
    }

    static Tuple price(PriceRow p) {
        return Tuple.wrap(Arrays.asList(p.marketId(), p.blockNumber(), p.logIndex(), p.txHash(), num(p.answer()),
                num(p.roundId()), p.updatedAt()));
    }

    static Tuple liquidation(LiquidationRow l) {
        return Tuple.wrap(Arrays.asList(l.at().blockNumber(), l.at().logIndex(), l.at().txHash(), l.vaultId(),
                l.marketId(), l.liquidator(), num(l.repaidAssets()), num(l.repaidShares()), num(l.seizedCollateral()),
                num(l.protocolFee()), num(l.collateralAfter()), num(l.debtSharesAfter()), num(l.badDebt()),
                num(l.coveredByInsurance()), num(l.socialized())));
    }

    static Tuple insurance(InsuranceEvent e) {
        return Tuple.wrap(Arrays.asList(e.at().blockNumber(), e.at().logIndex(), e.at().txHash(), e.marketId(),
                e.kind().column(), num(e.amount()), e.account()));
    }

    static Tuple policyHistory(PolicyChange c) {
        List<Object> values = new ArrayList<>(List.of(c.at().blockNumber(), c.at().logIndex(), c.at().txHash(),
                c.action().column()));
        values.addAll(policyValues(c.after()));
        return Tuple.wrap(values);
    }

    static Tuple policy(GuardPolicyRow p) {
        return Tuple.wrap(policyValues(p));
    }

    private static List<Object> policyValues(GuardPolicyRow p) {
        return Arrays.asList(p.vaultId(), p.status(), p.owner(), p.mode().column(), num(p.triggerHealth()),
                num(p.targetHealth()), p.feeBps(), p.expiry(), num(p.maxPerTopUp()), num(p.maxPerDay()),
                num(p.armed().collateral()), num(p.armed().debtShares()), p.setBy(),
                p.set().block(), p.set().logIndex(), p.set().txHash(), p.revokedBy(), p.updatedBlock());
    }

    /** A {@code guard_policies} row (or a {@code guard_policy_history} row's post-state). */
    static GuardPolicyRow policy(Row row) {
        return new GuardPolicyRow(row.getLong("vault_id"), row.getString("owner"), GuardMode.of(row.getString("mode")),
                big(row, "trigger_health"), big(row, "target_health"), row.getInteger("fee_bps"),
                row.getLong("expiry"), big(row, "max_per_top_up"), big(row, "max_per_day"),
                new GuardPolicyRow.Armed(big(row, "armed_collateral"), big(row, "armed_debt_shares")),
                row.getString("set_by"),
                new RiskChangeRow.Position(row.getLong("set_block"), row.getInteger("set_log_index"),
                        row.getString("set_tx")),
                row.getString("revoked_by"), row.getLong("updated_block"));
    }

    static Tuple topUp(TopUpRow t) {
        return Tuple.wrap(Arrays.asList(t.at().blockNumber(), t.at().logIndex(), t.at().txHash(), t.timestamp(),
                t.vaultId(), t.marketId(), t.owner(), t.executor(), t.mode().column(), num(t.amount()), num(t.fee()),
                num(t.healthBefore()), num(t.healthAfter()), num(t.usedLast24h()), num(t.taken())));
    }

    /** A {@code guard_top_ups} row (its {@link EventRef} without the block hash, which the table does not keep). */
    static TopUpRow topUp(Row row) {
        EventRef at = new EventRef(row.getLong("block_number"), row.getInteger("log_index"), "",
                row.getString("tx_hash"), "ToppedUp");
        return new TopUpRow(at, row.getLong("block_timestamp"), row.getLong("vault_id"), row.getLong("market_id"),
                row.getString("owner"), row.getString("executor"), GuardMode.of(row.getString("mode")),
                big(row, "amount"), big(row, "fee"), big(row, "health_before"), big(row, "health_after"),
                big(row, "used_last_24h"), big(row, "taken"));
    }

    /* HELPERS */

    /**
     * {@code value} as a {@code NUMERIC} parameter: its decimal text, sent in a {@code text[]} and cast by PostgreSQL
     * (the client has no binary {@code NUMERIC}, and turning a {@code Numeric} into text was a quarter of a
     * backfill's CPU), written by {@link #decimal} (up to 128 bits without {@code BigInteger}'s division objects).
     */
    static String num(BigInteger value) {
        return value == null ? null : decimal(value);
    }

    /** {@link #num} of a value many rows repeat (a market's configuration: one text per distinct value, written
     * once). */
    static String numRepeated(BigInteger value) {
        if (value == null) return null;
        if (REPEATED.size() > 4_096) REPEATED.clear();
        return REPEATED.computeIfAbsent(value, Tables::decimal);
    }

    private static final java.util.Map<BigInteger, String> REPEATED = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * {@code v} in decimal, as {@link BigInteger#toString()} writes it. A value under 2^63 by {@link Long#toString};
     * a non-negative one of up to 128 bits by dividing its four 32-bit limbs by 10^9 in {@code long}s until what is
     * left fits a long (one round for an amount of 18 decimals under a billion units), that rest by
     * {@link Long#toString} and each nine-digit remainder after it; anything else by {@code BigInteger}.
     */
    static String decimal(BigInteger v) {
        int bits = v.bitLength();
        if (v.signum() < 0 || bits > 128) return v.toString();
        if (bits < 64) return Long.toString(v.longValue());
        long hi = v.shiftRight(64).longValue();
        long lo = v.longValue();
        long[] limbs = {hi >>> 32, hi & 0xFFFF_FFFFL, lo >>> 32, lo & 0xFFFF_FFFFL};
        int[] chunks = new int[4]; // nine-digit remainders, least significant first (at most 4: 2^128 < 10^39)
        int n = 0;
        do {
            long rem = 0;
            for (int i = 0; i < 4; i++) {
                long cur = (rem << 32) | limbs[i];
                long q = cur / 1_000_000_000L;
                rem = cur - q * 1_000_000_000L;
                limbs[i] = q;
            }
            chunks[n++] = (int) rem;
        } while (limbs[0] != 0 || limbs[1] != 0 || limbs[2] >= 0x8000_0000L);
        String head = Long.toString(limbs[2] << 32 | limbs[3]);
        char[] out = new char[head.length() + 9 * n];
        head.getChars(0, head.length(), out, 0);
        int pos = head.length();
        for (int c = n - 1; c >= 0; c--) {
            int chunk = chunks[c];
            for (int d = pos + 8; d >= pos; d--) {
                out[d] = (char) ('0' + chunk % 10);
                chunk /= 10;
            }
            pos += 9;
        }
        return new String(out);
    }

    static BigInteger big(Row row, String column) {
        Numeric n = row.getNumeric(column);
        return n == null ? null : n.bigIntegerValue();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
