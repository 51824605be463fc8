package io.isomargin.abi.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Known answers of the Java margin math, the same cases the forge unit suite asserts on the engine (a 6-decimal loan
 * token, 18-decimal collateral, 8-decimal feed; tiers 10%/20% below $1M, 15%/25% to $10M, 25%/35% above).
 */
class MarginMathTest {
    static final BigInteger E6 = BigInteger.TEN.pow(6);
    static final BigInteger E18 = BigInteger.TEN.pow(18);
    static final BigInteger PRICE_SCALE = BigInteger.TEN.pow(16); // 10^(36 + 6 - 18 - 8)
    static final List<TierState> TIERS = List.of(
            new TierState(BigInteger.ZERO, 2_000, 1_000, 1_000),
            new TierState(E6.multiply(BigInteger.valueOf(1_000_000)), 2_500, 1_500, 1_500),
            new TierState(E6.multiply(BigInteger.valueOf(10_000_000)), 3_500, 2_500, 2_500));
    static final MarginMath.Margins MARGINS = MarginMath.Margins.at(TIERS, 0, 0, 1);
    static final LiquidationMath.Terms TERMS = new LiquidationMath.Terms(500, 2_000, 5_000, E6.multiply(BigInteger.valueOf(100)));

    static BigInteger usd(long dollars) {
        return E6.multiply(BigInteger.valueOf(dollars));
    }

    static BigInteger price(long dollarsPerEth) {
        return MarginMath.scaledPrice(BigInteger.valueOf(dollarsPerEth).multiply(BigInteger.TEN.pow(8)), PRICE_SCALE);
    }

    @Test
    void requirementChargesEachTierOnlyOnItsPart() {
        // $2M: 10% of the first $1M + 15% of the next $1M.
        assertEquals(usd(100_000 + 150_000), MarginMath.requirement(usd(2_000_000), MARGINS.minValues(), MARGINS.mmBps()));
        // $12M: 100k + 15% of 9M + 25% of 2M.
        assertEquals(usd(100_000 + 1_350_000 + 500_000),
                MarginMath.requirement(usd(12_000_000), MARGINS.minValues(), MARGINS.mmBps()));
    }

    @Test
    void valueAtMaxDebtInvertsMaxDebtAcrossTiers() {
        for (long d : new long[] {1, 899_999, 900_000, 900_001, 8_000_000, 9_000_000, 50_000_000}) {
            BigInteger debt = usd(d);
            BigInteger v = MarginMath.valueAtMaxDebt(debt, MARGINS.minValues(), MARGINS.mmBps());
            assertTrue(MarginMath.maxDebt(v, MARGINS.minValues(), MARGINS.mmBps()).compareTo(debt) >= 0, "at " + d);
            assertTrue(MarginMath.maxDebt(v.subtract(BigInteger.ONE), MARGINS.minValues(), MARGINS.mmBps())
                    .compareTo(debt) < 0, "below " + d);
        }
    }

    @Test
    void maintenanceMarginRampsLinearlyAndRoundsUp() {
        TierState t = new TierState(BigInteger.ZERO, 2_000, 1_000, 1_500, 100, 200);
        assertEquals(1_000, MarginMath.effectiveMm(t, 100));
        assertEquals(1_250, MarginMath.effectiveMm(t, 150));
        assertEquals(1_005, MarginMath.effectiveMm(t, 101)); // 500 x 1/100 = 5
        assertEquals(1_500, MarginMath.effectiveMm(t, 200));
        assertEquals(1_500, MarginMath.effectiveMm(t, 10_000));
        // the base of a new ramp (setMarginTiers) rounds down: 500 x 1/3 = 166.67
        assertEquals(1_166, MarginMath.rampedMm(1_000, 1_500, 0, 3, 1, false));
        assertEquals(1_167, MarginMath.rampedMm(1_000, 1_500, 0, 3, 1, true));
    }

