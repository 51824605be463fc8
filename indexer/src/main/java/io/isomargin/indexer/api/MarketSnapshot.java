package io.isomargin.indexer.api;

import static io.isomargin.abi.math.FullMath.UINT256_MAX;

import io.isomargin.abi.math.InterestMath;
import io.isomargin.abi.math.LiquidationMath;
import io.isomargin.abi.math.MarginMath;
import io.isomargin.abi.math.MarginMath.Margins;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.RateModel;
import io.isomargin.abi.math.TierState;
import io.isomargin.indexer.projection.MarketRow;
import io.isomargin.indexer.projection.MirrorChanges.PriceRow;
import io.isomargin.indexer.projection.VaultRow;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A market as the mirror knows it at one moment, able to value its vaults with the engine's exact math: interest
 * accrued to {@code timestamp} (as the lens's {@code expectedMarketState}, the carried interest remainder included),
 * maintenance margins ramped to it, and the latest mirrored oracle answer as the price. Oracle staleness is not checked: the answer is the mirror's latest.
 *
 * @param market    the market row (its parameters are all present once the creating transaction is mirrored)
 * @param tiers     its margin tiers in index order
 * @param price     its latest oracle update, or null before any
 * @param timestamp the moment to value at (seconds)
 */
public record MarketSnapshot(MarketRow market, List<TierState> tiers, PriceRow price, long timestamp) {

    /** One vault valued at some oracle answer. */
    public record Valuation(BigInteger debt, BigInteger collateralValue, BigInteger health, boolean liquidatable,
            BigInteger liquidationPrice) {}

    public MarketSnapshot {
        Objects.requireNonNull(market, "market");
        tiers = List.copyOf(tiers);
    }

    /** False until the market's parameters and tiers are mirrored (they come in its creating transaction). */
    public boolean complete() {
        return market.interest() != null && market.liquidation() != null && market.ramp() != null && !tiers.isEmpty();
    }

    /** The totals with interest accrued to {@link #timestamp}. */
    public MarketTotals totals() {
        MarketRow.State s = market.state();
        MarketTotals t = new MarketTotals(s.totalSupplyAssets(), s.totalSupplyShares(), s.totalBorrowAssets(),
                s.totalBorrowShares(), s.insuranceFund(), s.lastAccrual(), s.interestRemainder());
        MarketRow.InterestParams i = market.interest();
        if (i == null || timestamp <= s.lastAccrual()) return t;
        return InterestMath.accrue(t, new RateModel(i.baseRatePerSecond(), i.slope1PerSecond(), i.slope2PerSecond(),
                i.kink()), i.reserveFactorBps(), timestamp);
    }

    /** The margins in force at {@link #timestamp}. */
    public Margins margins() {
        MarketRow.Ramp r = market.ramp();
        return Margins.at(tiers, r == null ? 0 : r.start(), r == null ? 0 : r.end(), timestamp);
    }

    public LiquidationMath.Terms terms() {
        MarketRow.LiquidationParams l = market.liquidation();
        return new LiquidationMath.Terms(l.bonusBps(), l.protocolFeeBps(), l.closeFactorBps(), l.minDebt());
    }

    /** The vault's debt (rounded up, as the engine) with interest to {@link #timestamp}. */
    public BigInteger debt(VaultRow v) {
        return MarginMath.debt(v.debtShares(), totals());
    }

    /**
     * Values {@code v} at oracle answer {@code answer}: health in WAD ({@code 2^256 - 1} without debt), liquidatable as
     * the engine's {@code isLiquidatable}, and the lowest answer at which it stays healthy (its liquidation price).
     */
    public Valuation value(VaultRow v, BigInteger answer) {
        return value(v, answer, totals(), margins());
    }

    Valuation value(VaultRow v, BigInteger answer, MarketTotals totals, Margins margins) {
        BigInteger debt = MarginMath.debt(v.debtShares(), totals);
        BigInteger price = MarginMath.scaledPrice(answer, market.config().priceScale());
        return new Valuation(debt, MarginMath.value(v.collateral(), price),
                MarginMath.health(v.collateral(), debt, price, margins),
                MarginMath.isLiquidatable(v.collateral(), debt, price, margins),
                MarginMath.liquidationPrice(v.collateral(), debt, market.config().priceScale(), margins));
    }

    /**
     * What the market's indebted vaults would look like if the oracle answer fell by {@code dropBps} (rounded down,
     * towards more liquidations): the vaults liquidatable then, their debt and collateral, and the debt a full-size
     * liquidation of each would leave unpaid (bad debt), each vault quoted alone against today's totals.
     */
    public Stress stress(List<VaultRow> indebted, int dropBps) {
        return stress(indebted, dropBps, Map.of());
    }

    /**
     * {@link #stress(List, int)}, and the same with the margin guards' remaining capacity ({@link Stress#guarded}): a
     * guarded vault liquidatable at the shocked answer is first topped up with its whole capacity; one that is then
     * healthy is saved, one that is not counts with its own collateral and debt (the guard refuses a top-up that
     * would leave its vault liquidatable: {@code StillLiquidatable}).
     *
     * @param guards the capacity of each vault with a live guard policy, by vault id
     */
    Stress stress(List<VaultRow> indebted, int dropBps, Map<Long, GuardCapacity> guards) {
        if (price == null) throw new IllegalStateException("market " + market.marketId() + " has no price yet");
        BigInteger shocked = price.answer().multiply(BigInteger.valueOf(10_000L - dropBps))
                .divide(BigInteger.valueOf(10_000));
        MarketTotals totals = totals();
        Margins margins = margins();
        BigInteger scaled = MarginMath.scaledPrice(shocked, market.config().priceScale());
        BigInteger scaledNow = MarginMath.scaledPrice(price.answer(), market.config().priceScale());
        int vaults = 0;
        int already = 0;
        BigInteger debtTotal = BigInteger.ZERO;
        BigInteger debt = BigInteger.ZERO;
        BigInteger collateral = BigInteger.ZERO;
        BigInteger badDebt = BigInteger.ZERO;
        Guarded.Sum withGuards = new Guarded.Sum();
        for (VaultRow v : indebted) {
            BigInteger d = MarginMath.debt(v.debtShares(), totals);
            debtTotal = debtTotal.add(d);
            GuardCapacity guard = guards.get(v.vaultId());
            if (guard != null) withGuards.guardedVaults++;
            if (!MarginMath.isLiquidatable(v.collateral(), d, scaled, margins)) continue;
            vaults++;
            if (MarginMath.isLiquidatable(v.collateral(), d, scaledNow, margins)) already++;
            debt = debt.add(d);
            collateral = collateral.add(v.collateral());
            BigInteger bad = LiquidationMath.quote(v.collateral(), v.debtShares(), totals, scaled, terms(),
                    UINT256_MAX).badDebt();
            badDebt = badDebt.add(bad);
            if (guard == null) {
                withGuards.liquidatable(d, v.collateral(), bad);
                continue;
            }
            GuardCapacity.Outcome after = guard.topUp(v.collateral(), v.debtShares(), totals,
                    market.liquidation().minDebt());
            BigInteger debtAfter = MarginMath.debt(after.debtShares(), after.totals());
            if (!MarginMath.isLiquidatable(after.collateral(), debtAfter, scaled, margins)) {
                withGuards.savedVaults++;
                withGuards.savedDebt = withGuards.savedDebt.add(d);
            } else {
                withGuards.liquidatable(d, v.collateral(), bad); // the guard would refuse: StillLiquidatable
            }
        }
        return new Stress(shocked, indebted.size(), debtTotal, vaults, already, debt, collateral, badDebt,
                withGuards.result());
    }

    /**
     * The result of {@link #stress}.
     *
     * @param shockedAnswer       the oracle answer after the drop
     * @param indebtedVaults      open vaults with debt, and {@code indebtedDebt} their debt
     * @param liquidatableVaults  of those, the ones liquidatable at the shocked answer, with their {@code debt} and
     *                            {@code collateral}; {@code alreadyLiquidatable} of them are at today's answer
     * @param badDebt             debt their liquidations would leave unpaid
     * @param guarded             the same with the margin guards' remaining capacity
     */
    public record Stress(BigInteger shockedAnswer, int indebtedVaults, BigInteger indebtedDebt, int liquidatableVaults,
            int alreadyLiquidatable, BigInteger debt, BigInteger collateral, BigInteger badDebt, Guarded guarded) {}

    /**
     * A stress result with the margin guards' remaining capacity.
     *
     * @param guardedVaults      indebted vaults with a live guard policy
     * @param savedVaults        of those, the ones liquidatable at the shocked answer that a top-up of their capacity
     *                           makes healthy again, and {@code savedDebt} their debt
     * @param liquidatableVaults the vaults still liquidatable: unguarded, or guarded and not saved (with their
     *                           topped-up {@code debt} and {@code collateral})
     * @param badDebt            debt their liquidations would leave unpaid
     */
    public record Guarded(int guardedVaults, int savedVaults, BigInteger savedDebt, int liquidatableVaults,
            BigInteger debt, BigInteger collateral, BigInteger badDebt) {

        /** Accumulates a {@link Guarded} over the vaults. */
        private static final class Sum {
            int guardedVaults;
            int savedVaults;
            BigInteger savedDebt = BigInteger.ZERO;
            int liquidatableVaults;
            BigInteger debt = BigInteger.ZERO;
            BigInteger collateral = BigInteger.ZERO;
            BigInteger badDebt = BigInteger.ZERO;

            void liquidatable(BigInteger d, BigInteger c, BigInteger bad) {
                liquidatableVaults++;
                debt = debt.add(d);
                collateral = collateral.add(c);
                badDebt = badDebt.add(bad);
            }

            Guarded result() {
                return new Guarded(guardedVaults, savedVaults, savedDebt, liquidatableVaults, debt, collateral,
                        badDebt);
            }
        }
    }
}
