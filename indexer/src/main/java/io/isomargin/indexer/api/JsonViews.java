package io.isomargin.indexer.api;

import static io.isomargin.abi.math.FullMath.UINT256_MAX;

import io.isomargin.abi.math.TierState;
import io.isomargin.indexer.projection.GuardMode;
import io.isomargin.indexer.projection.GuardPolicyRow;
import io.isomargin.indexer.projection.GuardWindow;
import io.isomargin.indexer.projection.MarketRow;
import io.isomargin.indexer.projection.MirrorChanges.LiquidationRow;
import io.isomargin.indexer.projection.MirrorChanges.PolicyChange;
import io.isomargin.indexer.projection.MirrorChanges.PriceRow;
import io.isomargin.indexer.projection.RiskChangeRow;
import io.isomargin.indexer.projection.TopUpRow;
import io.isomargin.indexer.projection.VaultRow;
import io.isomargin.indexer.store.MirrorReader.AsOf;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The API's JSON shapes. Amounts (token base units, shares, oracle answers, WAD) are decimal strings, exact for any
 * uint256; ids and block numbers are numbers; addresses are lower-case. Beside each token amount and oracle answer
 * {@code <field>Formatted} gives it in whole tokens (a {@link MarketLabel}), beside each market id the market's name;
 * the ISO times beside block numbers and seconds are added to the whole answer by {@link BlockClock}.
 */
final class JsonViews {
    private JsonViews() {}

    static JsonObject asOf(AsOf a) {
        return new JsonObject().put("block", a.block()).put("timestamp", a.timestamp());
    }

    /** A market; {@code pending} its pending risk change, or null; {@code u} its tokens. */
    static JsonObject market(MarketSnapshot s, long openVaults, RiskChangeRow pending, MarketLabel u) {
        MarketRow m = s.market();
        MarketRow.State st = m.state();
        JsonObject o = new JsonObject()
                .put("id", m.marketId())
                .put("name", u.name())
                .put("tokens", new JsonObject().put("loan", MarketLabel.token(u.loan()))
                        .put("collateral", MarketLabel.token(u.collateral())))
                .put("loanToken", m.config().loanToken())
                .put("collateralToken", m.config().collateralToken())
                .put("oracle", m.config().oracle())
                .put("priceScale", str(m.config().priceScale()))
                .put("createdBlock", m.config().createdBlock())
                .put("paused", m.paused())
                .put("openVaults", openVaults)
                .put("maxOracleAge", m.maxOracleAge());
        if (m.liquidation() != null) o.put("liquidation", liquidation(m.liquidation(), u));
        if (m.interest() != null) o.put("interest", interest(m.interest()));
        if (m.caps() != null) {
            o.put("caps", u.loanAmounts(new JsonObject().put("supplyCap", str(m.caps().supplyCap()))
                    .put("borrowCap", str(m.caps().borrowCap())), "supplyCap", "borrowCap"));
        }
        JsonArray tiers = new JsonArray();
        for (TierState t : s.tiers()) {
            tiers.add(u.loanAmounts(new JsonObject().put("minValue", str(t.minValue())).put("imBps", t.imBps())
                    .put("mmFromBps", t.mmFromBps()).put("mmToBps", t.mmToBps()), "minValue"));
        }
        o.put("tiers", tiers);
        if (m.ramp() != null) o.put("ramp", new JsonObject().put("start", m.ramp().start()).put("end", m.ramp().end()));
        o.put("state", u.loanAmounts(new JsonObject()
                .put("totalSupplyAssets", str(st.totalSupplyAssets()))
                .put("totalSupplyShares", str(st.totalSupplyShares()))
                .put("totalBorrowAssets", str(st.totalBorrowAssets()))
                .put("totalBorrowShares", str(st.totalBorrowShares()))
                .put("insuranceFund", str(st.insuranceFund()))
                .put("lastAccrual", st.lastAccrual())
                .put("interestRemainder", str(st.interestRemainder()))
                .put("updatedBlock", m.updatedBlock()), "totalSupplyAssets", "totalBorrowAssets", "insuranceFund"));
        o.put("price", price(s.price(), u));
        o.put("pendingRiskChange", pending == null ? null : pendingRiskChange(pending, s.timestamp(), u));
        return o;
    }