    @Test
    void eachTierRampsOverItsOwnWindowAndTheMarketLevelEntryAppliesOneWindowToAll() {
        List<TierState> tiers = List.of(
                new TierState(BigInteger.ZERO, 2_000, 1_000, 1_200, 100, 200),
                new TierState(usd(1_000_000), 2_500, 1_500, 1_500, 100, 200),
                new TierState(usd(10_000_000), 3_500, 2_500, 2_900, 100, 200));
        MarginMath.Margins own = MarginMath.Margins.at(tiers, 150);
        assertEquals(List.of(1_100, 1_500, 2_700), Arrays.stream(own.mmBps()).boxed().toList());
        assertEquals(List.of(2_000, 2_500, 3_500), Arrays.stream(own.imBps()).boxed().toList());
        // the same window given at the market level: the same margins
        List<TierState> bare = tiers.stream().map(t -> t.withRamp(0, 0)).toList();
        assertTrue(Arrays.equals(own.mmBps(), MarginMath.Margins.at(bare, 100, 200, 150).mmBps()));
        // without a window the target is in force
        assertEquals(List.of(1_200, 1_500, 2_900), Arrays.stream(MarginMath.Margins.at(bare, 150).mmBps()).boxed()
                .toList());
    }

    @Test
    void crashMakesVaultLiquidatableAndQuoteMatchesEngine() {
        BigInteger collateral = E18.multiply(BigInteger.TEN);
        BigInteger debt = usd(15_000);
        assertFalse(MarginMath.isLiquidatable(collateral, debt, price(2_000), MARGINS));
        assertTrue(MarginMath.isLiquidatable(collateral, debt, price(1_600), MARGINS));
        // Lowest healthy answer: V* = ceil(15,000 / 0.9) = 16,666.666667 USDC (6 decimals) for 10 ETH, so
        // $1,666.6666667 per ETH, rounded up to the feed's 8 decimals: 166,666,666,670.
        assertEquals(BigInteger.valueOf(166_666_666_670L),
                MarginMath.liquidationPrice(collateral, debt, PRICE_SCALE, MARGINS));

        // One vault: 15,000 debt = 15,000e12 shares in a market with exactly that borrow.
        MarketTotals totals = new MarketTotals(usd(1_000_000), usd(1_000_000).multiply(E6), debt,
                debt.multiply(E6), BigInteger.ZERO, 1);
        LiquidationMath.Quote q = LiquidationMath.quote(collateral, debt.multiply(E6), totals, price(1_600), TERMS,
                FullMath.UINT256_MAX);
        assertEquals(usd(7_500), q.repaidAssets());
        assertEquals(new BigInteger("4921875000000000000"), q.seizedCollateral()); // 7,875 / 1,600
        assertEquals(usd(75), q.protocolFee()); // 7,500 x 5% x 20%
        assertEquals(BigInteger.ZERO, q.badDebt());
    }

    @Test
    void deepUnderwaterTheLiquidatorsCapStillApplies() {
        BigInteger collateral = E18.multiply(BigInteger.TEN);
        BigInteger debt = usd(16_000);
        MarketTotals totals = new MarketTotals(usd(1_000_000), usd(1_000_000).multiply(E6), debt,
                debt.multiply(E6), BigInteger.ZERO, 1);
        assertTrue(LiquidationMath.deepUnderwater(debt, MarginMath.value(collateral, price(1_500)), TERMS));
        LiquidationMath.Quote capped = LiquidationMath.quote(collateral, debt.multiply(E6), totals, price(1_500), TERMS,
                usd(100));
        assertEquals(new BigInteger("70000000000000000"), capped.seizedCollateral()); // 105 / 1,500
        assertEquals(usd(100), capped.repaidAssets());
        assertEquals(BigInteger.ZERO, capped.badDebt());

        LiquidationMath.Quote all = LiquidationMath.quote(collateral, debt.multiply(E6), totals, price(1_500), TERMS,
                FullMath.UINT256_MAX);
        assertEquals(collateral, all.seizedCollateral());
        assertEquals(new BigInteger("14285714285"), all.repaidAssets()); // 15,000 / 1.05, rounded down
        assertEquals(debt.subtract(all.repaidAssets()), all.badDebt());
    }

