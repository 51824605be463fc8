package io.isomargin.indexer.api;

import static io.isomargin.abi.math.FullMath.UINT256_MAX;

import io.isomargin.abi.math.TierState;
import io.isomargin.indexer.MarketRow;
import io.isomargin.indexer.MirrorChanges.LiquidationRow;
import io.isomargin.indexer.MirrorChanges.PriceRow;
import io.isomargin.indexer.MirrorReader.AsOf;
import io.isomargin.indexer.RiskChangeRow;
import io.isomargin.indexer.VaultRow;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The API's JSON shapes. Amounts (token base units, shares, oracle answers, WAD) are decimal strings, exact for any
 * uint256; ids and block numbers are numbers; addresses are lower-case.
 */
final class JsonViews {
    private JsonViews() {}

    static JsonObject asOf(AsOf a) {
        return new JsonObject().put("block", a.block()).put("timestamp", a.timestamp());
    }

    /** A market; {@code pending} its pending risk change, or null. */
    static JsonObject market(MarketSnapshot s, long openVaults, RiskChangeRow pending) {
        MarketRow m = s.market();
        MarketRow.State st = m.state();
        JsonObject o = new JsonObject()
                .put("id", m.marketId())
                .put("loanToken", m.config().loanToken())
                .put("collateralToken", m.config().collateralToken())
                .put("oracle", m.config().oracle())
                .put("priceScale", str(m.config().priceScale()))
                .put("createdBlock", m.config().createdBlock())
                .put("paused", m.paused())
                .put("openVaults", openVaults)
                .put("maxOracleAge", m.maxOracleAge());
        if (m.liquidation() != null) o.put("liquidation", liquidation(m.liquidation()));
        if (m.interest() != null) o.put("interest", interest(m.interest()));
        if (m.caps() != null) {
            o.put("caps", new JsonObject().put("supplyCap", str(m.caps().supplyCap()))
                    .put("borrowCap", str(m.caps().borrowCap())));
        }
        JsonArray tiers = new JsonArray();
        for (TierState t : s.tiers()) {
            tiers.add(new JsonObject().put("minValue", str(t.minValue())).put("imBps", t.imBps())
                    .put("mmFromBps", t.mmFromBps()).put("mmToBps", t.mmToBps()));
        }
        o.put("tiers", tiers);
        if (m.ramp() != null) o.put("ramp", new JsonObject().put("start", m.ramp().start()).put("end", m.ramp().end()));
        o.put("state", new JsonObject()
                .put("totalSupplyAssets", str(st.totalSupplyAssets()))
                .put("totalSupplyShares", str(st.totalSupplyShares()))
                .put("totalBorrowAssets", str(st.totalBorrowAssets()))
                .put("totalBorrowShares", str(st.totalBorrowShares()))
                .put("insuranceFund", str(st.insuranceFund()))
                .put("lastAccrual", st.lastAccrual())
                .put("interestRemainder", str(st.interestRemainder()))
                .put("updatedBlock", m.updatedBlock()));
        o.put("price", price(s.price()));
        o.put("pendingRiskChange", pending == null ? null : pendingRiskChange(pending, s.timestamp()));
        return o;
    }

    static JsonObject liquidation(MarketRow.LiquidationParams l) {
        return new JsonObject().put("bonusBps", l.bonusBps())
                .put("protocolFeeBps", l.protocolFeeBps())
                .put("closeFactorBps", l.closeFactorBps())
                .put("minDebt", str(l.minDebt()));
    }

    static JsonObject interest(MarketRow.InterestParams i) {
        return new JsonObject().put("baseRatePerSecond", str(i.baseRatePerSecond()))
                .put("slope1PerSecond", str(i.slope1PerSecond()))
                .put("slope2PerSecond", str(i.slope2PerSecond()))
                .put("kink", str(i.kink()))
                .put("reserveFactorBps", i.reserveFactorBps());
    }

    /**
     * A market's pending change: the parameters it would set (same shapes as the market's), when it becomes
     * executable and whether it is at {@code now}.
     */
    static JsonObject pendingRiskChange(RiskChangeRow r, long now) {
        return new JsonObject()
                .put("maxOracleAge", r.maxOracleAge())
                .put("liquidation", liquidation(r.liquidation()))
                .put("interest", interest(r.interest()))
                .put("executableAt", r.executableAt())
                .put("executable", r.executableAt() != null && now >= r.executableAt())
                .put("proposedBlock", r.proposedBlock())
                .put("proposedLogIndex", r.proposedLogIndex())
                .put("proposedTxHash", r.proposedTx());
    }

