package io.isomargin.abi.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
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
        TierState t = new TierState(BigInteger.ZERO, 2_000, 1_000, 1_500);
        assertEquals(1_000, MarginMath.effectiveMm(t, 100, 200, 100));
        assertEquals(1_250, MarginMath.effectiveMm(t, 100, 200, 150));
        assertEquals(1_005, MarginMath.effectiveMm(t, 100, 200, 101)); // 500 x 1/100 = 5
        assertEquals(1_500, MarginMath.effectiveMm(t, 100, 200, 200));
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
    void deepUnderwaterQuoteIgnoresTheCapAndWritesOffTheRest() {
        BigInteger collateral = E18.multiply(BigInteger.TEN);
        BigInteger debt = usd(16_000);
        MarketTotals totals = new MarketTotals(usd(1_000_000), usd(1_000_000).multiply(E6), debt,
                debt.multiply(E6), BigInteger.ZERO, 1);
        LiquidationMath.Quote q = LiquidationMath.quote(collateral, debt.multiply(E6), totals, price(1_500), TERMS,
                usd(100));
        assertEquals(collateral, q.seizedCollateral());
        assertEquals(new BigInteger("14285714285"), q.repaidAssets()); // 15,000 / 1.05, rounded down
        assertEquals(debt.subtract(q.repaidAssets()), q.badDebt());
    }

    @Test
    void interestThatRoundsToZeroLeavesTheMarketUntouched() {
        RateModel slow = new RateModel(BigInteger.ONE, BigInteger.ZERO, BigInteger.ZERO, WAD_HALF);
        MarketTotals t = new MarketTotals(usd(1), usd(1).multiply(E6), BigInteger.TEN, BigInteger.TEN.multiply(E6),
                BigInteger.ZERO, 100);
        assertEquals(t, InterestMath.accrue(t, slow, 1_000, 112));
    }

    static final BigInteger WAD_HALF = new BigInteger("500000000000000000");

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