    @Test
    void coarseCollateralRepaysWhatTheSeizedWholeUnitsAreWorth() {
        // 0-decimal collateral at $1,000 a unit (6-decimal loan token, 8-decimal feed): priceScale 10^(36+6-0-8)
        BigInteger scale = BigInteger.TEN.pow(34);
        BigInteger price = MarginMath.scaledPrice(BigInteger.valueOf(1_000).multiply(BigInteger.TEN.pow(8)), scale);
        BigInteger collateral = BigInteger.valueOf(3);
        BigInteger debt = usd(2_800); // above the $2,700 a $3,000 vault may carry at 10%
        MarketTotals totals = new MarketTotals(usd(1_000_000), usd(1_000_000).multiply(E6), debt, debt.multiply(E6),
                BigInteger.ZERO, 1);
        assertTrue(MarginMath.isLiquidatable(collateral, debt, price, MARGINS));
        // half the debt (1,400) buys 1.47 units with the bonus: one whole unit, so the repayment is what it is worth
        // less the bonus, 1,000 / 1.05, not 1,400
        LiquidationMath.Quote q = LiquidationMath.quote(collateral, debt.multiply(E6), totals, price, TERMS,
                FullMath.UINT256_MAX);
        assertEquals(BigInteger.ONE, q.seizedCollateral());
        assertEquals(BigInteger.valueOf(952_380_952), q.repaidAssets());
        assertTrue(q.repaidAssets().compareTo(MarginMath.value(q.seizedCollateral(), price)) < 0);
        assertEquals(LiquidationMath.Outcome.OK, LiquidationMath.outcome(q, BigInteger.ONE));
        assertEquals(LiquidationMath.Outcome.SEIZED_BELOW_MINIMUM, LiquidationMath.outcome(q, BigInteger.TWO));
        assertTrue(LiquidationMath.seizedBelowMinimum(q, BigInteger.TWO));
        // a cap below one unit's worth (with the bonus) seizes nothing: ZeroAmount
        LiquidationMath.Quote none = LiquidationMath.quote(collateral, debt.multiply(E6), totals, price, TERMS,
                usd(900));
        assertTrue(none.noEffect());
        assertEquals(LiquidationMath.Outcome.ZERO_AMOUNT, LiquidationMath.outcome(none, BigInteger.ZERO));
    }

    @Test
    void aCapThatLeavesADebtBelowMinDebtIsTheEnginesDebtBelowMinimum() {
        // deep underwater (20 ETH at $838 = $16,760 against $16,000 of debt, less than debt + bonus) the target is the
        // whole debt; a cap just below it leaves about $50 of debt with collateral left, under the $100 minimum: the
        // engine reverts
        BigInteger debt = usd(16_000);
        MarketTotals totals = new MarketTotals(usd(1_000_000), usd(1_000_000).multiply(E6), debt, debt.multiply(E6),
                BigInteger.ZERO, 1);
        LiquidationMath.DebtBelowMinimumException e = assertThrows(LiquidationMath.DebtBelowMinimumException.class,
                () -> LiquidationMath.quote(E18.multiply(BigInteger.valueOf(20)), debt.multiply(E6), totals,
                        price(838), TERMS, usd(15_950)));
        assertTrue(e.debtAfter().compareTo(TERMS.minDebt()) < 0);
        // at the engine's own largest repayment (the batch's) it never does
        LiquidationMath.Quote q = LiquidationMath.quote(E18.multiply(BigInteger.valueOf(20)), debt.multiply(E6),
                totals, price(838), TERMS, FullMath.UINT256_MAX);
        assertFalse(q.noEffect());
    }