    /** One row of a market's risk-change history. */
    static JsonObject riskChange(RiskChangeRow r) {
        RiskChangeRow.Position p = r.resolved();
        return new JsonObject()
                .put("market", r.marketId())
                .put("status", r.status().column())
                .put("maxOracleAge", r.maxOracleAge())
                .put("liquidation", liquidation(r.liquidation()))
                .put("interest", interest(r.interest()))
                .put("executableAt", r.executableAt())
                .put("proposedBlock", r.proposedBlock())
                .put("proposedLogIndex", r.proposedLogIndex())
                .put("proposedTxHash", r.proposedTx())
                .put("resolvedBlock", p == null ? null : p.block())
                .put("resolvedLogIndex", p == null ? null : p.logIndex())
                .put("resolvedTxHash", p == null ? null : p.txHash())
                .put("executedBy", r.executedBy());
    }

    static JsonObject price(PriceRow p) {
        if (p == null) return null;
        return new JsonObject().put("answer", str(p.answer())).put("roundId", str(p.roundId()))
                .put("updatedAt", p.updatedAt()).put("block", p.blockNumber()).put("txHash", p.txHash());
    }

    /** A vault; {@code valuation} null when its market has no price yet. */
    static JsonObject vault(VaultRow v, MarketSnapshot.Valuation valuation, BigInteger debt) {
        JsonObject o = new JsonObject()
                .put("id", v.vaultId())
                .put("market", v.marketId())
                .put("owner", v.owner())
                .put("closed", v.closed())
                .put("collateral", str(v.collateral()))
                .put("debtShares", str(v.debtShares()))
                .put("debt", str(debt))
                .put("openedBlock", v.openedBlock())
                .put("updatedBlock", v.updatedBlock());
        if (valuation == null) {
            o.putNull("collateralValue").putNull("health").putNull("liquidatable").putNull("liquidationPrice");
        } else {
            boolean noDebt = valuation.health().equals(UINT256_MAX);
            o.put("collateralValue", str(valuation.collateralValue()))
                    .put("health", noDebt ? null : ratio(valuation.health()))
                    .put("healthWad", noDebt ? null : str(valuation.health()))
                    .put("liquidatable", valuation.liquidatable())
                    .put("liquidationPrice", noDebt ? null : str(valuation.liquidationPrice()));
        }
        return o;
    }

    static JsonObject liquidation(LiquidationRow l) {
        return new JsonObject()
                .put("block", l.at().blockNumber())
                .put("logIndex", l.at().logIndex())
                .put("txHash", l.at().txHash())
                .put("vault", l.vaultId())
                .put("market", l.marketId())
                .put("liquidator", l.liquidator())
                .put("repaidAssets", str(l.repaidAssets()))
                .put("repaidShares", str(l.repaidShares()))
                .put("seizedCollateral", str(l.seizedCollateral()))
                .put("protocolFee", str(l.protocolFee()))
                .put("collateralAfter", str(l.collateralAfter()))
                .put("debtSharesAfter", str(l.debtSharesAfter()))
                .put("badDebt", str(l.badDebt()))
                .put("coveredByInsurance", str(l.coveredByInsurance()))
                .put("socialized", str(l.socialized()));
    }

    static JsonObject stress(long marketId, BigDecimal drop, PriceRow price, MarketSnapshot.Stress s) {
        return new JsonObject()
                .put("market", marketId)
                .put("drop", drop.stripTrailingZeros().toPlainString())
                .put("price", str(price.answer()))
                .put("shockedPrice", str(s.shockedAnswer()))
                .put("indebtedVaults", s.indebtedVaults())
                .put("indebtedDebt", str(s.indebtedDebt()))
                .put("liquidatableVaults", s.liquidatableVaults())
                .put("alreadyLiquidatable", s.alreadyLiquidatable())
                .put("liquidatableDebt", str(s.debt()))
                .put("liquidatableCollateral", str(s.collateral()))
                .put("badDebt", str(s.badDebt()));
    }

    /** {@code debtFree}: open vaults without debt (not in the buckets). */
    static JsonObject histogram(long marketId, PriceRow price, HealthHistogram h, long debtFree) {
        JsonArray buckets = new JsonArray();
        int indebted = 0;
        for (HealthHistogram.Bucket b : h.buckets()) {
            indebted += b.vaults();
            buckets.add(new JsonObject()
                    .put("from", b.from() == null ? null : b.from().toPlainString())
                    .put("to", b.to() == null ? null : b.to().toPlainString())
                    .put("vaults", b.vaults())
                    .put("debt", str(b.debt())));
        }
        return new JsonObject()
                .put("market", marketId)
                .put("price", str(price.answer()))
                .put("edges", new JsonArray(h.edges().stream().map(BigDecimal::toPlainString).toList()))
                .put("buckets", buckets)
                .put("indebtedVaults", indebted)
                .put("debtFreeVaults", debtFree);
    }

    /** WAD as a plain decimal: 1250000000000000000 -> "1.25". */
    static String ratio(BigInteger wad) {
        BigDecimal d = new BigDecimal(wad, 18).stripTrailingZeros();
        return d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
    }

    static String str(BigInteger v) {
        return v == null ? null : v.toString();
    }
}
