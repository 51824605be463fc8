package io.isomargin.indexer;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.tx.ReadonlyTransactionManager;

/** Compares the mirror in PostgreSQL with the engine's views at the mirror's cursor block. */
final class MirrorComparison {
    private MirrorComparison() {}

    /**
     * Every difference between the mirror and the chain at the cursor: vaults (owner, market, collateral, debt
     * shares, closed), market state, risk parameters and tiers, and the supply shares of {@code lenders} in every
     * market; empty when they agree.
     */
    static List<String> differences(Deployment d, PostgresDatabase db, Collection<String> lenders) throws Exception {
        List<String> diffs = new ArrayList<>();
        try (Connection c = db.connect()) {
            long cursor = single(c, "SELECT block_number FROM cursor").longValueExact();
            IsomarginEngine engine = IsomarginEngine.load(d.engine().getContractAddress(), d.chain().web3j(),
                    new ReadonlyTransactionManager(d.chain().web3j(), d.deployer().getAddress()),
                    d.chain().gasProvider());
            engine.setDefaultBlockParameter(DefaultBlockParameter.valueOf(BigInteger.valueOf(cursor)));

            long vaultCount = engine.vaultCount().send().longValueExact();
            check(diffs, "vault count", vaultCount, single(c, "SELECT count(*) FROM vaults").longValueExact());
            for (long id = 1; id <= vaultCount; id++) {
                IsomarginEngine.Vault v = engine.vault(BigInteger.valueOf(id)).send();
                try (PreparedStatement s = c.prepareStatement("SELECT * FROM vaults WHERE vault_id = ?")) {
                    s.setLong(1, id);
                    ResultSet r = s.executeQuery();
                    if (!r.next()) {
                        diffs.add("vault " + id + " missing");
                        continue;
                    }
                    String p = "vault " + id + " ";
                    check(diffs, p + "owner", v.owner.toLowerCase(Locale.ROOT), r.getString("owner"));
                    check(diffs, p + "market", v.marketId.longValueExact(), r.getLong("market_id"));
                    check(diffs, p + "collateral", v.collateral, r.getBigDecimal("collateral").toBigIntegerExact());
                    check(diffs, p + "debt shares", v.debtShares, r.getBigDecimal("debt_shares").toBigIntegerExact());
                    check(diffs, p + "closed", v.closed, r.getBoolean("closed"));
                }
            }

            long marketCount = engine.marketCount().send().longValueExact();
            check(diffs, "market count", marketCount, single(c, "SELECT count(*) FROM markets").longValueExact());
            for (long id = 1; id <= marketCount; id++) {
                BigInteger mid = BigInteger.valueOf(id);
                IsomarginEngine.MarketState s = engine.marketState(mid).send();
                IsomarginEngine.RiskParams rp = engine.riskParams(mid).send();
                try (PreparedStatement q = c.prepareStatement("SELECT * FROM markets WHERE market_id = ?")) {
                    q.setLong(1, id);
                    ResultSet r = q.executeQuery();
                    if (!r.next()) {
                        diffs.add("market " + id + " missing");
                        continue;
                    }
                    String p = "market " + id + " ";
                    check(diffs, p + "totalSupplyAssets", s.totalSupplyAssets, big(r, "total_supply_assets"));
                    check(diffs, p + "totalSupplyShares", s.totalSupplyShares, big(r, "total_supply_shares"));
                    check(diffs, p + "totalBorrowAssets", s.totalBorrowAssets, big(r, "total_borrow_assets"));
                    check(diffs, p + "totalBorrowShares", s.totalBorrowShares, big(r, "total_borrow_shares"));
                    check(diffs, p + "insuranceFund", s.insuranceFund, big(r, "insurance_fund"));
                    check(diffs, p + "lastAccrual", s.lastAccrual.longValueExact(), r.getLong("last_accrual"));
                    check(diffs, p + "paused", s.paused, r.getBoolean("paused"));
                    check(diffs, p + "maxOracleAge", rp.maxOracleAge.longValueExact(), r.getLong("max_oracle_age"));
                    check(diffs, p + "bonus", rp.liquidationBonusBps.intValueExact(),
                            r.getInt("liquidation_bonus_bps"));
                    check(diffs, p + "protocolFee", rp.protocolFeeBps.intValueExact(), r.getInt("protocol_fee_bps"));
                    check(diffs, p + "closeFactor", rp.closeFactorBps.intValueExact(), r.getInt("close_factor_bps"));
                    check(diffs, p + "reserveFactor", rp.reserveFactorBps.intValueExact(),
                            r.getInt("reserve_factor_bps"));
                    check(diffs, p + "minDebt", rp.minDebt, big(r, "min_debt"));
                    check(diffs, p + "supplyCap", rp.supplyCap, big(r, "supply_cap"));
                    check(diffs, p + "borrowCap", rp.borrowCap, big(r, "borrow_cap"));
                    check(diffs, p + "kink", rp.rateModel.kink, big(r, "kink"));
                    check(diffs, p + "slope2", rp.rateModel.slope2PerSecond, big(r, "slope2_per_second"));
                    check(diffs, p + "rampStart", rp.rampStart.longValueExact(), r.getLong("ramp_start"));
                    check(diffs, p + "rampEnd", rp.rampEnd.longValueExact(), r.getLong("ramp_end"));
                }
                int tierCount = engine.marketConfig(mid).send().tierCount.intValueExact();
                check(diffs, "market " + id + " tier count", (long) tierCount,
                        single(c, "SELECT count(*) FROM market_tiers WHERE market_id = " + id).longValueExact());
                for (int i = 0; i < tierCount; i++) {
                    IsomarginEngine.TierState t = engine.tier(mid, BigInteger.valueOf(i)).send();
                    try (PreparedStatement q = c.prepareStatement(
                            "SELECT * FROM market_tiers WHERE market_id = ? AND idx = ?")) {
                        q.setLong(1, id);
                        q.setInt(2, i);
                        ResultSet r = q.executeQuery();
                        String p = "market " + id + " tier " + i + " ";
                        if (!r.next()) {
                            diffs.add(p + "missing");
                            continue;
                        }
                        check(diffs, p + "minValue", t.minValue, big(r, "min_value"));
                        check(diffs, p + "im", t.imBps.intValueExact(), r.getInt("im_bps"));
                        check(diffs, p + "mmFrom", t.mmFromBps.intValueExact(), r.getInt("mm_from_bps"));
                        check(diffs, p + "mmTo", t.mmToBps.intValueExact(), r.getInt("mm_to_bps"));
                    }
                }
                for (String lender : lenders) {
                    BigInteger onChain = engine.supplyShares(mid, lender).send();
                    BigInteger mirrored = BigInteger.ZERO;
                    try (PreparedStatement q = c.prepareStatement(
                            "SELECT shares FROM lenders WHERE market_id = ? AND lender = ?")) {
                        q.setLong(1, id);
                        q.setString(2, lender.toLowerCase(Locale.ROOT));
                        ResultSet r = q.executeQuery();
                        if (r.next()) mirrored = big(r, "shares");
                    }
                    check(diffs, "market " + id + " lender " + lender + " shares", onChain, mirrored);
                }
            }
            long duplicates = single(c, "SELECT count(*) - count(DISTINCT (block_number, log_index)) FROM vault_history")
                    .longValueExact();
            check(diffs, "duplicate vault_history (block, log_index)", 0L, duplicates);
        }
        return diffs;
    }

    static BigInteger single(Connection c, String sql) throws SQLException {
        try (ResultSet r = c.createStatement().executeQuery(sql)) {
            if (!r.next()) throw new IllegalStateException("no row for " + sql);
            return r.getBigDecimal(1).toBigIntegerExact();
        }
    }

    private static BigInteger big(ResultSet r, String column) throws SQLException {
        var value = r.getBigDecimal(column);
        return value == null ? null : value.toBigIntegerExact();
    }

    private static void check(List<String> diffs, String what, Object chain, Object mirror) {
        if (!Objects.equals(chain, mirror)) {
            diffs.add(what + ": chain " + chain + ", mirror " + mirror);
        }
    }
}