    static final BigInteger WAD_HALF = new BigInteger("500000000000000000");

    @Test
    void interestBelowOneUnitIsCarriedAsARemainderWhileTheClockMoves() {
        RateModel slow = new RateModel(BigInteger.ONE, BigInteger.ZERO, BigInteger.ZERO, WAD_HALF);
        MarketTotals t = new MarketTotals(usd(1), usd(1).multiply(E6), BigInteger.TEN, BigInteger.TEN.multiply(E6),
                BigInteger.ZERO, 100);
        MarketTotals after = InterestMath.accrue(t, slow, 1_000, 112);
        // 10 x 1 x 12 = 120 (x 1e-18 units): no whole unit, all carried; lastAccrual always moves
        assertEquals(new MarketTotals(usd(1), usd(1).multiply(E6), BigInteger.TEN, BigInteger.TEN.multiply(E6),
                BigInteger.ZERO, 112, BigInteger.valueOf(120)), after);
        // many small accruals carry exactly what one long one charges (the debt stays below one unit of interest)
        MarketTotals stepped = t;
        for (long now = 101; now <= 1_000; now += 7) stepped = InterestMath.accrue(stepped, slow, 1_000, now);
        assertEquals(InterestMath.accrue(t, slow, 1_000, stepped.lastAccrual()), stepped);
        // with no debt the remainder is dropped
        MarketTotals empty = new MarketTotals(usd(1), usd(1).multiply(E6), BigInteger.ZERO, BigInteger.ZERO,
                BigInteger.ZERO, 112, BigInteger.valueOf(120));
        assertEquals(BigInteger.ZERO, InterestMath.accrue(empty, slow, 1_000, 113).interestRemainder());
        assertEquals(113, InterestMath.accrue(empty, slow, 1_000, 113).lastAccrual());
        // the same second changes nothing
        assertEquals(after, InterestMath.accrue(after, slow, 1_000, 112));
    }

    @Test
    void theRemainderAddsUpToWholeUnits() {
        // 0.06 a second on 10 units: 0.6 of a unit in the 1st second (carried), 1.2 by the 2nd (one unit, 0.2 carried)
        RateModel r = new RateModel(new BigInteger("60000000000000000"), BigInteger.ZERO, BigInteger.ZERO, WAD_HALF);
        MarketTotals t = new MarketTotals(usd(100), usd(100).multiply(E6), BigInteger.TEN, BigInteger.TEN.multiply(E6),
                BigInteger.ZERO, 0);
        MarketTotals s1 = InterestMath.accrue(t, r, 0, 1);
        assertEquals(BigInteger.TEN, s1.totalBorrowAssets());
        assertEquals(new BigInteger("600000000000000000"), s1.interestRemainder());
        MarketTotals s2 = InterestMath.accrue(s1, r, 0, 2);
        assertEquals(BigInteger.valueOf(11), s2.totalBorrowAssets());
        assertEquals(new BigInteger("200000000000000000"), s2.interestRemainder());
    }

    @Test
    void interestAccruesLinearlyWithReserveToInsurance() {
        RateModel flat = new RateModel(BigInteger.valueOf(1_000_000_000L), BigInteger.ZERO, BigInteger.ZERO,
                new BigInteger("800000000000000000"));
        MarketTotals t = new MarketTotals(usd(100_000), usd(100_000).multiply(E6), usd(10_000), usd(10_000).multiply(E6),
                BigInteger.ZERO, 0);
        MarketTotals after = InterestMath.accrue(t, flat, 1_000, 86_400);
        // 10,000e6 x 1e9 x 86,400 / 1e18 = 864,000; 10% to insurance.
        assertEquals(usd(10_000).add(BigInteger.valueOf(864_000)), after.totalBorrowAssets());
        assertEquals(usd(100_000).add(BigInteger.valueOf(777_600)), after.totalSupplyAssets());
        assertEquals(BigInteger.valueOf(86_400), after.insuranceFund());
    }
}