    static JsonObject liquidation(MarketRow.LiquidationParams l, MarketLabel u) {
        return u.loanAmounts(new JsonObject().put("bonusBps", l.bonusBps())
                .put("protocolFeeBps", l.protocolFeeBps())
                .put("closeFactorBps", l.closeFactorBps())
                .put("minDebt", str(l.minDebt())), "minDebt");
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
    static JsonObject pendingRiskChange(RiskChangeRow r, long now, MarketLabel u) {
        return new JsonObject()
                .put("maxOracleAge", r.maxOracleAge())
                .put("liquidation", liquidation(r.liquidation(), u))
                .put("interest", interest(r.interest()))
                .put("executableAt", r.executableAt())
                .put("executable", r.executableAt() != null && now >= r.executableAt())
                .put("proposedBlock", r.proposedBlock())
                .put("proposedLogIndex", r.proposedLogIndex())
                .put("proposedTxHash", r.proposedTx());
    }

    /** One row of a market's risk-change history. */
    static JsonObject riskChange(RiskChangeRow r, MarketLabel u) {
        RiskChangeRow.Position p = r.resolved();
        return new JsonObject()
                .put("market", r.marketId())
                .put("marketName", u.name())
                .put("status", r.status().column())
                .put("maxOracleAge", r.maxOracleAge())
                .put("liquidation", liquidation(r.liquidation(), u))
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

    /** An oracle answer with {@code answerFormatted}: whole loan tokens per whole collateral token. */
    static JsonObject price(PriceRow p, MarketLabel u) {
        if (p == null) return null;
        return u.prices(new JsonObject().put("answer", str(p.answer())).put("roundId", str(p.roundId()))
                .put("updatedAt", p.updatedAt()).put("block", p.blockNumber()).put("txHash", p.txHash()), "answer");
    }

    /** A vault; {@code valuation} null when its market has no price yet. */
    static JsonObject vault(VaultRow v, MarketSnapshot.Valuation valuation, BigInteger debt, MarketLabel u) {
        JsonObject o = new JsonObject()
                .put("id", v.vaultId())
                .put("market", v.marketId())
                .put("marketName", u.name())
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
        u.collateralAmounts(o, "collateral");
        u.loanAmounts(o, "debt", "collateralValue");
        return u.prices(o, "liquidationPrice");
    }

    static JsonObject vaultEvent(io.isomargin.indexer.store.MirrorReader.VaultEvent e, MarketLabel u) {
        return new JsonObject()
                .put("block", e.at().blockNumber())
                .put("logIndex", e.at().logIndex())
                .put("txHash", e.at().txHash())
                .put("event", e.at().event())
                .put("collateralBefore", str(e.collateralBefore()))
                .put("collateralAfter", str(e.collateralAfter()))
                .put("debtSharesBefore", str(e.debtSharesBefore()))
                .put("debtSharesAfter", str(e.debtSharesAfter()))
                .put("closed", e.closed())
                .put("collateralBeforeFormatted", u.collateral().format(e.collateralBefore()))
                .put("collateralAfterFormatted", u.collateral().format(e.collateralAfter()));
    }

    static JsonObject insurance(io.isomargin.indexer.projection.MirrorChanges.InsuranceEvent e, MarketLabel u) {
        return u.loanAmounts(new JsonObject()
                .put("block", e.at().blockNumber())
                .put("logIndex", e.at().logIndex())
                .put("txHash", e.at().txHash())
                .put("kind", e.kind().column())
                .put("amount", str(e.amount()))
                .put("account", e.account()), "amount");
    }

    static JsonObject liquidation(LiquidationRow l, MarketLabel u) {
        JsonObject o = new JsonObject()
                .put("block", l.at().blockNumber())
                .put("logIndex", l.at().logIndex())
                .put("txHash", l.at().txHash())
                .put("vault", l.vaultId())
                .put("market", l.marketId())
                .put("marketName", u.name())
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
        u.loanAmounts(o, "repaidAssets", "protocolFee", "badDebt", "coveredByInsurance", "socialized");
        return u.collateralAmounts(o, "seizedCollateral", "collateralAfter");
    }

    static JsonObject stress(long marketId, BigDecimal drop, PriceRow price, MarketSnapshot.Stress s, MarketLabel u) {
        JsonObject o = new JsonObject()
                .put("market", marketId)
                .put("marketName", u.name())
                .put("drop", drop.stripTrailingZeros().toPlainString())
                .put("price", str(price.answer()))
                .put("shockedPrice", str(s.shockedAnswer()))
                .put("indebtedVaults", s.indebtedVaults())
                .put("indebtedDebt", str(s.indebtedDebt()))
                .put("liquidatableVaults", s.liquidatableVaults())
                .put("alreadyLiquidatable", s.alreadyLiquidatable())
                .put("liquidatableDebt", str(s.debt()))
                .put("liquidatableCollateral", str(s.collateral()))
                .put("badDebt", str(s.badDebt()))
                .put("withGuards", guarded(s.guarded(), u));
        u.prices(o, "price", "shockedPrice");
        u.loanAmounts(o, "indebtedDebt", "liquidatableDebt", "badDebt");
        return u.collateralAmounts(o, "liquidatableCollateral");
    }

    /** The stress figures with the guards' remaining capacity. */
    static JsonObject guarded(MarketSnapshot.Guarded g, MarketLabel u) {
        JsonObject o = new JsonObject()
                .put("guardedVaults", g.guardedVaults())
                .put("savedVaults", g.savedVaults())
                .put("savedDebt", str(g.savedDebt()))
                .put("liquidatableVaults", g.liquidatableVaults())
                .put("liquidatableDebt", str(g.debt()))
                .put("liquidatableCollateral", str(g.collateral()))
                .put("badDebt", str(g.badDebt()));
        u.loanAmounts(o, "savedDebt", "liquidatableDebt", "badDebt");
        return u.collateralAmounts(o, "liquidatableCollateral");
    }

    /**
     * A vault's active guard policy at {@code now}: its terms, whether it can run ({@code live}: not expired, the vault
     * still the policy owner's), the position it defends ({@code armedCollateral}, {@code armedDebtShares}) and
     * whether the vault is still no riskier than that ({@code armed}; a borrow or withdraw since disarms it until the
     * owner sets the policy again), and its rolling cap: used in the last 24 hours, what the daily cap leaves, and the
     * most the next top-up may take from the wallet ({@code capacity}) and put into the vault after the fee
     * ({@code capacityNet}).
     *
     * @param token the token the mode moves (the market's collateral or loan token)
     * @param vault the vault now
     */
    static JsonObject policy(GuardPolicyRow p, GuardWindow.Usage usage, long now, String token, VaultRow vault,
            MarketLabel u) {
        BigInteger capacity = usage.capacity(p);
        JsonObject o = terms(new JsonObject(), p, u)
                .put("live", p.live(now, vault.owner()))
                .put("armed", p.armed().defends(vault.collateral(), vault.debtShares()))
                .put("armedCollateral", str(p.armed().collateral()))
                .put("armedDebtShares", str(p.armed().debtShares()))
                .put("expired", now > p.expiry())
                .put("token", token)
                .put("usedLast24h", str(usage.used(p.mode())))
                .put("topUpsLast24h", usage.topUps())
                .put("remainingDailyCap", str(usage.remaining(p)))
                .put("capacity", str(capacity))
                .put("capacityNet", str(GuardWindow.net(capacity, p.feeBps())))
                .put("windowFreesAt", usage.freesAt() < 0 ? null : usage.freesAt())
                .put("setBy", p.setBy())
                .put("setBlock", p.set().block())
                .put("setLogIndex", p.set().logIndex())
                .put("setTxHash", p.set().txHash())
                .put("tokenSymbol", u.token(p.mode()).symbol());
        u.collateralAmounts(o, "armedCollateral");
        return MarketLabel.amounts(o, u.token(p.mode()), "usedLast24h", "remainingDailyCap", "capacity",
                "capacityNet");
    }

    /** A policy's terms, into {@code o}, its caps also in whole tokens of the token its mode moves. */
    private static JsonObject terms(JsonObject o, GuardPolicyRow p, MarketLabel u) {
        o.put("owner", p.owner())
                .put("mode", p.mode().column())
                .put("triggerHealth", ratio(p.triggerHealth()))
                .put("triggerHealthWad", str(p.triggerHealth()))
                .put("targetHealth", ratio(p.targetHealth()))
                .put("targetHealthWad", str(p.targetHealth()))
                .put("feeBps", p.feeBps())
                .put("expiry", p.expiry())
                .put("maxPerTopUp", str(p.maxPerTopUp()))
                .put("maxPerDay", str(p.maxPerDay()));
        return MarketLabel.amounts(o, u.token(p.mode()), "maxPerTopUp", "maxPerDay");
    }

    /** One entry of a vault's policy history: what happened and the policy's terms after it. */
    static JsonObject policyChange(PolicyChange c, MarketLabel u) {
        GuardPolicyRow p = c.after();
        String by = switch (c.action()) {
            case REVOKED -> p.revokedBy();
            case TOPPED_UP -> null; // the top-up's executor is in its topUps entry
            case SET, REPLACED -> p.setBy();
        };
        JsonObject o = terms(new JsonObject()
                .put("action", c.action().column())
                .put("block", c.at().blockNumber())
                .put("logIndex", c.at().logIndex())
                .put("txHash", c.at().txHash())
                .put("by", by)
                .put("armedCollateral", str(p.armed().collateral()))
                .put("armedDebtShares", str(p.armed().debtShares())), p, u);
        return u.collateralAmounts(o, "armedCollateral");
    }

    static JsonObject topUp(TopUpRow t, MarketLabel u) {
        JsonObject o = new JsonObject()
                .put("block", t.at().blockNumber())
                .put("logIndex", t.at().logIndex())
                .put("txHash", t.at().txHash())
                .put("timestamp", t.timestamp())
                .put("vault", t.vaultId())
                .put("market", t.marketId())
                .put("owner", t.owner())
                .put("executor", t.executor())
                .put("mode", t.mode().column())
                .put("amount", str(t.amount()))
                .put("fee", str(t.fee()))
                .put("healthBefore", health(t.healthBefore()))
                .put("healthBeforeWad", str(t.healthBefore()))
                .put("healthAfter", health(t.healthAfter()))
                .put("healthAfterWad", str(t.healthAfter()))
                .put("usedLast24h", str(t.usedLast24h()))
                .put("taken", str(t.taken()))
                .put("marketName", u.name())
                .put("tokenSymbol", u.token(t.mode()).symbol());
        return MarketLabel.amounts(o, u.token(t.mode()), "amount", "fee", "usedLast24h", "taken");
    }

    /** A health as a ratio; null for a vault without debt ({@code 2^256 - 1}). */
    private static String health(BigInteger wad) {
        return wad.equals(UINT256_MAX) ? null : ratio(wad);
    }

    /** The token a guard mode moves in market {@code m}. */
    static String token(MarketRow m, GuardMode mode) {
        return mode == GuardMode.DEPOSIT_COLLATERAL ? m.config().collateralToken() : m.config().loanToken();
    }

    /** {@code debtFree}: open vaults without debt (not in the buckets). */
    static JsonObject histogram(long marketId, PriceRow price, HealthHistogram h, long debtFree, MarketLabel u) {
        JsonArray buckets = new JsonArray();
        int indebted = 0;
        for (HealthHistogram.Bucket b : h.buckets()) {
            indebted += b.vaults();
            buckets.add(u.loanAmounts(new JsonObject()
                    .put("from", b.from() == null ? null : b.from().toPlainString())
                    .put("to", b.to() == null ? null : b.to().toPlainString())
                    .put("vaults", b.vaults())
                    .put("debt", str(b.debt())), "debt"));
        }
        return u.prices(new JsonObject()
                .put("market", marketId)
                .put("marketName", u.name())
                .put("price", str(price.answer()))
                .put("edges", new JsonArray(h.edges().stream().map(BigDecimal::toPlainString).toList()))
                .put("buckets", buckets)
                .put("indebtedVaults", indebted)
                .put("debtFreeVaults", debtFree), "price");
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
