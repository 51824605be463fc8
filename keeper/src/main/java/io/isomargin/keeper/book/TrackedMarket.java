package io.isomargin.keeper.book;

import io.isomargin.abi.math.LiquidationMath;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.RateModel;
import io.isomargin.abi.math.TierState;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the keeper knows of one market: everything exact health needs (tiers with their ramp, totals for shares to
 * assets, the rate model, last accrual and carried interest remainder for interest up to a block's timestamp, the
 * oracle and its price scale)
 * and the liquidation terms. Immutable; the engine emits the parameters in the creating transaction, so a market
 * is {@link #complete()} once that transaction is applied.
 *
 * @param id               market id
 * @param oracle           the feed, lower-case 0x address
 * @param priceScale       the engine's factor from a feed answer to its 1e36-scaled price
 * @param tiers            margin tiers by index, each with its maintenance-margin ramp window (the engine's
 *                         {@code TierState}; every tier of a market has the same window)
 * @param rateModel        the kinked borrow rate (null until its event)
 * @param reserveFactorBps share of interest paid into the insurance fund
 * @param terms            liquidation bonus, fee, close factor, minimum debt (null until its event)
 * @param maxOracleAge     the oldest answer the engine accepts, seconds (0 until its event)
 * @param totals           supply and borrow totals and interest remainder as of {@code totals.lastAccrual()}
 * @param paused           whether new risk is paused
 */
public record TrackedMarket(long id, String oracle, BigInteger priceScale, List<TierState> tiers,
        RateModel rateModel, int reserveFactorBps, LiquidationMath.Terms terms, long maxOracleAge,
        MarketTotals totals, boolean paused) {

    public TrackedMarket {
        Objects.requireNonNull(oracle, "oracle");
        Objects.requireNonNull(priceScale, "priceScale");
        tiers = List.copyOf(tiers);
        Objects.requireNonNull(totals, "totals");
    }

    /** A market whose tiers all take the market-wide ramp window {@code [rampStart, rampEnd]}. */
    public TrackedMarket(long id, String oracle, BigInteger priceScale, List<TierState> tiers, long rampStart,
            long rampEnd, RateModel rateModel, int reserveFactorBps, LiquidationMath.Terms terms, long maxOracleAge,
            MarketTotals totals, boolean paused) {
        this(id, oracle, priceScale, tiers.stream().map(t -> t.withRamp(rampStart, rampEnd)).toList(), rateModel,
                reserveFactorBps, terms, maxOracleAge, totals, paused);
    }

    /** Start of the maintenance-margin ramp (the first tier's; 0 without tiers), seconds. */
    public long rampStart() {
        return tiers.isEmpty() ? 0 : tiers.getFirst().rampStart();
    }

    /** End of the maintenance-margin ramp (the first tier's; 0 without tiers), seconds. */
    public long rampEnd() {
        return tiers.isEmpty() ? 0 : tiers.getFirst().rampEnd();
    }

    /** A market as {@code MarketCreated} leaves it: no parameters yet, empty totals. */
    public static TrackedMarket created(long id, String oracle, BigInteger priceScale, long timestamp) {
        BigInteger z = BigInteger.ZERO;
        return new TrackedMarket(id, oracle, priceScale, List.of(), null, 0, null, 0,
                new MarketTotals(z, z, z, z, z, timestamp), false);
    }

    /** Whether every parameter health needs has been seen. */
    public boolean complete() {
        return !tiers.isEmpty() && rateModel != null && terms != null;
    }

    /** Tier {@code index} set, with its ramp window (the list grows as tiers are announced). */
    public TrackedMarket withTier(int index, TierState tier) {
        List<TierState> t = new ArrayList<>(tiers);
        while (t.size() <= index) t.add(null);
        t.set(index, tier);
        if (t.contains(null)) {
            throw new IllegalStateException("market " + id + ": tier " + index + " announced before a lower tier");
        }
        return new TrackedMarket(id, oracle, priceScale, t, rateModel, reserveFactorBps,
                terms, maxOracleAge, totals, paused);
    }

    public TrackedMarket withInterest(RateModel model, int reserveBps) {
        return new TrackedMarket(id, oracle, priceScale, tiers, model, reserveBps, terms,
                maxOracleAge, totals, paused);
    }

    public TrackedMarket withTerms(LiquidationMath.Terms t) {
        return new TrackedMarket(id, oracle, priceScale, tiers, rateModel, reserveFactorBps, t,
                maxOracleAge, totals, paused);
    }

    public TrackedMarket withMaxOracleAge(long age) {
        return new TrackedMarket(id, oracle, priceScale, tiers, rateModel, reserveFactorBps, terms,
                age, totals, paused);
    }

    public TrackedMarket withTotals(MarketTotals t) {
        return new TrackedMarket(id, oracle, priceScale, tiers, rateModel, reserveFactorBps, terms,
                maxOracleAge, t, paused);
    }

    public TrackedMarket withPaused(boolean p) {
        return new TrackedMarket(id, oracle, priceScale, tiers, rateModel, reserveFactorBps, terms,
                maxOracleAge, totals, p);
    }
}
